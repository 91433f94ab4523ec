"""Vectorised draws shared by the stages: per-row categorical choices and grouped positions."""

from __future__ import annotations

import numpy as np


def group_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of ``counts`` rows: each row's group and its position within the group."""
    counts = np.asarray(counts, dtype=np.int64)
    group = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return group, np.arange(group.size) - starts[group]


def run_starts(keys: np.ndarray) -> np.ndarray:
    """True where a run of equal consecutive ``keys`` begins (first row of each group)."""
    out = np.ones(keys.size, dtype=bool)
    out[1:] = keys[1:] != keys[:-1]
    return out


def run_ends(keys: np.ndarray) -> np.ndarray:
    """True where a run of equal consecutive ``keys`` ends (last row of each group)."""
    out = np.ones(keys.size, dtype=bool)
    out[:-1] = keys[1:] != keys[:-1]
    return out


def draw_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element of ``rows`` from ``probs[row]`` (rows of probs sum to 1).

    Rows are laid end to end as ``row + cumulative probability`` in one increasing array, so a single
    ``searchsorted`` serves any number of draws without materialising a (draws x categories) matrix.
    """
    n_rows, k = probs.shape
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    flat = (np.arange(n_rows)[:, None] + cum).ravel()
    rows = np.asarray(rows, dtype=np.int64)
    query = rows + rng.random(rows.size) * (1 - 1e-9)
    idx = np.searchsorted(flat, query, side="right")
    return np.clip(idx - rows * k, 0, k - 1)


def dirichlet_rows(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """One Dirichlet draw per row of ``alpha`` (numpy's dirichlet takes a single alpha)."""
    g = rng.gamma(alpha)
    return g / g.sum(axis=1, keepdims=True)


def grouped_cumsum(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each True of ``group_start`` (rows sorted by group)."""
    total = np.cumsum(values)
    starts = np.flatnonzero(group_start)
    before = np.concatenate([[0], total])[starts]
    run = np.cumsum(group_start) - 1
    return total - before[run]
