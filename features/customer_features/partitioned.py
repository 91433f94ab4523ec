"""Customer features built partition by partition: bounded memory, and the unit of work of a Dask cluster.

Customers are split by a stable hash of their id; every row of orders, events, contacts and consents goes
to its customer's partition, so each partition's features come from the same function as the whole
table's (:func:`features.customer_features.build.features_of_past`). The one fact that spans customers,
whom an anonymous event counts for, is decided first over all events (a :class:`PartitionPlan`) and
carried with the events.

The tagging and per-partition functions here are pure (frames in, frames out): the local engine feeds
them Parquet batches read with PyArrow, the Dask engine (:mod:`features.dask_engine`) feeds them the
partitions of ``dask.dataframe`` frames.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features.arrays import arrow_keys, isin, positions
from features.customer_features.attribution import (
    EventOwners,
    latest_logins,
    owner_codes,
    reduce_bounds,
    reduce_logins,
    session_bounds,
)
from features.customer_features.build import GROUPS, features_of_past
from features.customer_features.grouping import CustomerIndex, as_datetime
from features.dataset import Dataset, outcomes_known_before, rows_before
from features.privacy.rules import PrivacyRules

PART = "_part"
OWNER = "_owner"  # position in the plan's customers of the customer an event counts for (-1: nobody)
CODE = "_code"  # a customer's own position in the plan's customers
CUSTOMERS_PER_PARTITION = 12_500
# Tables split by customer; products are small and go whole to every partition.
SPLIT_TABLES: tuple[str, ...] = ("customers", "orders", "events", "contacts", "consents")
LOGIN_COLUMNS: tuple[str, ...] = (c.CUSTOMER_ID, c.VISITOR_ID, c.OCCURRED_AT)


def default_partitions(customers: int) -> int:
    return max(1, math.ceil(customers / CUSTOMERS_PER_PARTITION))


def customer_partition(ids: pd.Series | np.ndarray, parts: int) -> np.ndarray:
    """Partition of each customer id: a stable 64-bit hash (the same in every process) modulo ``parts``."""
    values = np.asarray(ids, dtype=object)
    return (pd.util.hash_array(values, categorize=False) % np.uint64(parts)).astype(np.int64)


@dataclass(frozen=True)
class PartitionPlan:
    """What every partition must agree on: the customers in the build and their partition, whom each
    visitor's anonymous events count for, and the sessions that count for another customer than some of
    their events (rare: a shared device)."""

    as_of: pd.Timestamp
    parts: int
    customers: pd.Index  # sorted ids of the customers created before as_of (after the privacy rules)
    part_of: np.ndarray  # partition of each of ``customers``
    logins: pd.DataFrame  # visitor, time, code (position in ``customers``): the latest login per visitor
    mixed_sessions: pd.Series  # session id -> position in ``customers`` of the customer it counts for
    # Events stamped before this are past their retention period: they count for nobody and decide
    # nothing (whom a device's events or a session count for), as in a loaded data set, which never
    # holds them. None: events are kept forever.
    events_from: pd.Timestamp | None = None

    def live(self, events: pd.DataFrame) -> pd.DataFrame:
        """The events of ``events`` within their retention period."""
        if self.events_from is None or not len(events):
            return events
        keep = (events[c.OCCURRED_AT] >= self.events_from).to_numpy()
        return events if keep.all() else events[keep]

    @cached_property
    def _keys(self) -> pa.Array:
        return arrow_keys(self.customers)

    def codes(self, ids: pd.Series) -> np.ndarray:
        """Position of each id in ``customers`` (-1: not in the build)."""
        return positions(ids, self._keys)

    def with_logins(self, logins: pd.DataFrame) -> PartitionPlan:
        return replace(self, logins=logins)

    def with_mixed_sessions(self, bounds: pd.DataFrame) -> PartitionPlan:
        """The plan once :func:`session_bounds` of every event are known (reduced over all batches)."""
        # By arrays: a frame's boolean selection over millions of text labels costs ten times more.
        mixed = bounds["low"].to_numpy() != bounds["high"].to_numpy()
        high = pd.Series(bounds["high"].to_numpy()[mixed], index=bounds.index[mixed], name="high")
        return replace(self, mixed_sessions=high)


def eligible_customers(
    customers: pd.DataFrame,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    only: pd.Index | None = None,
) -> pd.DataFrame:
    """The customers a build at ``as_of`` has a row for, sorted by id, privacy rules applied (only
    those of ``only``, if given: a training sample)."""
    kept = rules.apply({"customers": customers}, now)["customers"]
    kept = rows_before("customers", kept, as_of)
    if only is not None:
        kept = kept[isin(kept[c.CUSTOMER_ID], only)]
    return kept.sort_values(c.CUSTOMER_ID, kind="stable").reset_index(drop=True)


def start_plan(
    customers: pd.DataFrame, as_of: pd.Timestamp, parts: int, rules: PrivacyRules, now: pd.Timestamp
) -> PartitionPlan:
    ids = pd.Index(customers[c.CUSTOMER_ID])
    return PartitionPlan(
        as_of=as_of,
        parts=parts,
        customers=ids,
        part_of=customer_partition(ids, parts),
        logins=pd.DataFrame({"visitor": [], "time": [], "code": []}),
        mixed_sessions=pd.Series([], dtype=np.int64),
        events_from=rules.retention.cutoff("events", now),
    )


def batch_logins(events: pd.DataFrame, plan: PartitionPlan) -> pd.DataFrame:
    """Latest logins within a batch of events (``LOGIN_COLUMNS``); reduce with :func:`merge_logins`."""
    past = plan.live(rows_before("events", events, plan.as_of))
    return latest_logins(
        past[c.VISITOR_ID], as_datetime(past[c.OCCURRED_AT]), plan.codes(past[c.CUSTOMER_ID])
    )


def merge_logins(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return pd.DataFrame({"visitor": pd.Series([], dtype=object), "time": [], "code": []})
    return reduce_logins(pd.concat(pieces, ignore_index=True))


def merge_bounds(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return pd.DataFrame({"low": pd.Series([], dtype=np.int64), "high": pd.Series([], dtype=np.int64)})
    # The sessions joined by Arrow: concatenating frames indexed by millions of text labels costs more
    # than reducing them.
    sessions = pa.chunked_array([arrow_keys(p.index).cast(pa.large_string()) for p in pieces])
    low, high = (
        np.concatenate([p[name].to_numpy(dtype=np.int64) for p in pieces]) for name in ("low", "high")
    )
    return reduce_bounds(pd.Series(pd.arrays.ArrowStringArray(sessions.combine_chunks())), low, high)


def slice_batch(
    table: str, frame: pd.DataFrame, as_of: pd.Timestamp, known_orders: pd.Index | None
) -> pd.DataFrame:
    """Rows of a batch knowable before ``as_of``: the same rules as :meth:`Dataset.before`."""
    past = rows_before(table, frame, as_of)
    if table == "contacts":
        known = known_orders if known_orders is not None else pd.Index([])
        past = outcomes_known_before(past, as_of, lambda ids: isin(ids, known))
    return past


def session_owner_codes(events: pd.DataFrame, owner: np.ndarray, mixed_sessions: pd.Series) -> np.ndarray:
    """Whom each event's session counts for: its own owner, unless the session is a shared one."""
    if not len(mixed_sessions) or not len(events):
        return owner
    at = positions(events[c.SESSION_ID], arrow_keys(mixed_sessions.index))
    return np.where(at >= 0, mixed_sessions.to_numpy(dtype=np.int64)[np.maximum(at, 0)], owner)


