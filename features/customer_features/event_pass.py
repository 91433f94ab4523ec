"""The local build's passes over the event table: the visitors' latest logins from a first read of three
columns, then every event spilled to the partition of the customer it counts for.

The first pass keeps each event's customer code (an integer per row): the second reuses it instead of
looking millions of customer ids up again. Events past retention decide logins and sessions like any other
(as on Dask) but are not spilled: every partition's features leave them out (:func:`features_of_part`),
and they are near half of the events (13 months kept of two years).
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
from features.customer_features.grouping import as_datetime
from features.customer_features.partitioned import (
    FEATURE_COLUMNS,
    LOGIN_COLUMNS,
    OWNER,
    PART,
    PartitionPlan,
    merge_logins,
    slice_batch,
)
from features.customer_features.shared_sessions import SessionBounds, batch_bounds, mixed_sessions
from features.customer_features.spill import BATCH_ROWS, PartFolders, parquet_batches
from features.privacy.retention import RetentionPolicy
from features.schema import TABLES
from features.validate import typed_columns

# What the sessions' owners are decided from: all an event past retention is read for.
SESSION_COLUMNS: tuple[str, ...] = (c.OCCURRED_AT, c.VISITOR_ID, c.SESSION_ID)


def spill_events(
    path: Path | None, plan: PartitionPlan, spill: PartFolders, retention: RetentionPolicy, now: pd.Timestamp
) -> PartitionPlan:
    """Spill the sliced events of ``path`` to their partitions (as :func:`tag_events` tags them) and
    return ``plan`` with the visitors' latest logins and the mixed sessions of those events.

    Events past ``retention`` at ``now`` decide logins and sessions like any other (as on Dask) but are
    not spilled: every partition's features leave them out (:func:`features_of_part`), and they are near
    half of the events (13 months kept of two years)."""
    groups = range(pq.ParquetFile(path).num_row_groups) if path is not None else range(0)
    logins: list[pd.DataFrame] = []
    codes: list[np.ndarray] = []
    live: list[bool] = []  # per row group: whether any of its events is still within retention
    for group in groups:
        alive = False
        for batch, batch_codes in _coded_batches(path, plan, group):
            past = slice_batch("events", batch, plan.as_of, None)
            known = batch_codes[(batch[c.OCCURRED_AT] < plan.as_of).to_numpy()]  # the rows ``past`` keeps
            logins.append(latest_logins(past[c.VISITOR_ID], as_datetime(past[c.OCCURRED_AT]), known))
            codes.append(known.astype(np.int32))
            alive = alive or not _expired(past, retention, now).all()
        live.append(alive)
    plan = plan.with_logins(merge_logins(logins))
    del logins
    # The sliced events in file order, whatever the batches: the second pass takes them in turn.
    code_of = np.concatenate(codes) if codes else np.zeros(0, np.int32)
    del codes
    bounds: list[SessionBounds] = []
    done = 0
    for group in groups:
        # A row group past retention (the oldest, in a table in time order) is read only for the
        # sessions: none of its events is spilled.
        columns = FEATURE_COLUMNS["events"] if live[group] else SESSION_COLUMNS
        for batch in parquet_batches(path, "events", columns, row_groups=[group]):
            past = slice_batch("events", batch, plan.as_of, None)
            known = code_of[done : done + len(past)].astype(np.int64)
            done += len(past)
            # As :func:`tag_events` tags them (no session is known to be shared yet).
            owner = owner_codes(known, past[c.VISITOR_ID], plan.logins)
            bounds.append(batch_bounds(owner, past[c.SESSION_ID]))
            if live[group]:
                part = np.where(owner >= 0, plan.part_of[np.maximum(owner, 0)], -1)
                part[_expired(past, retention, now)] = -1
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


def _expired(events: pd.DataFrame, retention: RetentionPolicy, now: pd.Timestamp) -> np.ndarray:
    return retention.expired("events", events, now).to_numpy(dtype=bool)
