"""The batch commands agree across engines: `cible score`, `materialize`, `retarget lists`, `segments export`
and `segments assign` on a Dask cluster of two worker processes give what they give on the local engine
(exact for ids and counts, 1e-9 for floats); champions mapped over the cluster's partitions equal one
call on the whole frame, even after a worker is lost; `train all`'s features and rows at its cutoffs are
the in-memory ones. Champions are trained once for the module, on small settings."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from cible.cli import app
from features.batch_engine import DaskEngine, LocalEngine
from features.dataset import Dataset
from features.engine import EngineConfig, EngineError, EngineKind
from features.io import write_tables
from features.online_store.factory import open_store
from features.predictive.model import CHURN
from features.settings import Settings
from tests.frames import comparable
from tests.homes import fresh_home
from tests.tiny_data import tiny_frames
from tests.training.predictive_data import FAST
from training.intent.config import IntentConfig
from training.intent.rows import labelled_rows as intent_rows
from training.intent.train import train_intent
from training.offers.response import offer_contacts
from training.predictive.compare import cutoffs_for
from training.predictive.rows import FeatureCache
from training.predictive.score import score_customers
from training.predictive.targets import TARGETS
from training.predictive.train import train_target
from training.segments.config import SegmentsConfig
from training.segments.score import assign_segments
from training.segments.train import train_segments
from training.uplift.config import UpliftConfig
from training.uplift.rows import uplift_rows

runner = CliRunner()
DASK = EngineConfig(kind=EngineKind.DASK, partitions=4)
COMMANDS = (
    ("score",),
    ("materialize",),
    ("retarget", "lists"),
    ("segments", "export"),
    ("segments", "assign"),
    ("train", "all"),
    ("train", "churn"),
)


@pytest.fixture(scope="module")
def home(
    tmp_path_factory: pytest.TempPathFactory, small_synthetic: Dataset, small_synthetic_dir: Path
) -> Iterator[Settings]:
    """A Cible home with churn, segments and intent champions (the scores' models, the lists' intent)."""
    with fresh_home(tmp_path_factory, "engine_home") as settings:
        as_of = small_synthetic.default_as_of()
        train_target(small_synthetic, as_of, settings, CHURN, FAST)
        train_segments(small_synthetic, as_of, settings, SegmentsConfig(k_min=4, k_max=4))
        train_intent(small_synthetic, as_of, settings, IntentConfig(n_training_cutoffs=2, num_boost_round=40))
        yield settings


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def on(engine: str, cluster) -> list[str]:
    if engine == "local":
        return ["--engine", "local", "--partitions", "3"]
    return ["--engine", "dask", "--scheduler", cluster.scheduler_address, "--partitions", "4"]


def assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert got["customer_id"].tolist() == expected["customer_id"].tolist()
    pd.testing.assert_frame_equal(
        comparable(got), comparable(expected), check_exact=False, rtol=1e-9, atol=1e-9
    )


def assert_close(expected: object, got: object, where: str = "") -> None:
    """Nested records equal: exact but for floats (1e-9)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), where
        for key in expected:
            assert_close(expected[key], got[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), where
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            assert_close(e, g, f"{where}[{i}]")
    elif isinstance(expected, float) and isinstance(got, float):
        assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9), (where, expected, got)
    else:
        assert got == expected, (where, expected, got)


def test_score_on_dask_equals_local(
    home: Settings, small_synthetic_dir: Path, cluster, tmp_path: Path
) -> None:
    data = str(small_synthetic_dir)
    files = {engine: tmp_path / f"{engine}.parquet" for engine in ("local", "dask")}
    for engine, out in files.items():
        invoke("score", "--data", data, "--out", str(out), *on(engine, cluster))
    local, dask = (pd.read_parquet(path) for path in files.values())
    assert len(dask) == 1500 and dask["churn_probability"].notna().sum() > 500
    assert dask["reasons"].map(lambda why: why is not None and len(why) > 0).sum() > 500
    assert dask["rfm_segment"].notna().any()
    assert_same(local, dask)


def test_segments_assigned_on_the_cluster_equal_the_whole_frame(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, client
) -> None:
    """The champion's memberships, mapped over the persisted partitions, equal one call on the whole
    frame (the scores are compared so in the worker-loss test below)."""
    as_of = small_synthetic.default_as_of()
    in_memory, _ = assign_segments(small_synthetic, as_of, home)
    on_dask, _ = assign_segments(
        small_synthetic, as_of, home, DaskEngine(small_synthetic_dir, DASK, home, client)
    )
    assert in_memory["cluster_name"].nunique() >= 4  # the 4 clusters, and "no purchase yet"
    assert_same(in_memory, on_dask)


def test_a_worker_lost_between_features_and_scores_still_completes(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path
) -> None:
    """The features held on the killed worker are rebuilt from their recipe; the scores are complete."""
    as_of = small_synthetic.default_as_of()
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local, set_as_default=False) as own,
    ):
        engine = DaskEngine(small_synthetic_dir, DASK, home, own)
        engine.features(as_of)  # persisted on both workers
        pid = next(iter(own.run(os.getpid).values()))
        os.kill(pid, signal.SIGKILL)
        got = score_customers(small_synthetic, as_of, home, engine)
    assert_same(score_customers(small_synthetic, as_of, home), got)


