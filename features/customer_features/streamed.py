"""The local engine's partitioned feature build: Parquet read in batches, rows spilled to one folder per
partition, then each partition's features built in turn (peak memory: one partition, not the data set)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features.build import FEATURE_COLUMNS, GROUPS, tables_read
from features.customer_features.event_pass import spill_events
from features.customer_features.partitioned import (
    SPLIT_TABLES,
    PartitionPlan,
    combine_parts,
    eligible_customers,
    features_of_part,
    slice_batch,
    start_plan,
    tag_batch,
    tag_events,
)
from features.customer_features.spill import TABLE_BATCH_ROWS, PartFolders, parquet_batches
from features.dataset import conform
from features.io import find_table_file
from features.memory import give_back
from features.privacy.rules import PrivacyRules
from features.schema import TABLES
from features.validate import typed_columns

# The local build's partitions are smaller than a Dask task's: one partition's frames and features are
# its peak memory (1.13 GB at 100k customers with 13 partitions, 1.22 GB with 8), and past the split a
# partition costs little more than its rows (the same CPU within noise).
LOCAL_CUSTOMERS_PER_PARTITION = 8_000


def read_whole(path: Path | None, table: str) -> pd.DataFrame | None:
    return (
        None if path is None else conform(TABLES[table], typed_columns(TABLES[table], pd.read_parquet(path)))
    )


def known_order_ids(batch: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Ids of a batch of orders placed before ``as_of``: a conversion to a later order is not known yet."""
    return batch.loc[batch[c.ORDERED_AT] < as_of, c.ORDER_ID].unique()


def plan_build(
    files: dict[str, Path | None],
    as_of: pd.Timestamp,
    parts: int | None,
    rules: PrivacyRules,
    now,
    only: pd.Index | None = None,
) -> tuple[PartitionPlan, pd.DataFrame]:
    """The plan (customers and their partitions; the logins come with the events' spill) and the
    customers in the build (of ``only``, if given: a training sample)."""
    customers = eligible_customers(read_whole(files["customers"], "customers"), as_of, rules, now, only)
    parts = parts or max(1, math.ceil(len(customers) / LOCAL_CUSTOMERS_PER_PARTITION))
    plan = start_plan(customers, as_of, parts, rules, now)
    return plan, customers


def spill_tables(
    files: dict[str, Path | None], plan: PartitionPlan, spill: PartFolders, tables: Collection[str]
) -> None:
    """Those of orders, contacts and consents in ``tables``, sliced at the plan's cutoff, to their
    customers' partitions; the orders are read first, as their ids tell which conversions are known at
    the cutoff (read for the contacts, spilled only if in ``tables``)."""
    as_of = plan.as_of
    placed: list[np.ndarray] = []
    contacts = "contacts" in tables
    for table in ("orders", "contacts", "consents"):
        if table not in tables and not (table == "orders" and contacts):
            continue
        if table == "contacts":
            found = [pd.Series(ids) for ids in placed]
            known_orders = pd.Index(pd.unique(pd.concat(found))) if found else pd.Index([])
        for batch in parquet_batches(
            files[table], table, FEATURE_COLUMNS[table], batch_rows=TABLE_BATCH_ROWS
        ):
            if table == "orders" and contacts:
                placed.append(known_order_ids(batch, as_of))
            if table in tables:
                sliced = slice_batch(table, batch, as_of, known_orders if table == "contacts" else None)
                spill.write(table, tag_batch(table, sliced, plan, keep_all=True))


def build_features_streamed(
    folder: Path,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    parts: int | None = None,
    progress: Callable[[str], None] | None = None,
    only: pd.Index | None = None,
    groups: Collection[str] = GROUPS,
) -> pd.DataFrame:
    """Features of every customer of a Parquet data folder (already validated), partition by partition
    (of the customers ``only`` names, if given: the rows of others are left out as they are read); the
    profile and ``groups`` (all by default).

    Equal to :func:`features.customer_features.build.build_customer_features` of the loaded folder."""
    features = combine_parts(
        list(features_by_partition(folder, as_of, rules, now, parts, progress, only, groups))
    )
    # The split's and the partitions' freed pages back to the system, not kept for the caller's next
    # work (~0.1 GB at 100k customers, under intent's matrix of visitors built next).
    give_back()
    return features


def features_by_partition(
    folder: Path,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    parts: int | None = None,
    progress: Callable[[str], None] | None = None,
    only: pd.Index | None = None,
    groups: Collection[str] = GROUPS,
) -> Iterator[pd.DataFrame]:
    """The features of :func:`build_features_streamed`, one customer partition after the other (a text
    column as the partition has it): for work on every customer that needs one partition's features at
    a time, not all of them at once.

    Only the tables ``groups`` read are read and split: the events, the bulk of the rows, only for the
    web group."""
    step = progress or (lambda _name: None)
    tables = tables_read(groups)
    files = {name: find_table_file(folder, name) for name in TABLES}
    step("planning partitions")
    plan, customers = plan_build(files, as_of, parts, rules, now, only)
    products = read_whole(files["products"], "products")
    with tempfile.TemporaryDirectory(prefix=".cible-parts-") as work:
        spill = PartFolders(Path(work))
        step("splitting by customer")
        spill.write("customers", tag_batch("customers", customers, plan))
        spill_tables(files, plan, spill, tables)
        if "events" in tables:
            plan = spill_events(files["events"], plan, spill)
        if len(plan.mixed_sessions):
            # Rare (a device shared by customers of different partitions): copy those sessions' events.
            mixed = plan.mixed_sessions.index
            for batch in parquet_batches(files["events"], "events", FEATURE_COLUMNS["events"]):
                batch = batch[batch[c.SESSION_ID].isin(mixed).to_numpy()]
                _, extra = tag_events(slice_batch("events", batch, as_of, None), plan)
                if len(extra):
                    spill.write("events", extra)
        spill.flush()
        for part in range(plan.parts):
            step(f"features of partition {part + 1}/{plan.parts}")
            frames = {name: spill.read(name, part) for name in SPLIT_TABLES if name in tables}
            yield features_of_part(frames, products, as_of, rules, now, plan.mixed_sessions, groups)
