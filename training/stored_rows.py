"""Training rows too large to hold whole: a frame of their keys and their float features in a file,
read a span of rows at a time (the uplift and offer-response rows at 100k customers: a GB and more of
features, next to a data set of about as much, in the 1.5 GB of ``train all``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SPAN_ROWS = 65_536  # rows of features copied at once (~60 MB at 110 columns)


@dataclass(frozen=True)
class StoredRows:
    """Rows as ``keys`` (a frame, one row per row) and their float features ``names``, rows ``[start,
    stop)`` of them read by ``read(start, stop)`` (``offset``: where the first row of ``keys`` is in what
    ``read`` reads)."""

    keys: pd.DataFrame
    names: tuple[str, ...]
    read: Callable[[int, int], np.ndarray]
    offset: int = 0

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def of(cls, rows: pd.DataFrame, names: tuple[str, ...]) -> StoredRows:
        """The rows of a frame, ``names`` its float features (read from it, the other columns the keys)."""
        keys = rows[[col for col in rows.columns if col not in set(names)]]

        def read(start: int, stop: int) -> np.ndarray:
            return rows.iloc[start:stop][list(names)].to_numpy(dtype="float64", na_value=np.nan)

        return cls(keys, names, read)

    @classmethod
    def in_file(cls, keys: pd.DataFrame, names: tuple[str, ...], path: Path) -> StoredRows:
        """Rows whose features are ``path``'s float64 rows (``len(names)`` wide, in the order of ``keys``)."""

        def read(start: int, stop: int) -> np.ndarray:
            return read_rows(path, len(names), start, stop)

        return cls(keys.reset_index(drop=True), names, read)

    def part(self, start: int, stop: int) -> StoredRows:
        keys = self.keys.iloc[start:stop].reset_index(drop=True)
        return StoredRows(keys, self.names, self.read, self.offset + start)

    def values(self, start: int, stop: int) -> np.ndarray:
        """Features of rows ``[start, stop)``, ``names`` in order."""
        return self.read(self.offset + start, self.offset + stop)

    def spans(self) -> Iterator[tuple[int, int]]:
        for start in range(0, len(self), SPAN_ROWS):
            yield start, min(start + SPAN_ROWS, len(self))

    def frames(self) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        """(keys, features) of each span of rows, both indexed from 0."""
        for lo, hi in self.spans():
            keys = self.keys.iloc[lo:hi].reset_index(drop=True)
            yield keys, pd.DataFrame(self.values(lo, hi), columns=list(self.names))

    def then(self, other: StoredRows) -> StoredRows:
        """These rows followed by ``other``'s (the same feature columns)."""
        if other.names != self.names:
            raise ValueError("rows with different feature columns cannot follow each other")
        first = len(self)

        def read(start: int, stop: int) -> np.ndarray:
            if stop <= first:
                return self.values(start, stop)
            if start >= first:
                return other.values(start - first, stop - first)
            return np.concatenate([self.values(start, first), other.values(0, stop - first)])

        return StoredRows(pd.concat([self.keys, other.keys], ignore_index=True), self.names, read)


def read_rows(path: Path, width: int, start: int, stop: int) -> np.ndarray:
    """Rows ``[start, stop)`` of a file of float64 rows ``width`` wide (read, not mapped: the pages of a
    mapped file count in the process's resident memory while it is mapped)."""
    count = (stop - start) * width
    return np.fromfile(path, dtype=np.float64, count=count, offset=start * width * 8).reshape(-1, width)


def write_rows(path: Path, values: np.ndarray, where: np.ndarray) -> None:
    """``values[where]`` to ``path`` as float64 rows, a span at a time (never a copy of all of them)."""
    with path.open("wb") as out:
        for start in range(0, len(where), SPAN_ROWS):
            span = values[where[start : start + SPAN_ROWS]]
            out.write(np.ascontiguousarray(span, dtype=np.float64).tobytes())
