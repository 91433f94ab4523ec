"""Vectorised helpers where pandas' generic path is slow on Arrow-backed text columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values: pd.Series | pd.Index | np.ndarray | list) -> pa.Array:
    array = pa.array(values, from_pandas=True) if not isinstance(values, pa.Array) else values
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def isin(values: pd.Series, allowed: pd.Series | pd.Index | np.ndarray | list) -> np.ndarray:
    """``values.isin(allowed)`` as a boolean array; empty values are never "in".

    pandas converts an Arrow text column's lookup set through a Python loop; Arrow's own hash join
    is one pass in C++ (seconds saved on millions of rows).
    """
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return values.isin(allowed).to_numpy(dtype=bool)
    if isinstance(allowed, pd.Series | pd.Index) and pd.api.types.is_string_dtype(allowed.dtype):
        # Arrow text already: Arrow's set lookup takes repeated and empty values as they are, so the
        # de-duplication (a hash pass of its own over every allowed value) is not needed.
        haystack = _arrow(allowed)
    else:
        haystack = _arrow(pd.unique(pd.Series(allowed).dropna().astype(str)))
    needles = _arrow(values.astype("str"))
    found = pc.is_in(needles, value_set=_narrowed(haystack, needles), skip_nulls=True)
    return found.to_numpy(zero_copy_only=False).astype(bool) & values.notna().to_numpy()


def positions(values: pd.Series | np.ndarray, keys: pa.Array) -> np.ndarray:
    """Position of each value in ``keys`` (unique), -1 where absent or empty: ``Index.get_indexer`` by
    Arrow's hash join, which skips the per-string Python objects pandas makes of Arrow text."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    needles = _arrow(values)
    if needles.type != keys.type:
        needles = needles.cast(keys.type)
    if len(keys) > 2 * (len(needles) - needles.null_count):
        # Only the keys some value matches: found by hashing the values instead of every key.
        kept = np.flatnonzero(_matches(keys, needles))
        found = pc.index_in(needles, value_set=keys.take(pa.array(kept)), skip_nulls=True)
        at = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return np.where(at >= 0, kept[np.maximum(at, 0)] if len(kept) else -1, -1)
    found = pc.index_in(needles, value_set=keys, skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _matches(keys: pa.Array, needles: pa.Array) -> np.ndarray:
    """Which ``keys`` equal some (non-empty) needle."""
    return pc.is_in(keys, value_set=pc.unique(needles.drop_null()), skip_nulls=True).to_numpy(
        zero_copy_only=False
    ) & ~np.asarray(keys.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _narrowed(haystack: pa.Array, needles: pa.Array) -> pa.Array:
    """The part of ``haystack`` that ``needles`` can find. Arrow hashes the whole value set on every
    call: a large set looked up by a few values (known orders by one batch's conversions) costs its
    size each time, where probing it with the values' own set costs far less."""
    if len(haystack) <= 2 * (len(needles) - needles.null_count):
        return haystack
    return haystack.filter(pa.array(_matches(haystack, needles.cast(haystack.type))))


def arrow_keys(values: pd.Index | pd.Series | np.ndarray) -> pa.Array:
    """``values`` as an Arrow array to look positions up in (see :func:`positions`)."""
    return _arrow(values)


def rows_where(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` (same columns, dtypes and index labels), with Arrow text columns filtered by Arrow
    itself: pandas turns the mask into positions and gathers, a third slower on millions of strings."""
    mask = pa.array(keep, type=pa.bool_())
    columns: dict[str, object] = {}
    for name, column in frame.items():
        values = column.array
        if isinstance(values, pd.arrays.ArrowStringArray):
            columns[name] = pd.arrays.ArrowStringArray(pc.filter(pa.array(values), mask), dtype=column.dtype)
        else:
            columns[name] = values[keep]
    return pd.DataFrame(columns, index=frame.index[keep], copy=False)


def known_levels(values: pd.Series | np.ndarray | list, levels: list[str]) -> pd.Categorical:
    """``values`` as a categorical of the fitted ``levels``, a value outside them missing: what a model
    reads of a level it never saw (pandas deprecates building such a categorical from the values)."""
    codes = pd.Index(levels, dtype=object).get_indexer(np.asarray(values, dtype=object))
    return pd.Categorical.from_codes(codes, categories=levels)
