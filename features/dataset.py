"""The seven tables held together, in their canonical dtypes, and sliced at a point in time."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features.arrays import isin, rows_where
from features.schema import TABLES, TIME_COLUMN, Kind, Table

DATETIME_DTYPE = "datetime64[us]"
STRING_DTYPE = pd.api.types.pandas_dtype("str")
T = TypeVar("T")


def pandas_dtype(kind: Kind, nullable: bool) -> str:
    return {
        Kind.STRING: "str",
        Kind.INT: "Int64" if nullable else "int64",
        Kind.FLOAT: "float64",
        Kind.BOOL: "bool",
        Kind.DATETIME: DATETIME_DTYPE,
    }[kind]


def empty_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(
        {col.name: pd.Series([], dtype=pandas_dtype(col.kind, col.nullable)) for col in table.columns}
    )


def conform(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the contract's columns, in order, in canonical dtypes.

    Expects values that already parse (the validator has checked them); generators and importers use
    it to write files that round-trip unchanged.
    """
    out = {}
    for col in table.columns:
        if col.name not in frame and col.kind in (Kind.STRING, Kind.DATETIME):
            out[col.name] = _empty_column(col.kind, frame.index)
            continue
        series = frame[col.name] if col.name in frame else pd.Series(pd.NA, index=frame.index)
        dtype = pandas_dtype(col.kind, col.nullable)
        if col.kind is Kind.DATETIME:
            series = pd.to_datetime(series, format="mixed").astype(DATETIME_DTYPE)
        elif col.kind is Kind.STRING:
            # text already holds its empty values as missing; a categorical was read so on purpose
            if series.dtype != STRING_DTYPE and not isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype("str").where(series.notna())
        else:
            series = series.astype(dtype)
        out[col.name] = series
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _empty_column(kind: Kind, index: pd.Index) -> pd.Series:
    """An all-missing text or time column, as :func:`conform` makes of an absent one, built directly:
    converting a column of ``pd.NA`` objects costs a second per million rows (a feature build reads
    only some columns of its tables)."""
    if kind is Kind.DATETIME:
        return pd.Series(np.full(len(index), np.datetime64("NaT", "us")), index=index)
    if getattr(STRING_DTYPE, "storage", None) == "pyarrow":
        nulls = pa.chunked_array([pa.nulls(len(index), pa.large_string())])
        return pd.Series(pd.arrays.ArrowStringArray(nulls, dtype=STRING_DTYPE), index=index)
    return pd.Series(pd.NA, index=index).astype("str")


