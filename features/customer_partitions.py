"""A data set too large for memory, loaded one partition of customers at a time (``cible score`` and
``cible materialize``): each partition is a normal :class:`~features.dataset.Dataset`.

Customer ``k`` of ``P`` partitions holds the customers whose stable hash (:func:`features.train_sample.
stable_hashes`, the same as the training sample's and the partitioned feature build's) modulo ``P`` is
``k``, and:

- every row of theirs in every table;
- their visitors' anonymous events (before they logged in): a visitor's anonymous events go to the
  partition of the customer it logged in as last (latest login, then greatest id), so a device shared by
  customers of two partitions gives its anonymous events to one of them only (each row lands once);
- rows of nobody, by the hash of their own id: anonymous-only visitors' events by visitor id, guest
  orders by order id;
- products whole.

The validated cache is read once and split into one set of Feather files per partition (a temporary
folder in the home); each partition is then read from its files with the privacy rules of the whole data
(:func:`features.load.batch_rules`: who is erased and their devices), exactly as a normal load applies
them. What must describe the whole data set (its number of customers, its default cutoff) is read from
the few columns it needs, as for a training sample.

With one partition (data of at most ``CIBLE_PARTITION_CUSTOMERS`` customers) the data set is the one
:func:`features.load.load_dataset` gives, read the same way.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features.dataset import Dataset
from features.load import batch_rules, read_dataset, validated
from features.memory import give_back
from features.offers.eligible import shop_spend, with_shop_spend
from features.privacy.batch_rules import BatchRules
from features.privacy.rules import PrivacyRules
from features.train_sample import kept_customer_ids, stable_hashes, whole_as_of
from features.validated_tables import FeatherTables, Probe, ValidatedTables

WHOLE_TABLES = ("products",)  # read whole by every partition, never split
SPLIT_COMPRESSION = "lz4"  # as the validated cache: the split files are as large as the cache
REDUCE_ROWS = 4_000_000  # distinct (visitor, customer) pairs held before they are reduced again


def partition_count(customers: int, per_partition: int) -> int:
    """Partitions of a data set of ``customers``: one per ``per_partition`` customers, at least one."""
    return max(1, math.ceil(customers / max(1, per_partition)))


def partition_of(values: pa.Array | pa.ChunkedArray | np.ndarray, parts: int) -> np.ndarray:
    """Partition of each id: its stable hash modulo ``parts`` (int64)."""
    return (stable_hashes(values) % np.uint64(parts)).astype(np.int64)


@dataclass(frozen=True)
class RowPartitions:
    """Which partition each row of a table goes to."""

    parts: int
    visitors: pd.Series  # visitor id -> partition of the customer it logged in as last

    def of(self, table: str, rows: pa.Table) -> np.ndarray:
        if c.CUSTOMER_ID not in rows.column_names:
            raise ValueError(f"{table} has no {c.CUSTOMER_ID}: it is not split by customer")
        owner = rows[c.CUSTOMER_ID]
        if not owner.null_count:
            return partition_of(owner, self.parts)
        out = np.full(rows.num_rows, -1, dtype=np.int64)
        known = owner.is_valid().to_numpy(zero_copy_only=False)
        out[known] = partition_of(owner.filter(pa.array(known)), self.parts)
        nobody = pa.array(~known)
        if table == "events":
            visitors = rows[c.VISITOR_ID].filter(nobody).to_numpy(zero_copy_only=False)
            logged = self.visitors.reindex(visitors).to_numpy(dtype=np.float64)
            own = partition_of(visitors, self.parts) if len(visitors) else np.zeros(0, np.int64)
            out[~known] = np.where(np.isnan(logged), own, logged).astype(np.int64)
        elif table == "orders":
            out[~known] = partition_of(rows[c.ORDER_ID].filter(nobody), self.parts)
        else:  # not nullable in the schema; kept whole-data-safe anyway: by partition 0
            out[~known] = 0
        return out


def visitor_partitions(tables: ValidatedTables, parts: int) -> pd.Series:
    """For every visitor who ever logged in: the partition of the customer it logged in as last."""
    if "events" not in tables.names:
        return pd.Series([], dtype=np.int64)
    key = [c.VISITOR_ID, c.CUSTOMER_ID]
    pairs: list[pa.Table] = []
    held = 0
    for group in tables.groups("events", key):
        logged = group.filter(group[c.CUSTOMER_ID].is_valid())
        pairs.append(logged.group_by(key).aggregate([]))  # distinct (visitor, customer) pairs
        held += pairs[-1].num_rows
        if held > REDUCE_ROWS:  # a customer's pairs recur in every month's batches: reduce as they come
            pairs = [_distinct(pairs, key)]
            held = pairs[0].num_rows
    both = _distinct(pairs, key).to_pandas() if pairs else pd.DataFrame(columns=key)
    if both.empty:
        return pd.Series([], dtype=np.int64)
    shared = both[c.VISITOR_ID].duplicated(keep=False)
    single = both[~shared]
    owner = pd.Series(single[c.CUSTOMER_ID].to_numpy(), index=single[c.VISITOR_ID].to_numpy())
    if shared.any():  # rare: a device several customers logged in on; the latest login decides
        owner = pd.concat([owner, _latest_logins(tables, pd.Index(both.loc[shared, c.VISITOR_ID].unique()))])
    return pd.Series(partition_of(owner.to_numpy(dtype=object), parts), index=owner.index)


def _distinct(pieces: list[pa.Table], key: list[str]) -> pa.Table:
    return pa.concat_tables(pieces).group_by(key).aggregate([])


def _latest_logins(tables: ValidatedTables, visitors: pd.Index) -> pd.Series:
    """Visitor -> the customer it logged in as last (greatest id at equal times)."""
    found = []
    for group in tables.groups("events", [c.VISITOR_ID, c.CUSTOMER_ID, c.OCCURRED_AT]):
        frame = group.filter(group[c.CUSTOMER_ID].is_valid()).to_pandas()
        found.append(frame[frame[c.VISITOR_ID].isin(visitors)])
    logins = pd.concat(found, ignore_index=True).sort_values([c.VISITOR_ID, c.OCCURRED_AT, c.CUSTOMER_ID])
    last = logins.drop_duplicates(c.VISITOR_ID, keep="last")
    return pd.Series(last[c.CUSTOMER_ID].to_numpy(), index=last[c.VISITOR_ID].to_numpy())


class PartTables(ValidatedTables):
    """One partition's tables: its own Feather files, and the whole data's for the tables never split."""

    def __init__(self, whole: ValidatedTables, folder: Path) -> None:
        self.whole = whole
        self.names = whole.names
        self.own = FeatherTables(folder, [name for name in whole.names if name not in WHOLE_TABLES])

    def _of(self, name: str) -> ValidatedTables:
        return self.whole if name in WHOLE_TABLES else self.own

    def schema(self, name: str) -> pa.Schema:
        return self._of(name).schema(name)

    def batches(
        self, name: str, columns: Sequence[str] | None = None, probe: Probe | None = None
    ) -> Iterator[pa.RecordBatch]:
        return self._of(name).batches(name, columns, probe)


def split_tables(
    tables: ValidatedTables, parts: int, root: Path, only: Collection[str] | None = None
) -> list[ValidatedTables]:
    """Every split table of ``tables`` (of ``only`` and the customers, if given: the partitions are then
    read with ``only``) read once and written to one Feather file per partition under ``root/<k>/``
    (rows in their order), for :class:`PartTables` to read each partition from."""
    names = sorted(
        name
        for name in tables.names - set(WHOLE_TABLES)
        if only is None or name == "customers" or name in only
    )
    visitors = visitor_partitions(tables, parts) if "events" in names else pd.Series([], dtype=np.int64)
    rows = RowPartitions(parts, visitors)
    folders = [root / str(k) for k in range(parts)]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    options = pa.ipc.IpcWriteOptions(compression=SPLIT_COMPRESSION)
    for name in names:
        schema = tables.schema(name)
        sinks = [pa.OSFile(str(folder / f"{name}.feather"), "wb") for folder in folders]
        writers = [pa.ipc.new_file(sink, schema, options=options) for sink in sinks]
        try:
            for group in tables.groups(name):
                part = rows.of(name, group)
                order = np.argsort(part, kind="stable")  # rows of a partition together, in their order
                grouped = group.take(pa.array(order))
                bounds = np.searchsorted(part[order], np.arange(parts + 1))
                for k in range(parts):
                    if bounds[k + 1] > bounds[k]:
                        piece = grouped.slice(int(bounds[k]), int(bounds[k + 1] - bounds[k]))
                        writers[k].write_table(piece if piece.schema.equals(schema) else piece.cast(schema))
                del group, grouped
        finally:
            for writer, sink in zip(writers, sinks, strict=True):
                writer.close()
                sink.close()
    return [PartTables(tables, folder) for folder in folders]


@dataclass(frozen=True)
class PartitionedData:
    """A validated data folder and what describes it whole, ready to be loaded partition by partition."""

    tables: ValidatedTables
    rules: PrivacyRules
    drops: BatchRules
    now: pd.Timestamp
    customers: int  # customers the privacy rules keep, in the whole data
    parts: int
    work: Path  # where the split files go (a temporary folder is made in it)

    def default_as_of(self) -> pd.Timestamp:
        """:meth:`Dataset.default_as_of` of the whole data set, from its time columns only."""
        return whole_as_of(self.tables, self.drops)

    def load(self, only: Sequence[str] | None = None) -> Dataset:
        """The whole data set (of the tables ``only`` names, if given: the others left empty)."""
        return self.read(self.tables, only)

    def read(self, tables: ValidatedTables, only: Sequence[str] | None = None) -> Dataset:
        """The data set of ``tables`` (a partition's, or the whole data's) under the whole data's rules."""
        return read_dataset(tables, self.rules, self.now, drops=self.drops, only=only)

    @contextmanager
    def split(self, only: Collection[str] | None = None) -> Iterator[list[ValidatedTables]]:
        """Each partition's tables (the whole data's for one partition), until the block ends; with
        ``only``, just those tables are split (and the customers): read the partitions with ``only``."""
        if self.parts == 1:
            yield [self.tables]
            return
        self.work.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".cible-partitions-", dir=self.work) as root:
            split = split_tables(self.tables, self.parts, Path(root), only)
            give_back()  # the split's buffers
            yield split

    @contextmanager
    def partitions(self, as_of: pd.Timestamp | None = None) -> Iterator[Partitions]:
        """Each partition's data set in turn (one in memory at a time; walked again, read again: a
        command that needs a fact of every partition first); the split files are removed when the block
        ends. One partition: the whole data set, read as :meth:`load` reads it.

        With ``as_of``, each partition knows the whole shop's spend per category at ``as_of``
        (:func:`features.offers.eligible.shop_spend`), summed over the partitions' orders first."""
        with self.split() as split:
            if as_of is None or self.parts == 1:
                yield Partitions(self, split)
                return
            pieces = [shop_spend(self.read(tables, only=("orders", "products")), as_of) for tables in split]
            spend = pd.concat(pieces).groupby(level=0).sum() if pieces else pd.Series([], dtype=float)
            yield Partitions(self, split, as_of, spend)