def test_materialize_on_dask_equals_local(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, cluster, tmp_path: Path
) -> None:
    stores = {engine: f"sqlite:///{tmp_path / engine}.db" for engine in ("local", "dask")}
    reports = {}
    for engine, store in stores.items():
        invoke("materialize", "--data", str(small_synthetic_dir), "--store", store, *on(engine, cluster))
        reports[engine] = shutil.copytree(home.reports_dir, tmp_path / f"reports-{engine}")
    ids = small_synthetic.customers["customer_id"].tolist()
    records = {}
    for engine, store in stores.items():
        opened = open_store(home, store)
        records[engine] = opened.get_many(ids)
        opened.close()
    assert len(records["dask"]) == len(ids)
    assert sum(r["scores"] is not None for r in records["dask"].values()) > 500
    assert_close(records["local"], records["dask"])
    for name in ("audience_frame.parquet", "segment_profiles.parquet", "churn_risk.parquet", "kpis.parquet"):
        expected, got = (pd.read_parquet(reports[engine] / name) for engine in ("local", "dask"))
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_retarget_lists_on_dask_equal_local(
    home: Settings, small_synthetic_dir: Path, cluster, tmp_path: Path
) -> None:
    outs = {engine: tmp_path / engine for engine in ("local", "dask")}
    for engine, out in outs.items():
        invoke(
            "retarget", "lists", "--data", str(small_synthetic_dir), "--out", str(out), *on(engine, cluster)
        )
    summaries = [json.loads((out / "summary.json").read_text()) for out in outs.values()]
    assert_close(*summaries)
    files = sorted(p.name for p in outs["local"].glob("*.csv"))
    assert files == sorted(p.name for p in outs["dask"].glob("*.csv")) and "email.csv" in files
    assert sum(len(pd.read_csv(outs["dask"] / name)) for name in files) > 0
    for name in files:
        expected, got = (pd.read_csv(out / name) for out in outs.values())
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def test_segments_export_of_an_audience_on_dask_equals_local(
    home: Settings, small_synthetic_dir: Path, cluster, tmp_path: Path
) -> None:
    rule = tmp_path / "audience.yaml"
    rule.write_text("name: big_spenders\nrule: total_spend > 300 and consent.email_marketing\n")
    invoke("audiences", "save", str(rule))
    files = {engine: tmp_path / f"{engine}.csv" for engine in ("local", "dask")}
    for engine, out in files.items():
        args = ["--channel", "email", "--out", str(out), "--min-size", "1", "--campaign", f"BIG-{engine}"]
        invoke(
            "segments",
            "export",
            "big_spenders",
            "--data",
            str(small_synthetic_dir),
            *args,
            *on(engine, cluster),
        )
    local, dask = (pd.read_csv(path) for path in files.values())
    assert len(dask) > 20
    assert dask["customer_id"].tolist() == local["customer_id"].tolist()
    assert set(dask["campaign_id"]) == {"BIG-dask"}
    pd.testing.assert_frame_equal(dask.drop(columns="campaign_id"), local.drop(columns="campaign_id"))


def test_train_all_features_on_dask_are_the_in_memory_ones(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, client
) -> None:
    as_of = small_synthetic.default_as_of()
    past = small_synthetic.before(as_of)
    cutoffs = cutoffs_for(past, as_of, TARGETS[CHURN], FAST)
    on_dask = FeatureCache(past, DaskEngine(small_synthetic_dir, DASK, home, client))
    local = FeatureCache(past, LocalEngine(small_synthetic_dir, EngineConfig(partitions=3), home))
    in_memory = FeatureCache(past)
    for cutoff in (cutoffs.validation, cutoffs.training[-1]):  # the newest and the oldest
        expected = in_memory.at(cutoff)
        assert_same(expected, on_dask.at(cutoff))
        assert_same(expected, local.at(cutoff))


def test_train_all_rows_of_offers_intent_and_uplift_on_dask_are_the_in_memory_ones(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, client
) -> None:
    as_of = small_synthetic.default_as_of()
    dask = DaskEngine(small_synthetic_dir, DASK, home, client)
    start, end = as_of - pd.Timedelta(days=90), as_of
    offers = offer_contacts(small_synthetic, start, end, dask)
    assert len(offers) > 50
    pd.testing.assert_frame_equal(offers, offer_contacts(small_synthetic, start, end), rtol=1e-9, atol=1e-9)
    cutoff = as_of - pd.Timedelta(days=7)
    visitors = intent_rows(small_synthetic, cutoff, 7, dask)
    assert len(visitors) > 50
    pd.testing.assert_frame_equal(visitors, intent_rows(small_synthetic, cutoff, 7), rtol=1e-9, atol=1e-9)
    recent = UpliftConfig(lookback_days=75)  # two or three months of assignments: as many feature builds
    assigned = uplift_rows(small_synthetic, as_of, recent, engine=dask)
    assert len(assigned) > 50
    pd.testing.assert_frame_equal(assigned, uplift_rows(small_synthetic, as_of, recent), rtol=1e-9, atol=1e-9)
    assert not dask._features  # cutoffs used once are not held


def test_every_batch_command_takes_the_engine_options() -> None:
    for command in COMMANDS:
        shown = invoke(*command, "--help")
        assert all(option in shown for option in ("--engine", "--scheduler", "--partitions")), command


def test_a_csv_folder_on_dask_is_one_clear_error(home: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    write_tables(tiny_frames(), folder, fmt="csv")
    for command in (["score", "--out", str(tmp_path / "s.parquet")], ["train", "all"]):
        result = runner.invoke(app, [*command, "--data", str(folder), "--engine", "dask"])
        assert result.exit_code == 1 and isinstance(result.exception, EngineError), result.output
        assert "the dask engine reads Parquet tables" in str(result.exception)
    assert not (tmp_path / "s.parquet").exists()
