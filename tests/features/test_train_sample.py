"""Training on a sample of customers (``train_customers``): the sample is exactly that many customers,
the same whatever the order of the rows, a smaller one part of a larger one; it holds every row of its
customers in every table (their visitors' anonymous events before login too) and nothing of anyone else
but anonymous visitors and guest orders at the same fraction; read a record batch at a time it is the
same; the cutoff and the customer count are the whole data set's; below the threshold nothing changes.
The engines build the sample's customers' features, and every customer's when asked."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from cible.common import resolve_as_of
from features import columns as c
from features import validated_tables
from features.batch_engine import LocalEngine, open_engine
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.engine import EngineConfig, EngineKind
from features.load import load_dataset
from features.privacy.rules import PrivacyRules
from features.settings import DEFAULT_TRAIN_CUSTOMERS, SettingError, Settings
from features.train_sample import load_training_data, stable_hashes, whole_data
from tests.homes import fresh_home

TABLES_OF_CUSTOMERS = ("customers", "contacts", "assignments", "consents")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with fresh_home(tmp_path_factory, "sample_home") as settings:
        yield settings


@pytest.fixture(scope="module")
def whole(home: Settings, small_synthetic_dir: Path) -> Dataset:
    return load_dataset(small_synthetic_dir)


@pytest.fixture(scope="module")
def sample(home: Settings, small_synthetic_dir: Path) -> Dataset:
    return load_training_data(small_synthetic_dir, 400)


def ids(dataset: Dataset) -> set[str]:
    return set(dataset.customers[c.CUSTOMER_ID])


def rows_of(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    return frame[keep.to_numpy()].reset_index(drop=True)


def test_the_sample_is_exact_stable_and_nested(
    home: Settings, small_synthetic_dir: Path, whole: Dataset, sample: Dataset, tmp_path: Path
) -> None:
    assert len(sample.customers) == 400 and len(whole.customers) == 1500
    chosen = ids(sample)
    # the 400 smallest hashes of the ids: a property of the ids, not of where the rows are
    everyone = whole.customers[c.CUSTOMER_ID].to_numpy()
    assert chosen == set(everyone[stable_hashes(everyone).argsort()[:400]])
    assert ids(load_training_data(small_synthetic_dir, 400)) == chosen
    assert chosen < ids(load_training_data(small_synthetic_dir, 700))
    shuffled = tmp_path / "shuffled"
    shutil.copytree(small_synthetic_dir, shuffled)
    for name in ("customers", "orders", "events"):
        frame = pd.read_parquet(shuffled / f"{name}.parquet")
        frame.iloc[::-1].to_parquet(shuffled / f"{name}.parquet", index=False)
    again = load_training_data(shuffled, 400)
    assert ids(again) == chosen
    assert set(again.events[c.EVENT_ID]) == set(sample.events[c.EVENT_ID])
    assert set(again.orders[c.ORDER_ID]) == set(sample.orders[c.ORDER_ID])


def test_the_sample_holds_every_row_of_its_customers_and_none_of_others(
    whole: Dataset, sample: Dataset
) -> None:
    chosen = pd.Index(sorted(ids(sample)))
    for name in TABLES_OF_CUSTOMERS:
        full = whole.frames()[name]
        expected = rows_of(full, full[c.CUSTOMER_ID].isin(chosen))
        pd.testing.assert_frame_equal(sample.frames()[name], expected, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(sample.products, whole.products, check_exact=True)
    for name in ("orders", "events"):
        full, got = whole.frames()[name], sample.frames()[name]
        theirs = got[c.CUSTOMER_ID].notna()
        assert set(got.loc[theirs, c.CUSTOMER_ID]) <= set(chosen), name
        expected = rows_of(full, full[c.CUSTOMER_ID].isin(chosen))
        pd.testing.assert_frame_equal(rows_of(got, theirs), expected, check_exact=True, obj=name)
    # rows of nobody come along at about the sample's fraction (400 of 1,500)
    guest = whole.orders[c.CUSTOMER_ID].isna()
    kept = sample.orders[c.CUSTOMER_ID].isna()
    share = sample.orders.loc[kept, c.ORDER_ID].nunique() / whole.orders.loc[guest, c.ORDER_ID].nunique()
    assert 0.15 < share < 0.4
    logged = set(whole.events.loc[whole.events[c.CUSTOMER_ID].notna(), c.VISITOR_ID])
    anonymous = whole.events[~whole.events[c.VISITOR_ID].isin(logged)]
    came = sample.events[~sample.events[c.VISITOR_ID].isin(logged)]
    assert 0.15 < came[c.VISITOR_ID].nunique() / anonymous[c.VISITOR_ID].nunique() < 0.4
    # every event of an anonymous-only visitor or of none
    assert (
        came.groupby(c.VISITOR_ID)
        .size()
        .equals(anonymous[anonymous[c.VISITOR_ID].isin(set(came[c.VISITOR_ID]))].groupby(c.VISITOR_ID).size())
    )


def test_a_visitors_events_before_login_follow_the_customer(whole: Dataset, sample: Dataset) -> None:
    events = whole.events
    chosen = ids(sample)
    logins = events[events[c.CUSTOMER_ID].isin(chosen)].groupby(c.VISITOR_ID)[c.OCCURRED_AT].min()
    before = events[
        events[c.CUSTOMER_ID].isna()
        & events[c.VISITOR_ID].isin(logins.index)
        & (events[c.OCCURRED_AT] < events[c.VISITOR_ID].map(logins))
    ]
    assert len(before) > 20
    assert set(before[c.EVENT_ID]) <= set(sample.events[c.EVENT_ID])
    others = events[~events[c.CUSTOMER_ID].isin(chosen) & events[c.CUSTOMER_ID].notna()]
    their_visitors = set(others[c.VISITOR_ID]) - set(logins.index)
    anonymous_of_others = events[events[c.CUSTOMER_ID].isna() & events[c.VISITOR_ID].isin(their_visitors)]
    assert len(anonymous_of_others) and not set(anonymous_of_others[c.EVENT_ID]) & set(
        sample.events[c.EVENT_ID]
    )


def test_read_a_record_batch_at_a_time_the_sample_is_the_same(
    home: Settings, small_synthetic_dir: Path, sample: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validated_tables, "GROUP_ROWS", 1)
    batch_wise = load_training_data(small_synthetic_dir, 400)
    for name, frame in sample.frames().items():
        pd.testing.assert_frame_equal(batch_wise.frames()[name], frame, check_exact=True, obj=name)


def test_a_load_of_some_columns_is_those_of_the_whole_load_and_reuses_the_sample(
    home: Settings, small_synthetic_dir: Path, sample: Dataset, whole: Dataset
) -> None:
    """What ``train all`` loads for a pipeline (features.reads): the columns asked, the customer id and
    the time column, the rows of the full load; other tables empty; the sample drawn once."""
    reads = {"orders": (c.SKU, c.QUANTITY), "products": None}
    for full, limit in ((sample, 400), (whole, None)):
        part = load_training_data(small_synthetic_dir, limit, reads=reads, like=whole_data(sample))
        if limit is None:  # another setting than the earlier load's: described again, not reused
            part = load_training_data(small_synthetic_dir, limit, reads=reads)
        assert whole_data(part) == whole_data(full) if limit else not whole_data(part).sampled
        assert list(part.orders.columns) == [c.CUSTOMER_ID, c.ORDERED_AT, c.SKU, c.QUANTITY]
        pd.testing.assert_frame_equal(part.orders, full.orders[list(part.orders.columns)], check_exact=True)
        pd.testing.assert_frame_equal(part.products, full.products, check_exact=True)
        pd.testing.assert_frame_equal(part.customers, full.customers, check_exact=True)
        assert part.events.empty and list(part.events.columns) == list(full.events.columns)
        assert resolve_as_of(part, None) == whole.default_as_of()
        cut = part.before(whole.default_as_of() - pd.Timedelta(days=90))
        assert len(cut.orders) == len(full.before(whole.default_as_of() - pd.Timedelta(days=90)).orders)
    with pytest.raises(KeyError, match="orders has no column nope"):
        load_training_data(small_synthetic_dir, None, reads={"orders": ("nope",)})


def test_the_cutoff_and_the_count_are_the_whole_data_sets(
    home: Settings, small_synthetic_dir: Path, tmp_path: Path, whole: Dataset
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, folder)
    # the latest activity of all, by a customer the sample leaves out
    outsider = whole.customers[c.CUSTOMER_ID].iloc[stable_hashes(whole.customers[c.CUSTOMER_ID]).argmax()]
    orders = pd.read_parquet(folder / "orders.parquet")
    late = (
        orders[orders[c.CUSTOMER_ID] == outsider]
        .tail(1)
        .assign(**{c.ORDER_ID: "LATE", c.ORDERED_AT: whole.default_as_of() + pd.Timedelta(hours=6)})
    )
    pd.concat([orders, late], ignore_index=True).to_parquet(folder / "orders.parquet", index=False)
    everyone = load_dataset(folder)
    drawn = load_training_data(folder, 400)
    assert outsider not in ids(drawn)
    assert drawn.default_as_of() < everyone.default_as_of() == whole.default_as_of() + pd.Timedelta(days=1)
    assert resolve_as_of(drawn, None) == everyone.default_as_of()
    assert whole_data(drawn).params() == {"train_customers": 400, "data_customers": 1500}
    assert whole_data(drawn).describe() == (
        "training on a sample of 400 of 1,500 customers (CIBLE_TRAIN_CUSTOMERS)"
    )


def test_below_the_threshold_nothing_changes(
    home: Settings, small_synthetic_dir: Path, whole: Dataset
) -> None:
    for limit in (1500, DEFAULT_TRAIN_CUSTOMERS, None):
        loaded = load_training_data(small_synthetic_dir, limit)
        assert not whole_data(loaded).sampled
        for name, frame in whole.frames().items():
            pd.testing.assert_frame_equal(loaded.frames()[name], frame, check_exact=True, obj=name)
        assert resolve_as_of(loaded, None) == whole.default_as_of()


def test_the_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for value, expected in (("250000", 250_000), ("100,000", 100_000), ("0", None), ("all", None)):
        monkeypatch.setenv("CIBLE_TRAIN_CUSTOMERS", value)
        assert Settings.from_env().train_customers == expected
    monkeypatch.setenv("CIBLE_TRAIN_CUSTOMERS", "lots")
    with pytest.raises(SettingError, match="CIBLE_TRAIN_CUSTOMERS 'lots'"):
        Settings.from_env()
    monkeypatch.delenv("CIBLE_TRAIN_CUSTOMERS")
    assert Settings.from_env().train_customers == DEFAULT_TRAIN_CUSTOMERS


def _features_of_sample(sample: Dataset, as_of: pd.Timestamp) -> pd.DataFrame:
    return build_customer_features(sample, as_of)


def test_partitioned_features_of_a_sample_are_its_customers(
    home: Settings, small_synthetic_dir: Path, sample: Dataset, whole: Dataset
) -> None:
    as_of = whole.default_as_of()
    expected = _features_of_sample(sample, as_of)
    with open_engine(EngineConfig(partitions=3), small_synthetic_dir, sample, home) as engine:
        assert isinstance(engine, LocalEngine)
        pd.testing.assert_frame_equal(
            engine.features(as_of), expected, check_exact=False, rtol=1e-9, atol=1e-9
        )
        everyone = engine.every_customer().features(as_of)
    pd.testing.assert_frame_equal(everyone, build_customer_features(whole, as_of), rtol=1e-9, atol=1e-9)
    with open_engine(EngineConfig(), small_synthetic_dir, whole, home) as engine:
        assert engine.every_customer() is engine


def test_dask_features_of_a_sample_are_its_customers(
    home: Settings, small_synthetic_dir: Path, sample: Dataset, whole: Dataset, cluster
) -> None:
    as_of = whole.default_as_of()
    config = EngineConfig(kind=EngineKind.DASK, scheduler=cluster.scheduler_address, partitions=4)
    with open_engine(config, small_synthetic_dir, sample, home) as engine:
        got = engine.features(as_of)
        assert len(engine.every_customer().features(as_of)) == len(build_customer_features(whole, as_of))
    assert set(got[c.CUSTOMER_ID]) <= ids(sample)
    pd.testing.assert_frame_equal(got, _features_of_sample(sample, as_of), rtol=1e-9, atol=1e-9)


def test_the_cutoff_leaves_out_what_the_privacy_rules_leave_out(
    small_synthetic_dir: Path, settings: Settings, tmp_path: Path, whole: Dataset
) -> None:
    """An erased customer's latest order does not make "today" for the data, sampled or not."""
    folder = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, folder)
    outsider = whole.customers[c.CUSTOMER_ID].iloc[stable_hashes(whole.customers[c.CUSTOMER_ID]).argmax()]
    orders = pd.read_parquet(folder / "orders.parquet")
    late = (
        orders[orders[c.CUSTOMER_ID] == outsider]
        .tail(1)
        .assign(**{c.ORDER_ID: "LATE", c.ORDERED_AT: whole.default_as_of() + pd.Timedelta(hours=6)})
    )
    pd.concat([orders, late], ignore_index=True).to_parquet(folder / "orders.parquet", index=False)
    PrivacyRules.from_settings(settings).add_tombstone(outsider)
    drawn = load_training_data(folder, 400)
    assert resolve_as_of(drawn, None) == load_dataset(folder).default_as_of() == whole.default_as_of()
    assert whole_data(drawn).customers == 1499


def _spend_rank(features: pd.DataFrame, scale: float) -> pd.DataFrame:
    """A per-customer function of features, as segment assignment is."""
    numbers = features.select_dtypes("number")
    return pd.DataFrame(
        {c.CUSTOMER_ID: features[c.CUSTOMER_ID].to_numpy(), "total": numbers.sum(axis=1).to_numpy() * scale}
    )


def test_applied_once_by_partition_equals_applied_to_every_customer_and_keeps_nothing(
    home: Settings, small_synthetic_dir: Path, sample: Dataset, whole: Dataset
) -> None:
    as_of = whole.default_as_of()
    with open_engine(EngineConfig(partitions=3), small_synthetic_dir, sample, home) as engine:
        everyone = engine.every_customer()
        once = everyone.apply_once(as_of, _spend_rank, scale=2.0)
        assert not everyone._features  # no cutoff's features held afterwards
        expected = everyone.apply(as_of, _spend_rank, scale=2.0)
        pd.testing.assert_frame_equal(once, expected, rtol=1e-9, atol=1e-9)
        assert len(once) == len(whole.customers)
        pd.testing.assert_frame_equal(everyone.apply_once(as_of, _spend_rank, scale=2.0), expected)
        assert as_of in everyone._features  # held before: still held
