"""The local build's passes over the event table: the visitors' latest logins from a first read of three
columns, then every event spilled to the partition of the customer it counts for.

The first pass keeps each event's customer code (an integer per row): the second reuses it instead of
looking millions of customer ids up again. Events past retention are left out of both, as a loaded data
set never holds them: they decide no login and no session, and a row group wholly past retention (near
half of the events: 13 months kept of two years, in time order) is read only for its times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features import columns as c
from features.customer_features.attribution import latest_logins, owner_codes
from features.customer_features.build import FEATURE_COLUMNS
from features.customer_features.grouping import as_datetime
from features.customer_features.partitioned import (
    LOGIN_COLUMNS,
    OWNER,
    PART,
    PartitionPlan,
    merge_logins,
    slice_batch,
)
from features.customer_features.shared_sessions import SessionBounds, batch_bounds, mixed_sessions
from features.customer_features.spill import BATCH_ROWS, PartFolders, parquet_batches
from features.schema import TABLES
from features.validate import typed_columns


def spill_events(path: Path | None, plan: PartitionPlan, spill: PartFolders) -> PartitionPlan:
    """Spill the sliced events of ``path`` within retention to their partitions (as :func:`tag_events`
    tags them) and return ``plan`` with the visitors' latest logins and the mixed sessions of those
    events."""
    source = pq.ParquetFile(path) if path is not None else None
    groups = range(source.num_row_groups) if source is not None else range(0)
    live = [_live_group(path, group, plan) for group in groups]
    logins: list[pd.DataFrame] = []
    codes: list[np.ndarray] = []
    for group in (g for g in groups if live[g]):
        for batch, batch_codes in _coded_batches(path, plan, group):
            keep = (batch[c.OCCURRED_AT] < plan.as_of).to_numpy()
            if plan.events_from is not None:
                keep = keep & (batch[c.OCCURRED_AT] >= plan.events_from).to_numpy()
            past, known = batch[keep], batch_codes[keep]
            logins.append(latest_logins(past[c.VISITOR_ID], as_datetime(past[c.OCCURRED_AT]), known))
            codes.append(known.astype(np.int32))
    plan = plan.with_logins(merge_logins(logins))
    del logins
    # The kept events in file order, whatever the batches: the second pass takes them in turn.
    code_of = np.concatenate(codes) if codes else np.zeros(0, np.int32)
    del codes
    bounds: list[SessionBounds] = []
    done = 0
    for group in (g for g in groups if live[g]):
        for batch in parquet_batches(path, "events", FEATURE_COLUMNS["events"], row_groups=[group]):
            past = plan.live(slice_batch("events", batch, plan.as_of, None))
            known = code_of[done : done + len(past)].astype(np.int64)
            done += len(past)
            # As :func:`tag_events` tags them (no session is known to be shared yet).
            owner = owner_codes(known, past[c.VISITOR_ID], plan.logins)
            bounds.append(batch_bounds(owner, past[c.SESSION_ID]))
            part = np.where(owner >= 0, plan.part_of[np.maximum(owner, 0)], -1)
            spill.write("events", past.assign(**{OWNER: owner, PART: part}))
    if done != len(code_of):
        raise RuntimeError(f"{path}: the events changed between two reads ({len(code_of)} then {done} rows)")
    return replace(plan, mixed_sessions=mixed_sessions(bounds))


def _coded_batches(
    path: Path | None, plan: PartitionPlan, group: int
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """Batches of a row group of the events' :data:`LOGIN_COLUMNS` (typed) with each row's customer
    code in the plan.

    Text ids are read as Arrow dictionaries: each batch's distinct ids are looked up, not its rows (a
    customer has many events)."""
    if path is None:
        return
    source = pq.ParquetFile(path, read_dictionary=[c.CUSTOMER_ID])
    schema = source.schema_arrow
    if c.CUSTOMER_ID not in schema.names or not pa.types.is_dictionary(schema.field(c.CUSTOMER_ID).type):
        # Ids stored as something else than text: typed as the validator types them, then looked up.
        for batch in parquet_batches(path, "events", LOGIN_COLUMNS, row_groups=[group]):
            yield batch, plan.codes(batch[c.CUSTOMER_ID])
        return
    others = [name for name in LOGIN_COLUMNS if name in schema.names and name != c.CUSTOMER_ID]
    for batch in source.iter_batches(
        batch_size=BATCH_ROWS, row_groups=[group], columns=[*others, c.CUSTOMER_ID], use_threads=False
    ):
        ids = batch.column(c.CUSTOMER_ID)
        found = plan.codes(ids.dictionary.to_pandas())
        at = ids.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        codes = np.where(at >= 0, found[np.maximum(at, 0)], -1) if len(found) else np.full(len(at), -1)
        frame = typed_columns(TABLES["events"], batch.drop_columns([c.CUSTOMER_ID]).to_pandas())
        yield frame, codes


def _live_group(path: Path | None, group: int, plan: PartitionPlan) -> bool:
    """Whether a row group holds any event within retention (its times alone are read)."""
    if plan.events_from is None:
        return True
    return any(
        (batch[c.OCCURRED_AT] >= plan.events_from).any()
        for batch in parquet_batches(path, "events", (c.OCCURRED_AT,), row_groups=[group])
    )
