"""`cible score` and `cible materialize` on data loaded one customer partition at a time
(``CIBLE_PARTITION_CUSTOMERS`` below the customer count) give what they give on the whole data set: the
same score file (columns, dtypes, values, order), the same online-store records and events, the same
report files. Champions (churn, segments, recommender, offer response) are trained once for the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.dataset import Dataset
from features.online_store.factory import open_store
from features.predictive.model import CHURN
from features.settings import PARTITION_CUSTOMERS_ENV, Settings
from tests.frames import comparable
from tests.homes import fresh_home
from tests.training.predictive_data import FAST
from training.offers.register import OfferResponseConfig, train_offer_response
from training.predictive.train import train_target
from training.recommend.config import NboConfig
from training.recommend.train import train_nbo
from training.segments.config import SegmentsConfig
from training.segments.train import train_segments

runner = CliRunner()
NBO = NboConfig(train_windows=1, max_train_customers=300, n_estimators=30, num_leaves=7, n_jobs=1)


@pytest.fixture(scope="module")
def home(
    tmp_path_factory: pytest.TempPathFactory, small_synthetic: Dataset, small_synthetic_dir: Path
) -> Iterator[Settings]:
    with fresh_home(tmp_path_factory, "partitioned_home") as settings:
        as_of = small_synthetic.default_as_of()
        train_target(small_synthetic, as_of, settings, CHURN, FAST)
        train_segments(small_synthetic, as_of, settings, SegmentsConfig(k_min=4, k_max=4))
        train_nbo(small_synthetic, as_of, settings, NBO)
        train_offer_response(small_synthetic, as_of, settings, OfferResponseConfig(n_estimators=50))
        yield settings


def invoke(*args: str, per_partition: int | None = None) -> str:
    env = {PARTITION_CUSTOMERS_ENV: str(per_partition)} if per_partition else {}
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.mark.parametrize("as_of", [None, "2026-06-15"])
def test_score_by_partition_is_the_whole_score(
    home: Settings, small_synthetic_dir: Path, tmp_path: Path, as_of: str | None
) -> None:
    data = ["--data", str(small_synthetic_dir)] + (["--as-of", as_of] if as_of else [])
    whole, parts = tmp_path / "whole.parquet", tmp_path / "parts.parquet"
    said_whole = invoke("score", *data, "--out", str(whole))
    said_parts = invoke("score", *data, "--out", str(parts), per_partition=400)
    assert "in 4 partitions" in said_parts and "partitions" not in said_whole
    # the summary lines are the same (counts by band, withheld customers, missing champions)
    assert said_parts.splitlines()[-3:] == said_whole.splitlines()[-3:]
    expected, got = pd.read_parquet(whole), pd.read_parquet(parts)
    assert got[c.CUSTOMER_ID].is_unique and len(got) == len(expected)
    assert got.dtypes.equals(expected.dtypes)
    pd.testing.assert_frame_equal(comparable(got), comparable(expected), check_exact=True)
    assert not list(tmp_path.glob(".*"))  # no partition file left behind


def test_an_erased_customer_is_not_scored_in_any_partition(
    home: Settings, small_synthetic_dir: Path, small_synthetic: Dataset, tmp_path: Path
) -> None:
    from features.privacy.rules import PrivacyRules

    erased = small_synthetic.customers[c.CUSTOMER_ID].iloc[7]
    rules = PrivacyRules.from_settings(home)
    rules.add_tombstone(erased)
    try:
        out = tmp_path / "scores.parquet"
        invoke("score", "--data", str(small_synthetic_dir), "--out", str(out), per_partition=400)
        scores = pd.read_parquet(out)
        assert erased not in set(scores[c.CUSTOMER_ID]) and len(scores) == len(small_synthetic.customers) - 1
    finally:
        rules.tombstone_file.unlink()  # the module's other tests score everyone


def _store_rows(path: Path) -> tuple[list[tuple[str, object]], list[tuple]]:
    """Every record (decoded) and every event row of a SQLite store, in key order."""
    import json
    import sqlite3

    with sqlite3.connect(path) as db:
        records = [(cid, json.loads(text)) for cid, text in db.execute("SELECT * FROM customers ORDER BY 1")]
        events = list(db.execute("SELECT * FROM events ORDER BY event_id"))
    return records, events


def test_materialize_by_partition_fills_the_store_and_reports_as_the_whole(
    home: Settings, small_synthetic_dir: Path, small_synthetic: Dataset, tmp_path: Path
) -> None:
    data = ["--data", str(small_synthetic_dir)]
    whole, parts = tmp_path / "whole.db", tmp_path / "parts.db"
    reports = home.home / "reports"
    said = invoke("materialize", *data, "--store", f"sqlite:///{whole}")
    expected = {p.name: pd.read_parquet(p) for p in sorted(reports.glob("*.parquet"))}
    assert {
        "kpis.parquet",
        "segment_profiles.parquet",
        "audience_frame.parquet",
        "churn_risk.parquet",
    } <= set(expected)
    assert not expected["churn_risk.parquet"].empty  # a churn champion bands the profiled customers
    for path in reports.glob("*.parquet"):
        path.unlink()
    said_parts = invoke("materialize", *data, "--store", f"sqlite:///{parts}", per_partition=400)
    assert "in 4 partitions" in said_parts and said_parts.splitlines()[-2:] == said.splitlines()[-2:]
    got = {p.name: pd.read_parquet(p) for p in sorted(reports.glob("*.parquet"))}
    assert got.keys() == expected.keys()
    for name, frame in expected.items():
        # campaign results and KPIs add the partitions' sums: floats within 1e-9, the rest exact
        pd.testing.assert_frame_equal(got[name], frame, check_exact=False, rtol=1e-9, atol=1e-9, obj=name)
    for name in ("campaign_results.parquet", "kpis.parquet"):
        assert len(got[name]) and got[name].select_dtypes(exclude="float").equals(
            expected[name].select_dtypes(exclude="float")
        )
    assert _store_rows(parts) == _store_rows(whole)
    # sends reported to the service that the data does not hold survive in each partition's records
    customers = small_synthetic.customers[c.CUSTOMER_ID]
    for path in (whole, parts):
        store = open_store(home, f"sqlite:///{path}")
        try:
            for cid in customers.iloc[:40]:
                store.add_contacts(cid, {f"K-{cid}": "2026-11-20T10:00:00"}, "2026-01-01")
        finally:
            store.close()
    invoke("materialize", *data, "--store", f"sqlite:///{whole}")
    invoke("materialize", *data, "--store", f"sqlite:///{parts}", per_partition=400)
    records, _ = _store_rows(parts)
    assert records == _store_rows(whole)[0]
    assert sum("K-" in str(record.get("reported_contacts")) for _, record in records) == 40


@pytest.mark.parametrize("command", ["score", "materialize"])
def test_the_champions_are_loaded_once_for_every_partition(
    home: Settings, small_synthetic_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from training.predictive.champions import ScoringChampions

    loaded: list[ScoringChampions] = []
    load = ScoringChampions.load.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ScoringChampions], settings: Settings) -> ScoringChampions:
        loaded.append(load(cls, settings))
        return loaded[-1]

    monkeypatch.setattr(ScoringChampions, "load", classmethod(counted))
    target = (
        ["--out", str(tmp_path / "s.parquet")]
        if command == "score"
        else ["--store", f"sqlite:///{tmp_path}/s.db"]
    )
    said = invoke(command, "--data", str(small_synthetic_dir), *target, per_partition=400)
    assert "in 4 partitions" in said
    assert len(loaded) == 1 and loaded[0].predictive and loaded[0].recommender is not None
