"""The local engine's partitioned feature build: Parquet read in batches, rows spilled to one folder per
partition, then each partition's features built in turn (peak memory: one partition, not the data set)."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features import columns as c
from features.customer_features.partitioned import (
    FEATURE_COLUMNS,
    LOGIN_COLUMNS,
    PART,
    SPLIT_TABLES,
    PartitionPlan,
    batch_logins,
    combine_parts,
    eligible_customers,
    event_bounds,
    features_of_part,
    merge_bounds,
    merge_logins,
    slice_batch,
    start_plan,
    tag_batch,
    tag_events,
)
from features.dataset import conform
from features.io import find_table_file
from features.privacy.rules import PrivacyRules
from features.schema import TABLES
from features.validate import typed_columns

BATCH_ROWS = 500_000
# Spilled rows are written as they are: LZ4 halves the files (about 1.5 GB at 100k customers) but costs
# a sixth of the build's CPU in compressing and decompressing them; the files are temporary.
SPILL_COMPRESSION: str | None = None
# The local build's partitions are smaller than a Dask task's: one partition's frames and features are
# its peak memory (1.13 GB at 100k customers with 13 partitions, 1.22 GB with 8), and past the split a
# partition costs little more than its rows (the same CPU within noise).
LOCAL_CUSTOMERS_PER_PARTITION = 8_000


def parquet_batches(path: Path | None, table: str, columns: tuple[str, ...]) -> Iterator[pd.DataFrame]:
    """The rows of a table file in batches, with only ``columns`` read and typed (nothing without a file)."""
    if path is None:
        return
    source = pq.ParquetFile(path)
    present = [col for col in columns if col in source.schema_arrow.names]
    for batch in source.iter_batches(batch_size=BATCH_ROWS, columns=present):
        yield typed_columns(TABLES[table], batch.to_pandas())


def read_whole(path: Path | None, table: str) -> pd.DataFrame | None:
    return (
        None if path is None else conform(TABLES[table], typed_columns(TABLES[table], pd.read_parquet(path)))
    )


class PartFolders:
    """One Arrow IPC file per (table, partition) of spilled rows; a partition is read back as one frame.

    IPC files hold Arrow's own memory layout: writing and reading them costs a fraction of Parquet's
    encoding, and the files live only as long as the build. A writer stays open per file,
    so each batch's rows go straight out (no buffer of rows waiting for a large write)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.writers: dict[tuple[str, int], tuple[pa.ipc.RecordBatchFileWriter, pa.Schema]] = {}
        self.options = pa.ipc.IpcWriteOptions(compression=SPILL_COMPRESSION)

    def write(self, table: str, tagged: pd.DataFrame) -> None:
        """Spill each row to the files of its partition (``_part``); rows of partition -1 are left out."""
        parts = tagged[PART].to_numpy()
        kept = np.flatnonzero(parts >= 0)
        order = kept[np.argsort(parts[kept], kind="stable")]
        rows = pa.Table.from_pandas(tagged.drop(columns=[PART]), preserve_index=False).take(order)
        sorted_parts = parts[order]
        bounds = np.flatnonzero(np.diff(sorted_parts)) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(order)]])
        for start, end in zip(starts, ends, strict=True):
            if end > start:
                writer, schema = self._writer(table, int(sorted_parts[start]), rows.schema)
                piece = rows.slice(start, end - start)
                # A batch whose text column is all empty may come without its type: take the file's.
                writer.write_table(piece if piece.schema == schema else piece.cast(schema))

    def _writer(
        self, table: str, part: int, schema: pa.Schema
    ) -> tuple[pa.ipc.RecordBatchFileWriter, pa.Schema]:
        key = (table, part)
        if key not in self.writers:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / f"{table}-{part}.arrow"
            self.writers[key] = (pa.ipc.new_file(str(path), schema, options=self.options), schema)
        return self.writers[key]

    def flush(self) -> None:
        for writer, _ in self.writers.values():
            writer.close()
        self.writers = {}

    def read(self, table: str, part: int) -> pd.DataFrame | None:
        path = self.root / f"{table}-{part}.arrow"
        if not path.exists():
            return None
        with pa.ipc.open_file(str(path)) as source:
            return source.read_all().to_pandas()


