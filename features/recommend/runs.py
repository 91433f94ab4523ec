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
