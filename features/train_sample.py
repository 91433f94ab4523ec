"""Training on a sample of customers, so that training needs the memory of the sample, not of the data.

Model quality levels off well below a million customers, while a data set of that size needs several times
a laptop's memory in pandas; scoring and materialisation still cover every customer. With
``train_customers`` N (``CIBLE_TRAIN_CUSTOMERS``, ``--train-customers``), a data set holding more
customers is sampled as it is read from the validated cache, a group of record batches at a time, so the
whole tables are never in memory:

- the N customers with the smallest stable hash of their id (the same hash as customer partitions): the
  sample does not depend on row order, and a smaller sample is part of a larger one;
- every row of theirs in every table, and their visitors' anonymous events (before they logged in);
- rows of nobody at the same fraction: anonymous-only visitors' events and guest orders whose visitor or
  order id hashes within the sampled customers' range of hashes;
- products whole.

The privacy rules hold as in any load (the sample is drawn among the customers they leave), and what must
describe the whole data set does: the default cutoff ("today" for the data) and its number of customers,
read from the few columns they need.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features import columns as c
from features.arrays import isin
from features.dataset import Dataset, empty_frame
from features.load import batch_rules, customer_ids, read_dataset, validated
from features.privacy.batch_rules import TEXT, BatchRules, is_in, text_array
from features.privacy.rules import PrivacyRules
from features.reads import TableReads
from features.schema import TABLES, TIME_COLUMN
from features.validated_tables import ValidatedTables

SAMPLE_ENV = "CIBLE_TRAIN_CUSTOMERS"
_WHOLE_DATA = ("whole data set of a training sample",)  # key of the description in Dataset.shared


def stable_hashes(values: Sequence[str] | np.ndarray | pd.Series | pa.Array) -> np.ndarray:
    """A 64-bit hash of each id, the same in every process and on every machine."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        values = values.to_numpy(zero_copy_only=False)
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


@dataclass(frozen=True)
class CustomerSample:
    """The rows a training sample keeps, by table."""

    customers: pa.Array  # the sampled customer ids
    visitors: pa.Array  # the visitors their events carry: their anonymous events come along
    logged: pa.Array  # visitors who ever logged in and hash at or under ``bound``: never anonymous-only
    bound: int  # the largest sampled customer hash: rows of nobody hashing at or under it come along

    def keep(self, table: str, rows: pa.Table) -> pa.Array | pa.ChunkedArray | None:
        if table == "products":
            return None
        owner = rows[c.CUSTOMER_ID]
        mine = is_in(owner, self.customers)
        if table not in ("events", "orders") or not owner.null_count:
            return mine
        nobody = np.flatnonzero(owner.is_null().to_numpy(zero_copy_only=False))
        if table == "events":
            at = self._anonymous_events(rows[c.VISITOR_ID].take(pa.array(nobody)))
        else:  # guest orders, by order id
            at = stable_hashes(rows[c.ORDER_ID].take(pa.array(nobody))) <= self.bound
        along = np.zeros(rows.num_rows, dtype=bool)
        along[nobody[at]] = True
        return pc.or_(mine, pa.array(along))

    def _anonymous_events(self, visitors: pa.ChunkedArray) -> np.ndarray:
        """Which anonymous events come along: the sampled customers' visitors', and those of
        anonymous-only visitors hashing at or under ``bound`` (each distinct visitor hashed once)."""
        seen = pc.unique(visitors)
        hashed = seen.filter(pa.array(stable_hashes(seen) <= self.bound))
        anonymous = hashed.filter(pc.invert(is_in(hashed, self.logged)))
        chosen = pc.or_(is_in(visitors, self.visitors), is_in(visitors, anonymous))
        return chosen.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class WholeData:
    """What a training data set was drawn from: what must not depend on the sample."""

    train_customers: int | None  # the setting (None: every customer)
    customers: int  # customers of the whole data set, privacy rules applied
    default_as_of: pd.Timestamp | None  # the whole data set's :meth:`Dataset.default_as_of` (None: not read)
    folder: Path | None = None
    sample: pd.Index | None = None  # the sampled customer ids, once drawn
    # the rows the sample keeps: a later load of the same data (another pipeline's tables) reuses it
    drawn: CustomerSample | None = field(default=None, compare=False, repr=False)

    @property
    def sample_size(self) -> int:
        """Customers trained on."""
        limit = self.train_customers
        return self.customers if limit is None else min(limit, self.customers)

    @property
    def sampled(self) -> bool:
        return self.sample_size < self.customers

    def params(self) -> dict[str, str | int]:
        """Logged with every training run."""
        limit = "all" if self.train_customers is None else self.train_customers
        return {"train_customers": limit, "data_customers": self.customers}

    def describe(self) -> str:
        return f"training on a sample of {self.sample_size:,} of {self.customers:,} customers ({SAMPLE_ENV})"


def default_as_of(dataset: Dataset) -> pd.Timestamp:
    """:meth:`Dataset.default_as_of` of the whole data set ``dataset`` is, or is a sample of."""
    whole = whole_data(dataset)
    return whole.default_as_of if whole.default_as_of is not None else dataset.default_as_of()


def whole_data(dataset: Dataset) -> WholeData:
    """What ``dataset`` was drawn from: as :func:`load_training_data` recorded it, or ``dataset`` itself
    (every customer: loaded without a training sample, or built in memory)."""
    return dataset.shared(_WHOLE_DATA, lambda: WholeData(None, len(dataset.customers), None))


