"""Some feature groups only, on every engine: the partitioned local build and the Dask build of the profile
and a subset of :data:`~features.customer_features.build.GROUPS` equal the in-memory build of the same
groups exactly (the same rows of each customer, in the same order), from only the tables those groups
read; an engine holding a cutoff's features with some groups never serves them to a caller asking for
more."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from distributed import Client

from features.batch_engine import DaskEngine, InMemoryEngine
from features.customer_features import names as n
from features.customer_features.build import GROUPS, build_customer_features, features_of_past
from features.customer_features.streamed import build_features_streamed
from features.dask_engine import build_features_dask
from features.dataset import Dataset
from features.engine import EngineConfig, EngineKind
from features.load import load_dataset
from features.privacy.rules import PrivacyRules
from features.settings import Settings

NOW = pd.Timestamp("2026-12-01")
AS_OF = pd.Timestamp("2026-08-01")
SUBSETS = [("orders",), ("campaigns", "consents")]


@pytest.fixture(scope="module")
def whole(small_synthetic_dir: Path) -> Dataset:
    return load_dataset(small_synthetic_dir, now=NOW)


def _in_memory(whole: Dataset, groups: tuple[str, ...]) -> pd.DataFrame:
    return features_of_past(whole.before(AS_OF), AS_OF, groups=groups)


def _rules(tmp_path: Path) -> PrivacyRules:
    return PrivacyRules(folder=tmp_path / "privacy")


@pytest.mark.parametrize("groups", SUBSETS)
def test_local_partitions_of_some_groups_equal_the_in_memory_build(
    whole: Dataset, small_synthetic_dir: Path, tmp_path: Path, groups: tuple[str, ...]
) -> None:
    got = build_features_streamed(small_synthetic_dir, AS_OF, _rules(tmp_path), NOW, parts=3, groups=groups)
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, _in_memory(whole, groups))


@pytest.mark.parametrize("groups", SUBSETS)
def test_dask_of_some_groups_equals_the_in_memory_build(
    whole: Dataset, small_synthetic_dir: Path, client: Client, tmp_path: Path, groups: tuple[str, ...]
) -> None:
    got = build_features_dask(
        small_synthetic_dir, AS_OF, _rules(tmp_path), NOW, client, parts=4, groups=groups
    )
    pd.testing.assert_frame_equal(got, _in_memory(whole, groups))


def test_the_order_history_alone_reads_no_event(
    small_synthetic_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_events(*_args: object) -> None:
        raise AssertionError("the events were split for a build without the web group")

    monkeypatch.setattr("features.customer_features.streamed.spill_events", no_events)
    got = build_features_streamed(small_synthetic_dir, AS_OF, _rules(tmp_path), NOW, groups=("orders",))
    assert n.N_ORDERS in got and n.web_count("sessions", 30) not in got


def test_the_in_memory_build_of_some_groups_is_the_whole_builds_columns(whole: Dataset) -> None:
    every = build_customer_features(whole, AS_OF)
    some = build_customer_features(whole, AS_OF, groups=("orders", "consents"))
    pd.testing.assert_frame_equal(some, every[some.columns])


def test_unknown_groups_are_refused(whole: Dataset) -> None:
    with pytest.raises(ValueError, match="unknown feature groups"):
        InMemoryEngine(whole).features(AS_OF, groups=("orders", "weather"))


class CountingEngine(InMemoryEngine):
    def __init__(self, dataset: Dataset) -> None:
        super().__init__(dataset)
        self.built: list[tuple[str, ...]] = []

    def _build(self, as_of: pd.Timestamp, groups: tuple[str, ...]) -> pd.DataFrame:
        self.built.append(groups)
        return super()._build(as_of, groups)


def test_the_cache_gives_no_subset_to_a_caller_asking_for_more(whole: Dataset) -> None:
    engine = CountingEngine(whole)
    some = engine.features(AS_OF, groups=("orders",))
    assert engine.holds(AS_OF, ("orders",)) and not engine.holds(AS_OF)
    every = engine.features(AS_OF)
    pd.testing.assert_frame_equal(every, build_customer_features(whole, AS_OF))
    assert set(some.columns) < set(every.columns)
    # Held with every group since: a subset is served from them, with no build.
    assert engine.features(AS_OF, keep=False, groups=("campaigns",)) is every
    assert engine.built == [("orders",), GROUPS]
    engine.forget()
    assert not engine.holds(AS_OF, ("orders",))


def test_a_cutoff_used_once_is_not_held(whole: Dataset) -> None:
    engine = CountingEngine(whole)
    engine.features(AS_OF, keep=False, groups=("orders",))
    assert engine._features == {} and not engine.holds(AS_OF, ("orders",))


def test_the_dask_engine_applies_every_group_after_holding_some(
    whole: Dataset,
    small_synthetic_dir: Path,
    client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CIBLE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CIBLE_NOW", NOW.isoformat())
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = EngineConfig(kind=EngineKind.DASK, partitions=3)
    engine = DaskEngine(small_synthetic_dir, config, Settings.from_env(), client)
    engine.features(AS_OF, groups=("orders",))
    # apply maps over the persisted partitions: those of every group, built again in their place
    applied = engine.apply(AS_OF, _columns_seen)
    expected = build_customer_features(whole, AS_OF)
    assert set(applied["columns"]) == {len(expected.columns)}
    assert len(applied) == len(expected)
    engine.forget()
    assert engine._on_cluster == {} and engine._split == {}


def _columns_seen(features: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": features["customer_id"], "columns": len(features.columns)})
