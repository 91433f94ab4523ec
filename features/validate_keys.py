"""Key uniqueness and one-value-per-group rules over a whole table seen batch by batch, in compact form:
each row's key (or group, or value) kept as one 64-bit hash, not as text. Equal values always hash alike,
so every duplicate and every group with two values is among the rows the hashes point at; those few rows
are then read again and checked on their real values, so a hash collision never reports a false problem.
(The only thing hashes could miss is two different values of one group hashing alike: a chance of about
one in 10^19 per pair of lines.)"""

from __future__ import annotations

import numpy as np
import pandas as pd


def row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One uint64 per row of ``frame[columns]``; empty values hash alike, as ``duplicated`` matches them."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_pandas_object(frame[columns], index=False).to_numpy(dtype=np.uint64)


def repeated(hashes: np.ndarray) -> np.ndarray:
    """Mask of the rows whose hash appears more than once."""
    if len(hashes) < 2:
        return np.zeros(len(hashes), dtype=bool)
    ordered = np.sort(hashes)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    return np.isin(hashes, np.unique(twice)) if len(twice) else np.zeros(len(hashes), dtype=bool)


def split_groups(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mask of the rows whose group holds more than one value (every row of such a group)."""
    if len(groups) < 2:
        return np.zeros(len(groups), dtype=bool)
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    split = g[1:][(g[1:] == g[:-1]) & (v[1:] != v[:-1])]
    return np.isin(groups, np.unique(split)) if len(split) else np.zeros(len(groups), dtype=bool)


def duplicated_rows(frame: pd.DataFrame, key: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Exactly, among ``frame`` (candidate rows): the rows whose key appears more than once, and each
    one's key as text ("O1 / SKU2")."""
    dup = frame.duplicated(key, keep=False).to_numpy()
    if not dup.any():  # (joining text on every row is slow: only duplicated rows get a label)
        return dup, np.empty(0, dtype=object)
    labels = frame.loc[dup, key].astype(str).agg(" / ".join, axis=1).to_numpy(dtype=object)
    return dup, labels


def disagreeing_rows(frame: pd.DataFrame, group: str, column: str) -> np.ndarray:
    """Exactly, among ``frame`` (whole groups): the rows of groups holding more than one ``column`` value."""
    pairs = frame[[group, column]].drop_duplicates()
    counts = pairs[group].value_counts(dropna=False)
    return frame[group].isin(counts.index[counts > 1]).to_numpy()