def sample_of(dataset: Dataset) -> WholeData | None:
    """The description of ``dataset`` if it is a training sample, else None."""
    whole = whole_data(dataset)
    return whole if whole.sampled else None


def load_training_data(
    folder: Path | str,
    train_customers: int | None,
    now: pd.Timestamp | None = None,
    privacy: PrivacyRules | None = None,
    reads: TableReads | None = None,
    like: WholeData | None = None,
    since: Mapping[str, pd.Timestamp] | None = None,
    dictionary: Mapping[str, Collection[str]] | None = None,
) -> Dataset:
    """:func:`features.load.load_dataset`, sampled to ``train_customers`` customers when the data holds
    more (None: every customer; the data set is then exactly the one ``load_dataset`` gives); only
    ``reads`` (:mod:`features.reads`) and rows from ``since`` (by table) if given. ``like``: what an
    earlier load of the same folder with the same setting described (:func:`whole_data` of it): the
    sample is not drawn again. ``dictionary``: by table, text columns read as categoricals."""
    now, rules, tables = validated(folder, now, privacy)
    drops = batch_rules(tables, rules, now)
    if like is not None and (like.folder, like.train_customers) == (Path(folder), train_customers):
        whole = like
    else:
        ids = kept_customer_ids(tables, drops)
        # read in part, the data set may not hold the tables its default cutoff is read from
        as_of = whole_as_of(tables, drops) if reads is not None else None
        whole = WholeData(train_customers, len(ids), as_of, Path(folder))
        if whole.sampled:
            sample = draw(tables, ids, whole.sample_size)
            customers = pd.Index(sample.customers)
            whole = replace(whole, default_as_of=whole_as_of(tables, drops), sample=customers, drawn=sample)
    dataset = read_dataset(
        tables, rules, now, whole.drawn, drops, reads=reads, since=since, dictionary=dictionary
    )
    dataset.shared(_WHOLE_DATA, lambda: whole)
    return dataset


def describe_whole(
    folder: Path | str, train_customers: int | None, now: pd.Timestamp | None = None
) -> WholeData:
    """:class:`WholeData` of a folder without loading it: its customer ids and the time columns of its
    cutoff are read, nothing else (the sample itself is not drawn)."""
    now, rules, tables = validated(folder, now, None)
    drops = batch_rules(tables, rules, now)
    ids = kept_customer_ids(tables, drops)
    return WholeData(train_customers, len(ids), whole_as_of(tables, drops), Path(folder))


def kept_customer_ids(tables: ValidatedTables, drops: BatchRules) -> pd.Series:
    """The ids of the customers the privacy rules keep."""
    ids = customer_ids(tables)
    if not len(drops.erased):
        return ids
    return ids[~isin(ids, pd.Series(drops.erased.to_pylist(), dtype="str"))].reset_index(drop=True)


def draw(tables: ValidatedTables, ids: pd.Series, size: int) -> CustomerSample:
    """The sample of ``size`` customers among ``ids``, and the visitors whose events come along."""
    ordered = np.sort(ids.to_numpy(dtype=object))  # ties of hashes (if ever) broken by id
    hashes = stable_hashes(ordered)
    picked = np.argsort(hashes, kind="stable")[:size]
    customers = pa.array(np.sort(ordered[picked]), type=TEXT)
    bound = int(hashes[picked[-1]])
    if "events" not in tables.names:
        return CustomerSample(customers, text_array([]), text_array([]), bound)
    theirs, logged = [], []
    for group in tables.groups("events", [c.CUSTOMER_ID, c.VISITOR_ID]):
        owner, visitor = group[c.CUSTOMER_ID], group[c.VISITOR_ID]
        theirs.append(pc.unique(visitor.filter(is_in(owner, customers))))
        logged.append(pc.unique(visitor.filter(owner.is_valid())))
    everyone_logged = _unique(logged)
    logged_under = everyone_logged.filter(pa.array(stable_hashes(everyone_logged) <= bound))
    return CustomerSample(customers, _unique(theirs), logged_under, bound)


def _unique(pieces: list[pa.Array]) -> pa.Array:
    return pc.unique(pa.chunked_array(pieces, type=TEXT)) if pieces else text_array([])


def whole_as_of(tables: ValidatedTables, drops: BatchRules) -> pd.Timestamp:
    """:meth:`Dataset.default_as_of` of the whole data set, from its time columns only (and the id
    columns the privacy rules need)."""
    latest = {}
    for name in ("customers", "orders", "events"):
        column = TIME_COLUMN[name]
        latest[name] = pd.DataFrame(
            {column: pd.Series([_latest(tables, drops, name)], dtype="datetime64[us]")}
        )
    frames = {name: latest.get(name, empty_frame(table)) for name, table in TABLES.items()}
    return Dataset(**frames).default_as_of()


def _latest(tables: ValidatedTables, drops: BatchRules, name: str) -> object:
    """The latest time of ``name``'s rows the privacy rules keep (None: no row)."""
    if name not in tables.names:
        return None
    column = TIME_COLUMN[name]
    needed = [column]
    if len(drops.erased):
        needed += [c.CUSTOMER_ID] + ([c.VISITOR_ID] if name == "events" else [])
    latest = None
    for group in tables.groups(name, needed):
        dropped = drops.dropped(name, group)
        times = group[column] if dropped is None else group[column].filter(pc.invert(dropped))
        top = pc.max(times).as_py()
        if top is not None and (latest is None or top > latest):
            latest = top
    return latest
