"""Runs of equal values in sorted integer keys: the groups of a sorted groupby, from one numpy sort."""

from __future__ import annotations

import numpy as np


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values of ``sorted_keys`` begins."""
    if not len(sorted_keys):
        return np.zeros(0, dtype=np.int64)
    changes = np.empty(len(sorted_keys), dtype=bool)
    changes[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=changes[1:])
    return np.flatnonzero(changes)


def run_ends(starts: np.ndarray, length: int) -> np.ndarray:
    """One past the last row of each run that begins at ``starts`` (of ``length`` rows in all)."""
    ends = np.empty(len(starts), dtype=np.int64)
    ends[:-1] = starts[1:]
    ends[-1:] = length
    return ends


def distinct(keys: np.ndarray) -> np.ndarray:
    """The distinct values of ``keys``, sorted: ``np.unique`` without its cost (an unstable sort of int64
    keys takes a fraction of the time ``np.unique`` does on millions of them)."""
    ordered = np.sort(keys)
    return ordered[run_starts(ordered)]


def order_by(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """Positions that sort the rows by ``major``, then ``minor`` (both >= 0), in any order among equal
    pairs: one int64 key sorted when it fits (``np.lexsort`` takes four times as long)."""
    span = int(minor.max(initial=0)) + 1
    if int(major.max(initial=0)) < np.iinfo(np.int64).max // span - 1:
        return np.argsort(major.astype(np.int64) * span + minor)
    return np.lexsort((minor, major))
