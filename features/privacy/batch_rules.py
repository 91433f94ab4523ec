"""The privacy rules' row drops as Arrow masks, so a load leaves erased and expired rows out while it
reads a table, before any pandas copy of them is made (retention alone drops about 40% of the events).

The same drops as :meth:`features.privacy.rules.PrivacyRules.dropped`: an erased customer's rows, every
event of a device an erased customer used (found over the whole events table), rows past retention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features import columns as c
from features.privacy.retention import RetentionPolicy
from features.schema import TIME_COLUMN
from features.validated_tables import Probe, ValidatedTables

TEXT = pa.large_string()


Mask = pa.Array | pa.ChunkedArray | None


def text_array(values: Iterable[str]) -> pa.Array:
    return pa.array(sorted(values), type=TEXT)


def is_in(column: pa.ChunkedArray, values: pa.Array) -> pa.ChunkedArray:
    """Rows whose value is one of ``values`` (an empty value never is)."""
    return pc.is_in(column, value_set=values.cast(column.type), skip_nulls=True).fill_null(False)


def before(column: pa.ChunkedArray, limit: pd.Timestamp) -> pa.ChunkedArray:
    """``column < limit`` as pandas compares it: an empty time is never before."""
    # Rounded up to the column's microseconds: t < limit exactly when t < ceil(limit), for any limit.
    bound = pa.scalar(pd.Timestamp(limit).ceil("us").to_pydatetime(), type=pa.timestamp("us"))
    return pc.less(column, bound).fill_null(False)


def fold(masks: list[pa.Array | pa.ChunkedArray], op: Callable[..., pa.ChunkedArray]) -> Mask:
    """The masks combined with ``op`` (``pc.and_``, ``pc.or_``); None when there are none."""
    if not masks:
        return None
    out = masks[0]
    for mask in masks[1:]:
        out = op(out, mask)
    return out


def devices_of(tables: ValidatedTables, erased: pa.Array) -> pa.Array:
    """Every visitor id that an erased customer's events carry (read a column pair at a time)."""
    found = [
        pc.unique(group[c.VISITOR_ID].filter(is_in(group[c.CUSTOMER_ID], erased)))
        for group in tables.groups("events", [c.CUSTOMER_ID, c.VISITOR_ID])
    ]
    return pc.unique(pa.chunked_array(found, type=TEXT)) if found else text_array([])


@dataclass(frozen=True)
class BatchRules:
    """What the privacy rules drop at ``now``, for rows read as Arrow tables."""

    erased: pa.Array  # ids of the erased customers in the data
    erased_visitors: pa.Array  # their devices
    retention: RetentionPolicy
    now: pd.Timestamp

    def unexpired(self, table: str) -> Probe | None:
        """A probe that skips the batches of ``table`` past its retention period as a whole."""
        limit = self.retention.cutoff(table, self.now)
        if limit is None or table not in TIME_COLUMN:
            return None
        return TIME_COLUMN[table], lambda times: pc.any(pc.invert(before(times, limit))).as_py()

    def dropped(self, table: str, rows: pa.Table) -> Mask:
        """Rows of ``table`` to leave out (None: none)."""
        drops = []
        if len(self.erased) and c.CUSTOMER_ID in rows.column_names:
            drops.append(is_in(rows[c.CUSTOMER_ID], self.erased))
            if table == "events" and len(self.erased_visitors):
                drops.append(is_in(rows[c.VISITOR_ID], self.erased_visitors))
        limit = self.retention.cutoff(table, self.now)
        if limit is not None and table in TIME_COLUMN:
            drops.append(before(rows[TIME_COLUMN[table]], limit))
        return fold(drops, pc.or_)
