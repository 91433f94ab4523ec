"""String columns built in bulk: readable prefixed ids, lookups of small vocabularies, timestamps.

Millions of rows rule out per-row f-strings; ids are written digit block by digit block into one
byte buffer that becomes an Arrow string array without a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Internal times are int64 seconds since the epoch; this sentinel means "never" and sorts after any time.
NEVER = np.int64(2**62)
STR_DTYPE = pd.StringDtype("pyarrow", na_value=np.nan)


@cache
def _digit_blocks() -> np.ndarray:
    """ASCII of "0000".."9999", one row per number."""
    n = np.arange(10_000)
    return np.stack([48 + n // 1000, 48 + n // 100 % 10, 48 + n // 10 % 10, 48 + n % 10], axis=1).astype(
        np.uint8
    )


def prefixed_ids(
    prefix: str, numbers: np.ndarray, width: int, valid: np.ndarray | None = None
) -> pa.LargeStringArray:
    """``prefix`` followed by each number zero-padded to ``width`` digits (C000042); null where not
    ``valid``."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if numbers.size and (numbers.min() < 0 or numbers.max() >= 10**width):
        raise ValueError(f"numbers do not fit in {width} digits")
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    length = head.size + width
    buf = np.empty((numbers.size, length), dtype=np.uint8)
    buf[:, : head.size] = head
    blocks = _digit_blocks()
    quads = blocks.view(np.uint32).ravel()  # a 4-digit block as one word: one gather instead of four
    rest = numbers.astype(np.uint32 if width <= 9 else np.uint64)
    pos = length
    while pos > head.size:
        k = min(4, pos - head.size)
        rest, low = np.divmod(rest, rest.dtype.type(10**k))
        if k == 4:
            buf[:, pos - 4 : pos] = quads[low].view(np.uint8).reshape(-1, 4)
        else:
            buf[:, pos - k : pos] = blocks[low, 4 - k :]
        pos -= k
    offsets = pa.py_buffer(np.arange(numbers.size + 1, dtype=np.int64) * length)
    data = pa.py_buffer(buf.ravel())
    if valid is None or valid.all():
        return pa.LargeStringArray.from_buffers(numbers.size, offsets, data)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.LargeStringArray.from_buffers(numbers.size, offsets, data, bitmap, int((~valid).sum()))


@dataclass(frozen=True)
class Numbering:
    """Ids of one kind of entity: ``prefix`` + ``number[index]`` zero-padded to ``width`` digits."""

    prefix: str
    width: int
    number: np.ndarray  # by entity index

    def of(self, index: np.ndarray) -> pa.LargeStringArray:
        """Ids of the entities at ``index``; a negative index gives a null."""
        index = np.asarray(index, dtype=np.int64)
        if index.size > self.number.size:  # many repeats: gathering built ids is cheaper
            return lookup(self.all(), index)
        valid = index >= 0
        return prefixed_ids(self.prefix, self.number[np.where(valid, index, 0)], self.width, valid)

    def all(self) -> pa.LargeStringArray:
        return prefixed_ids(self.prefix, self.number, self.width)


def id_width(count: int, minimum: int) -> int:
    """Digits needed for ``count`` numbered ids, at least ``minimum`` so ids look alike across sizes."""
    return max(minimum, len(str(max(count, 1))))


def lookup(values: Sequence[str] | pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]`` as an Arrow string array; a negative index gives a null."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.large_string())
    index = np.asarray(index, dtype=np.int64)
    missing = index < 0
    if missing.any():
        return arr.take(pa.array(index, mask=missing))
    return arr.take(pa.array(index))


def to_series(arr: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column (no per-value conversion)."""
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())  # the storage pandas uses
    return pd.Series(arr, dtype=STR_DTYPE)


def to_datetime(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as ``datetime64[us]``; ``NEVER`` becomes NaT."""
    seconds = np.asarray(seconds, dtype=np.int64)
    out = (seconds * 1_000_000).view("datetime64[us]")
    return np.where(seconds >= NEVER, np.datetime64("NaT", "us"), out)


def seconds_of(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).value // 1_000_000_000)


def dates(seconds: np.ndarray) -> pa.Array:
    """ISO dates (2025-04-02) of epoch seconds, as Arrow strings."""
    stamps = pa.array(np.asarray(seconds, dtype=np.int64).view("datetime64[s]"))
    return pc.strftime(stamps, format="%Y-%m-%d").cast(pa.large_string())


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literal strings."""
    large = [
        pa.scalar(p, pa.large_string()) if isinstance(p, str) else p.cast(pa.large_string()) for p in parts
    ]
    return pc.binary_join_element_wise(*large, pa.scalar("", pa.large_string()))