@dataclass(frozen=True)
class Dataset:
    """A validated data folder. Build one with :func:`features.load.load_dataset`."""

    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    contacts: pd.DataFrame
    assignments: pd.DataFrame
    consents: pd.DataFrame
    # What several steps of one command derive from this data set at one cutoff (see ``shared``); a
    # data set made by ``replace`` or ``before`` starts with none.
    _shared: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def shared(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked of this data set, the same value after: the
        campaign results at a cutoff that a materialisation reads twice. The
        frames of a loaded data set are never modified, so the value stays right; callers get a frame
        they may not modify (copy it first)."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def release(self, *tables: str) -> None:
        """Let go of ``tables`` of a data set its caller alone holds, once what it reads of them is derived
        (in ``shared``): ``train all`` loads each pipeline's tables for it, and the recommender, once it
        has encoded orders and events, holds ~1 GB of frames it no longer reads at 100,000 customers.
        A later read of a released table fails with an error naming it rather than reading nothing."""
        for name in tables:
            if name not in TABLES:
                raise KeyError(f"no table {name!r} in a data set")
            object.__setattr__(self, name, _Released(name))  # frozen: the one field change it allows

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame | None]) -> Dataset:
        return cls(
            **{
                name: conform(table, frames[name]) if frames.get(name) is not None else empty_frame(table)
                for name, table in TABLES.items()
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def time_span(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last order timestamps."""
        ordered = self.orders[c.ORDERED_AT]
        return ordered.min(), ordered.max()

    def default_as_of(self) -> pd.Timestamp:
        """Midnight after the last recorded activity: "today" for a data set used as it is."""
        stamps = [
            self.orders[c.ORDERED_AT].max(),
            self.events[c.OCCURRED_AT].max(),
            self.customers[c.CREATED_AT].max(),
        ]
        latest = max(s for s in stamps if not pd.isna(s))
        return latest.normalize() + pd.Timedelta(days=1)

    def before(self, as_of: pd.Timestamp | str) -> Dataset:
        """What was knowable strictly before ``as_of``: the point-in-time view every feature reads.

        Rows stamped at or after ``as_of`` are dropped; outcomes of earlier contacts that happened at or
        after ``as_of`` (an open, a click, a conversion) are blanked, since they were not yet known.
        """
        ts = pd.Timestamp(as_of)
        sliced = {name: rows_before(name, getattr(self, name), ts) for name in TIME_COLUMN}
        orders = sliced["orders"]  # read in part (features.reads): no order id when no contact is read
        sliced["contacts"] = outcomes_known_before(
            sliced["contacts"], ts, lambda ids: isin(ids, orders[c.ORDER_ID])
        )
        return replace(self, **{name: frame.reset_index(drop=True) for name, frame in sliced.items()})


class _Released:
    """Stands for a table :meth:`Dataset.release` let go of: any use of it is a bug, said as such."""

    def __init__(self, table: str) -> None:
        self._table = table

    def _fail(self, *_args: Any) -> Any:
        raise RuntimeError(f"the {self._table} table of this data set was released: it is no longer read")

    __getitem__ = __len__ = __contains__ = __iter__ = _fail

    def __getattr__(self, _name: str) -> Any:
        self._fail()


def rows_before(table: str, frame: pd.DataFrame, ts: pd.Timestamp) -> pd.DataFrame:
    """Rows of ``table`` stamped strictly before ``ts`` (the whole frame when nothing is dropped)."""
    keep = (frame[TIME_COLUMN[table]] < ts).to_numpy()
    stop = int(np.argmin(keep)) if keep.size else 0
    if keep.size == 0 or keep[stop]:
        return frame
    # A table in time order (most are, as written) loses a tail: slicing shares the columns' buffers,
    # where a mask copies every value (a quarter of a second per cutoff at 20k customers).
    return frame.iloc[:stop] if not keep[stop:].any() else rows_where(frame, keep)


def outcomes_known_before(
    contacts: pd.DataFrame, ts: pd.Timestamp, order_known: Callable[[pd.Series], np.ndarray]
) -> pd.DataFrame:
    """Contacts (already sent before ``ts``) with the outcomes not yet known at ``ts`` blanked: opens and
    clicks at or after it, conversions to orders that ``order_known`` says were not placed before it."""
    out = contacts.copy(deep=False)  # copy-on-write: only the three columns set below are new
    # A data set read in part (features.reads) may not hold an outcome: nothing of it to blank then.
    for col in (c.OPENED_AT, c.CLICKED_AT):
        if col in out:
            out[col] = out[col].where(out[col] < ts)
    if c.CONVERTED_ORDER_ID in out and len(out):
        converted = out[c.CONVERTED_ORDER_ID]
        out[c.CONVERTED_ORDER_ID] = converted.where(converted.notna().to_numpy() & order_known(converted))
    return out


def line_amounts(orders: pd.DataFrame) -> np.ndarray:
    """Net amount of each order line: quantity x unit price x (1 - discount); negative for returns."""
    return (
        orders[c.QUANTITY].to_numpy(dtype=np.float64)
        * orders[c.UNIT_PRICE].to_numpy(dtype=np.float64)
        * (1.0 - orders[c.DISCOUNT].to_numpy(dtype=np.float64))
    )


def line_margins(orders: pd.DataFrame, products: pd.DataFrame) -> np.ndarray:
    """Gross margin of each order line: what was paid (:func:`line_amounts`) less the product's unit cost
    (list price less list margin, never below 0) times the quantity, so a line sold below its list price
    earns less; returns (negative quantities) give the margin back. A SKU absent from ``products`` counts
    no margin. The one definition for KPIs, campaign results and offers."""
    by_sku = products.set_index(c.SKU)
    cost = (by_sku[c.UNIT_PRICE] - by_sku[c.UNIT_MARGIN]).clip(lower=0)
    # Looked up once per distinct SKU: mapping the lines' text made a Python string of each of them
    # (400 MB for the 3 M lines of 100k customers); a line without a known SKU costs NaN, as before.
    codes, skus = pd.factorize(orders[c.SKU])
    per_sku = pd.Series(skus).map(cost).to_numpy(dtype=np.float64)
    unit_cost = np.append(per_sku, np.nan)[codes]  # code -1 (no SKU): the NaN appended
    return np.nan_to_num(line_amounts(orders) - orders[c.QUANTITY].to_numpy(dtype=np.float64) * unit_cost)