@dataclass(frozen=True)
class Partitions:
    """The partitions of :meth:`PartitionedData.partitions`, each read from its files when reached."""

    data: PartitionedData
    split: list[ValidatedTables]
    as_of: pd.Timestamp | None = None
    spend: pd.Series | None = None  # the whole shop's spend per category at ``as_of``

    def __len__(self) -> int:
        return len(self.split)

    def __iter__(self) -> Iterator[Dataset]:
        """Each partition's data set, read once the previous one's memory, which the caller has let go
        of, is back with the system; the last one's too, before the caller puts the shares together."""
        for tables in self.split:
            give_back()
            dataset = self.data.read(tables)
            if self.spend is None or self.as_of is None:
                yield dataset
            else:
                yield with_shop_spend(dataset, self.as_of, self.spend)
            del dataset  # not held here while the next is read
        give_back()


def partitioned_data(
    folder: Path | str,
    per_partition: int,
    work: Path,
    now: pd.Timestamp | None = None,
    privacy: PrivacyRules | None = None,
) -> PartitionedData:
    """A data folder validated (or its cache found) and described, not loaded: one partition per
    ``per_partition`` customers the privacy rules keep; ``work``: where the split files are written."""
    now, rules, tables = validated(folder, now, privacy)
    drops = batch_rules(tables, rules, now)
    customers = len(kept_customer_ids(tables, drops))
    return PartitionedData(
        tables, rules, drops, now, customers, partition_count(customers, per_partition), Path(work)
    )
