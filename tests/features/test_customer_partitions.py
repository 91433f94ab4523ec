"""Loading a data set one partition of customers at a time: every customer lands in exactly one partition
(the one its stable hash names) with every row of theirs; anonymous visitors' events and guest orders land
once; the partitions together are the whole data set; an erased customer is in none; one partition is the
whole load itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from features import columns as c
from features.customer_partitions import (
    PartitionedData,
    RowPartitions,
    partition_count,
    partition_of,
    partitioned_data,
    visitor_partitions,
)
from features.dataset import Dataset
from features.load import load_dataset
from features.offers.eligible import favourite_categories, shop_spend
from features.privacy.rules import PrivacyRules
from features.schema import TABLES
from features.settings import PARTITION_CUSTOMERS_ENV, SettingError, Settings
from features.validated_tables import FrameTables
from tests.homes import fresh_home

PARTS = 3


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with fresh_home(tmp_path_factory, "partition_home") as settings:
        yield settings


@pytest.fixture(scope="module")
def whole(home: Settings, small_synthetic_dir: Path) -> Dataset:
    return load_dataset(small_synthetic_dir)


def _data(folder: Path, per_partition: int, home: Settings) -> PartitionedData:
    return partitioned_data(folder, per_partition, home.home / "work")


@pytest.fixture(scope="module")
def parts(home: Settings, small_synthetic_dir: Path) -> list[Dataset]:
    data = _data(small_synthetic_dir, 500, home)  # 1,500 customers
    assert data.parts == PARTS
    with data.partitions() as loaded:
        out = list(loaded)
    assert not any((home.home / "work").iterdir())  # the split files are gone
    return out


def _sorted(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


KEYS = {
    "customers": [c.CUSTOMER_ID],
    "orders": [c.ORDER_ID, c.SKU, c.ORDERED_AT, c.QUANTITY],
    "events": [c.EVENT_ID],
    "contacts": [c.CONTACT_ID],
    "assignments": [c.CAMPAIGN_ID, c.CUSTOMER_ID],
    "consents": [c.CUSTOMER_ID, c.PURPOSE, c.RECORDED_AT],
}


def test_the_partitions_together_are_the_whole_data_set(whole: Dataset, parts: list[Dataset]) -> None:
    for name in TABLES:
        if name == "products":
            for part in parts:
                pd.testing.assert_frame_equal(part.products, whole.products)
            continue
        together = pd.concat([getattr(p, name) for p in parts], ignore_index=True)
        assert len(together) == len(getattr(whole, name)), name  # every row once
        expected = getattr(whole, name)
        pd.testing.assert_frame_equal(_sorted(together, KEYS[name]), _sorted(expected, KEYS[name]), obj=name)
        for part in parts:  # the canonical dtypes, as a normal load gives them
            assert getattr(part, name).dtypes.equals(expected.dtypes), name


def test_each_customer_is_in_the_partition_of_its_hash_with_every_row(
    whole: Dataset, parts: list[Dataset]
) -> None:
    for k, part in enumerate(parts):
        ids = part.customers[c.CUSTOMER_ID]
        assert len(ids) and (partition_of(ids.to_numpy(), PARTS) == k).all()
        for name in ("orders", "events", "contacts", "assignments", "consents"):
            frame = getattr(part, name)
            owners = frame[c.CUSTOMER_ID].dropna()
            assert owners.isin(set(ids)).all(), name
            everyone = getattr(whole, name)
            assert (everyone[c.CUSTOMER_ID].isin(set(ids))).sum() == len(owners), name


def test_anonymous_rows_go_with_their_visitor_or_by_their_own_hash(
    whole: Dataset, parts: list[Dataset]
) -> None:
    logged = whole.events.dropna(subset=[c.CUSTOMER_ID]).drop_duplicates(c.VISITOR_ID)
    owner_of = dict(zip(logged[c.VISITOR_ID], logged[c.CUSTOMER_ID], strict=True))
    seen = 0
    for k, part in enumerate(parts):
        anonymous = part.events[part.events[c.CUSTOMER_ID].isna()]
        seen += len(anonymous)
        for visitor in anonymous[c.VISITOR_ID].unique():
            owner = owner_of.get(visitor, visitor)  # a customer's device goes with them, else by its own id
            assert partition_of(np.array([owner], dtype=object), PARTS)[0] == k
        guests = part.orders[part.orders[c.CUSTOMER_ID].isna()]
        assert (partition_of(guests[c.ORDER_ID].to_numpy(), PARTS) == k).all()
    assert seen == whole.events[c.CUSTOMER_ID].isna().sum() > 0
    assert whole.orders[c.CUSTOMER_ID].isna().any()


def test_an_erased_customer_is_in_no_partition(
    home: Settings, small_synthetic_dir: Path, whole: Dataset, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CIBLE_HOME", str(tmp_path / "home"))
    settings = Settings.from_env()
    erased = whole.orders[c.CUSTOMER_ID].dropna().iloc[0]
    devices = set(whole.events.loc[whole.events[c.CUSTOMER_ID] == erased, c.VISITOR_ID])
    PrivacyRules.from_settings(settings).add_tombstone(erased)
    data = partitioned_data(small_synthetic_dir, 500, tmp_path / "work")
    assert data.customers == len(whole.customers) - 1
    with data.partitions() as loaded:
        for part in loaded:
            for name in ("customers", "orders", "events", "contacts", "consents", "assignments"):
                assert erased not in set(getattr(part, name)[c.CUSTOMER_ID].dropna()), name
            assert not devices & set(part.events[c.VISITOR_ID])  # nor their devices' anonymous events


def test_one_partition_is_the_whole_load(home: Settings, small_synthetic_dir: Path, whole: Dataset) -> None:
    data = _data(small_synthetic_dir, 1500, home)
    assert data.parts == 1 and data.customers == 1500
    assert data.default_as_of() == whole.default_as_of()
    with data.partitions() as loaded:
        (only,) = list(loaded)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(only, name), getattr(whole, name), obj=name)


def test_the_partition_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert partition_count(1500, 100_000) == 1 and partition_count(1500, 500) == 3
    assert partition_count(1501, 500) == 4 and partition_count(0, 500) == 1
    monkeypatch.setenv(PARTITION_CUSTOMERS_ENV, "50_000")
    assert Settings.from_env().partition_customers == 50_000
    monkeypatch.setenv(PARTITION_CUSTOMERS_ENV, "0")
    with pytest.raises(SettingError, match=PARTITION_CUSTOMERS_ENV):
        Settings.from_env()


def test_each_partition_knows_the_whole_shops_spend(
    home: Settings, small_synthetic_dir: Path, whole: Dataset
) -> None:
    """A customer who refused profiling is offered the shop's category of most spend: the whole shop's,
    not their partition's."""
    as_of = whole.default_as_of()
    expected = shop_spend(whole, as_of)
    data = _data(small_synthetic_dir, 500, home)
    with data.partitions(as_of) as loaded:
        for part in loaded:
            pd.testing.assert_series_equal(shop_spend(part, as_of), expected, check_exact=False, rtol=1e-12)
            ids = pd.Index(part.customers[c.CUSTOMER_ID])
            nobody = np.zeros(len(ids), dtype=bool)
            for allowed in ((), tuple(sorted(expected.index)[:2])):
                got = favourite_categories(part, as_of, ids, allowed, nobody)
                assert (got == favourite_categories(whole, as_of, ids, allowed, nobody)).all()
    # without the whole shop's, a partition's own orders would answer
    with data.partitions() as loaded:
        own = shop_spend(next(iter(loaded)), as_of)
    assert own.sum() < expected.sum()