def known_order_ids(path: Path | None, as_of: pd.Timestamp) -> pd.Index:
    """Ids of the orders placed before ``as_of``: a conversion to a later order is not known yet."""
    found = [
        batch.loc[batch[c.ORDERED_AT] < as_of, c.ORDER_ID].unique()
        for batch in parquet_batches(path, "orders", (c.ORDER_ID, c.ORDERED_AT))
    ]
    return pd.Index(pd.unique(pd.concat([pd.Series(f) for f in found]))) if found else pd.Index([])


def plan_build(
    files: dict[str, Path | None],
    as_of: pd.Timestamp,
    parts: int | None,
    rules: PrivacyRules,
    now,
    only: pd.Index | None = None,
) -> tuple[PartitionPlan, pd.DataFrame]:
    """The plan (customers, their partitions, visitors' latest logins) and the customers in the build
    (of ``only``, if given: a training sample)."""
    customers = eligible_customers(read_whole(files["customers"], "customers"), as_of, rules, now, only)
    plan = start_plan(
        customers, as_of, parts or max(1, math.ceil(len(customers) / LOCAL_CUSTOMERS_PER_PARTITION))
    )
    logins = [
        batch_logins(batch, plan) for batch in parquet_batches(files["events"], "events", LOGIN_COLUMNS)
    ]
    return plan.with_logins(merge_logins(logins)), customers


def build_features_streamed(
    folder: Path,
    as_of: pd.Timestamp,
    rules: PrivacyRules,
    now: pd.Timestamp,
    parts: int | None = None,
    progress: Callable[[str], None] | None = None,
    only: pd.Index | None = None,
) -> pd.DataFrame:
    """Features of every customer of a Parquet data folder (already validated), partition by partition
    (of the customers ``only`` names, if given: the rows of others are left out as they are read).

    Equal to :func:`features.customer_features.build.build_customer_features` of the loaded folder."""
    step = progress or (lambda _name: None)
    files = {name: find_table_file(folder, name) for name in TABLES}
    step("planning partitions")
    plan, customers = plan_build(files, as_of, parts, rules, now, only)
    products = read_whole(files["products"], "products")
    known_orders = known_order_ids(files["orders"], as_of)
    with tempfile.TemporaryDirectory(prefix=".cible-parts-") as work:
        spill = PartFolders(Path(work))
        step("splitting by customer")
        spill.write("customers", tag_batch("customers", customers, plan))
        for table in ("orders", "contacts", "consents"):
            for batch in parquet_batches(files[table], table, FEATURE_COLUMNS[table]):
                sliced = slice_batch(table, batch, as_of, known_orders)
                spill.write(table, tag_batch(table, sliced, plan, keep_all=True))
        bounds = []
        for batch in parquet_batches(files["events"], "events", FEATURE_COLUMNS["events"]):
            own, _ = tag_events(slice_batch("events", batch, as_of, None), plan)
            bounds.append(event_bounds(own, plan))
            spill.write("events", own)
        plan = plan.with_mixed_sessions(merge_bounds(bounds))
        if len(plan.mixed_sessions):
            # Rare (a device shared by customers of different partitions): copy those sessions' events.
            mixed = plan.mixed_sessions.index
            for batch in parquet_batches(files["events"], "events", FEATURE_COLUMNS["events"]):
                batch = batch[batch[c.SESSION_ID].isin(mixed).to_numpy()]
                _, extra = tag_events(slice_batch("events", batch, as_of, None), plan)
                if len(extra):
                    spill.write("events", extra)
        spill.flush()
        built = []
        for part in range(plan.parts):
            step(f"features of partition {part + 1}/{plan.parts}")
            frames = {name: spill.read(name, part) for name in SPLIT_TABLES}
            built.append(features_of_part(frames, products, as_of, rules, now, plan.mixed_sessions))
    return combine_parts(built)