def tag_events(frame: pd.DataFrame, plan: PartitionPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sliced events with whom they count for (``_owner``, a position in the plan's customers, -1 for
    nobody) and the partition of that customer (``_part``, -1 for none); and copies of the events whose
    session counts for a customer of another partition, tagged with that partition (each partition counts
    only its own customers, so a copy is never counted twice). Events past retention are left out."""
    frame = plan.live(frame)
    owner = owner_codes(plan.codes(frame[c.CUSTOMER_ID]), frame[c.VISITOR_ID], plan.logins)
    session = session_owner_codes(frame, owner, plan.mixed_sessions)
    own_part = np.where(owner >= 0, plan.part_of[np.maximum(owner, 0)], -1)
    session_part = np.where(session >= 0, plan.part_of[np.maximum(session, 0)], -1)
    out = frame.assign(**{OWNER: owner, PART: own_part})
    extra = (session_part >= 0) & (session_part != own_part)
    return out, out[extra].assign(**{PART: session_part[extra]})


def tag_batch(table: str, frame: pd.DataFrame, plan: PartitionPlan, keep_all: bool = False) -> pd.DataFrame:
    """A sliced batch with the partition of each row (``_part``); rows of no customer in the plan go,
    unless ``keep_all`` (their ``_part`` is then -1: a writer that skips them spares a filtering copy)."""
    if table == "events":
        own, extra = tag_events(frame, plan)
        tagged = pd.concat([own, extra])
    else:
        codes = plan.codes(frame[c.CUSTOMER_ID])
        tagged = frame.assign(**{PART: np.where(codes >= 0, plan.part_of[np.maximum(codes, 0)], -1)})
        if table == "customers":
            tagged[CODE] = codes
    return tagged if keep_all else tagged[tagged[PART].to_numpy() >= 0]


def event_bounds(tagged: pd.DataFrame, plan: PartitionPlan) -> pd.DataFrame:
    """:func:`session_bounds` of events tagged by :func:`tag_events` (all of them, owned or not)."""
    return session_bounds(tagged[OWNER].to_numpy(), tagged[c.SESSION_ID])


def features_of_part(
    frames: dict[str, pd.DataFrame | None],
    products: pd.DataFrame,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    mixed_sessions: pd.Series,
    groups: Collection[str] = GROUPS,
) -> pd.DataFrame:
    """Features of one partition's customers from its tagged, sliced rows (``frames`` by table name): the
    profile and ``groups``, which read only their tables of ``frames`` (the others may be left out);
    ``mixed_sessions`` is the plan's (sessions counting for another customer than some of their events)."""
    events = frames.get("events")
    if events is None:
        events = pd.DataFrame({OWNER: np.zeros(0, np.int64), c.SESSION_ID: pd.Series([], dtype="str")})
    owner = events[OWNER].to_numpy(dtype=np.int64)
    owners = (owner, session_owner_codes(events, owner, mixed_sessions))
    customers = frames.get("customers")
    if customers is None:
        customers = pd.DataFrame({c.CUSTOMER_ID: pd.Series([], dtype="str"), CODE: np.zeros(0, np.int64)})
    plan_codes = pd.Series(
        customers[CODE].to_numpy(dtype=np.int64), index=customers[c.CUSTOMER_ID].to_numpy()
    )
    extra = [PART, OWNER, CODE]
    tables = {
        name: frames[name].drop(columns=extra, errors="ignore")
        for name in SPLIT_TABLES
        if frames.get(name) is not None
    }
    tables.setdefault("customers", customers.drop(columns=[CODE]))
    tables["products"] = products
    kept = rules.apply(tables, now)
    if "events" in tables and len(kept["events"]) != len(tables["events"]):
        # The retention rule dropped old events: keep the owners of the rows it kept.
        keep = ~rules.retention.expired("events", tables["events"], now).to_numpy()
        owners = (owners[0][keep], owners[1][keep])
    past = Dataset.from_frames(kept)

    def decided(index: CustomerIndex) -> EventOwners:
        # The index is sorted by id, as the plan's customers are: plan positions rise with index codes.
        known = plan_codes.reindex(index.ids).to_numpy(dtype=np.int64)
        return EventOwners(event=_local(owners[0], known), session=_local(owners[1], known))

    return features_of_past(past, as_of, owners=decided, groups=groups)


def _local(plan_positions: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Index codes of plan positions, given the (sorted) plan position of each index entry; -1 if absent."""
    if not len(known) or not len(plan_positions):
        return np.full(len(plan_positions), -1, dtype=np.int64)
    # A table from plan position to index code: one gather per event, where a binary search costs a
    # dozen steps.
    table = np.full(max(int(known.max()), int(plan_positions.max())) + 1, -1, dtype=np.int64)
    table[known] = np.arange(len(known), dtype=np.int64)
    return np.where(plan_positions >= 0, table[np.maximum(plan_positions, 0)], -1)


def combine_parts(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Partitions' features as one frame sorted by customer id, as the in-memory build returns it (an
    empty partition's text columns have no type to impose, so only non-empty ones are concatenated)."""
    filled = [piece for piece in pieces if len(piece)] or pieces[:1]
    out = pd.concat(filled, ignore_index=True).sort_values(c.CUSTOMER_ID, kind="stable")
    # A partition whose text column is all empty holds it as objects; infer again over all rows, as the
    # in-memory build does from its arrays.
    return pd.DataFrame({col: out[col].to_numpy() for col in out.columns})