def test_a_shared_devices_anonymous_events_go_with_its_latest_login_once(whole: Dataset) -> None:
    events = whole.events.copy()
    logged = events.dropna(subset=[c.CUSTOMER_ID])
    browsed = set(events.loc[events[c.CUSTOMER_ID].isna(), c.VISITOR_ID])
    device = logged.loc[logged[c.VISITOR_ID].isin(browsed), c.VISITOR_ID].iloc[0]  # anonymous, then logged
    first = logged.loc[logged[c.VISITOR_ID] == device, c.CUSTOMER_ID].iloc[0]
    second = logged.loc[logged[c.CUSTOMER_ID] != first, c.CUSTOMER_ID].iloc[0]
    # the second customer logs in on the first's device, after every event of it
    later = events.loc[events[c.VISITOR_ID] == device, c.OCCURRED_AT].max() + pd.Timedelta(hours=1)
    row = logged[logged[c.CUSTOMER_ID] == second].index[0]
    events.loc[row, [c.VISITOR_ID, c.OCCURRED_AT]] = [device, later]
    tables = FrameTables({"events": events})
    parts = 7
    visitors = visitor_partitions(tables, parts)
    assert visitors.index.is_unique
    latest = partition_of(np.array([second], dtype=object), parts)[0]
    assert visitors[device] == latest
    rows = RowPartitions(parts, visitors).of("events", pa.Table.from_pandas(events, preserve_index=False))
    anonymous = (events[c.VISITOR_ID] == device).to_numpy() & events[c.CUSTOMER_ID].isna().to_numpy()
    assert anonymous.any() and (rows[anonymous] == latest).all()
    assert (rows >= 0).all() and (rows < parts).all()  # every row in exactly one partition
