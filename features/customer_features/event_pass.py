"""The local build's one read of the event table: the visitors' latest logins and the spill of every event
to its customer's partition come from the same batches (the event table is the largest; reading it twice
cost a fifth of the build).

An event of a customer in the build counts for that customer, whatever the logins: it is spilled as soon
as it is read. Only the others (anonymous, or of a customer outside the build) wait for the logins of
all events; they are set aside in a file of their own, then tagged and spilled once the logins are known.
The partitions' events are then in another order than the table's: every web feature is a count, a
latest time or a set, which no order changes.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features.attribution import latest_logins
from features.customer_features.grouping import as_datetime
from features.customer_features.partitioned import (
    FEATURE_COLUMNS,
    OWNER,
    PART,
    PartitionPlan,
    merge_logins,
    slice_batch,
    tag_events,
)
from features.customer_features.shared_sessions import SessionBounds, batch_bounds, mixed_sessions
from features.customer_features.spill import PartFolders, parquet_batches
from features.privacy.retention import RetentionPolicy


def spill_events(
    path: Path | None, plan: PartitionPlan, spill: PartFolders, retention: RetentionPolicy, now: pd.Timestamp
) -> PartitionPlan:
    """Spill the sliced events of ``path`` to their partitions (as :func:`tag_events` tags them) and
    return ``plan`` with the visitors' latest logins and the mixed sessions of those events.

    Events past ``retention`` at ``now`` decide logins and sessions like any other (as on Dask) but are
    not spilled: every partition's features leave them out (:func:`features_of_part`), and they are near
    half of the events (13 months kept of two years)."""
    logins: list[pd.DataFrame] = []
    bounds: list[SessionBounds] = []
    # The events waiting for the logins go to one more partition, numbered after the real ones: one
    # gather of each batch sends every row to its file.
    waiting = plan.parts
    for batch in parquet_batches(path, "events", FEATURE_COLUMNS["events"]):
        past = slice_batch("events", batch, plan.as_of, None)
        codes = plan.codes(past[c.CUSTOMER_ID])
        logins.append(latest_logins(past[c.VISITOR_ID], as_datetime(past[c.OCCURRED_AT]), codes))
        known = codes >= 0
        bounds.append(batch_bounds(codes, past[c.SESSION_ID], counted=known))
        part = np.full(len(codes), waiting, dtype=np.int64)
        part[known] = plan.part_of[codes[known]]
        part[known & _expired(past, retention, now)] = -1
        spill.write("events", past.assign(**{OWNER: codes, PART: part}))
    plan = plan.with_logins(merge_logins(logins))
    del logins
    for batch in spill.batches("events", waiting):
        owned, _ = tag_events(batch, plan)
        bounds.append(batch_bounds(owned[OWNER].to_numpy(), owned[c.SESSION_ID]))
        owned[PART] = np.where(_expired(owned, retention, now), -1, owned[PART].to_numpy())
        spill.write("events", owned)
    return replace(plan, mixed_sessions=mixed_sessions(bounds))


def _expired(events: pd.DataFrame, retention: RetentionPolicy, now: pd.Timestamp) -> np.ndarray:
    return retention.expired("events", events, now).to_numpy(dtype=bool)
