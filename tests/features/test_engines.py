"""Engines agree: features built in customer partitions (local) and on a Dask cluster of two worker
processes equal the in-memory build (exact for counts and ids, 1e-9 for floats), including events that
count for a customer of another partition; failures are clear and leave no output file."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster
from distributed.system import MEMORY_LIMIT
from typer.testing import CliRunner

from cible.cli import app
from features.customer_features import names as n
from features.customer_features.build import build_customer_features
from features.customer_features.partitioned import customer_partition
from features.customer_features.run import build_features
from features.customer_features.streamed import build_features_streamed
from features.dask_engine import build_features_dask, dask_client, worker_memory
from features.dataset import Dataset
from features.engine import EngineConfig, EngineError, EngineKind
from features.io import write_dataset_frames
from features.load import load_dataset
from features.privacy.rules import PrivacyRules
from features.settings import Settings
from tests.tiny_data import AS_OF, tiny_frames

NOW = pd.Timestamp("2026-12-01")
TINY_NOW = pd.Timestamp("2024-06-01")  # within the retention periods of the tiny data set
SMALL_AS_OF = pd.Timestamp("2026-08-01")


def _rules(tmp_path: Path) -> PrivacyRules:
    return PrivacyRules(folder=tmp_path / "privacy")


def _assert_same(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert got[n.N_ORDERS].tolist() == expected[n.N_ORDERS].tolist()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)


def _shared_device_frames() -> dict[str, pd.DataFrame]:
    """The tiny data set, plus a device shared by C1 and C2: V2 last logs in as C2, and its anonymous
    page view sits in C1's session S1, which therefore counts for C2 (the greater id)."""
    frames = tiny_frames()
    events = frames["events"]
    events.loc[3, "session_id"] = "S1"
    login = ("E6", "2024-04-20 12:00", "V2", "C2", "S5", "page_view", None, "mobile", None)
    frames["events"] = pd.concat([events, pd.DataFrame([login], columns=events.columns)], ignore_index=True)
    return frames


def _parts_splitting(ids: list[str]) -> int:
    """A partition count that puts the given customers in different partitions."""
    for parts in range(2, 50):
        if len(set(customer_partition(pd.Series(ids), parts))) == len(ids):
            return parts
    raise AssertionError("no partition count separates the customers")


@pytest.fixture(scope="module")
def shared_device_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shared_device")
    write_dataset_frames(_shared_device_frames(), folder)
    return folder


def test_shared_device_counts_the_same_in_partitions(shared_device_folder: Path, tmp_path: Path) -> None:
    expected = build_customer_features(Dataset.from_frames(_shared_device_frames()), AS_OF)
    parts = _parts_splitting(["C1", "C2"])
    got = build_features_streamed(shared_device_folder, AS_OF, _rules(tmp_path), TINY_NOW, parts=parts)
    _assert_same(expected, got)
    by_id = got.set_index("customer_id")
    # S1 (Apr 25) now counts for C2, from C2's partition, with S5 (Apr 20); C1 keeps S2 (Apr 28) only.
    assert by_id.loc["C2", n.web_count("sessions", 30)] == 2
    assert by_id.loc["C1", n.web_count("sessions", 7)] == 1


def test_shared_device_on_dask(shared_device_folder: Path, client: Client, tmp_path: Path) -> None:
    expected = build_customer_features(Dataset.from_frames(_shared_device_frames()), AS_OF)
    parts = _parts_splitting(["C1", "C2"])
    got = build_features_dask(shared_device_folder, AS_OF, _rules(tmp_path), TINY_NOW, client, parts=parts)
    _assert_same(expected, got)


def test_local_partitions_equal_the_in_memory_build(small_synthetic_dir: Path, tmp_path: Path) -> None:
    expected = build_customer_features(load_dataset(small_synthetic_dir, now=NOW), SMALL_AS_OF)
    got = build_features_streamed(small_synthetic_dir, SMALL_AS_OF, _rules(tmp_path), NOW, parts=3)
    assert len(got) > 1000
    _assert_same(expected, got)


def test_dask_equals_local(small_synthetic_dir: Path, client: Client, tmp_path: Path) -> None:
    expected = build_customer_features(load_dataset(small_synthetic_dir, now=NOW), SMALL_AS_OF)
    got = build_features_dask(small_synthetic_dir, SMALL_AS_OF, _rules(tmp_path), NOW, client, parts=4)
    _assert_same(expected, got)


def test_a_worker_killed_mid_run_still_completes(shared_device_folder: Path, tmp_path: Path) -> None:
    expected = build_customer_features(Dataset.from_frames(_shared_device_frames()), AS_OF)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local, set_as_default=False) as own,
    ):
        killed: list[int] = []

        def kill_one_worker(step: str) -> None:
            # After the first computations ran on the cluster, before the shuffle and the features.
            if step.startswith("finding shared sessions") and not killed:
                pid = next(iter(own.run(os.getpid).values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        got = build_features_dask(
            shared_device_folder, AS_OF, _rules(tmp_path), TINY_NOW, own, parts=2, progress=kill_one_worker
        )
    assert killed
    _assert_same(expected, got)


def test_engine_settings_from_options_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CIBLE_ENGINE", raising=False)
    monkeypatch.delenv("CIBLE_DASK_SCHEDULER", raising=False)
    assert EngineConfig.resolve().kind is EngineKind.LOCAL
    monkeypatch.setenv("CIBLE_ENGINE", "dask")
    monkeypatch.setenv("CIBLE_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    config = EngineConfig.resolve()
    assert (config.kind, config.scheduler) == (EngineKind.DASK, "tcp://10.0.0.5:8786")
    assert EngineConfig.resolve("local").scheduler is None  # the environment's scheduler is for Dask
    with pytest.raises(EngineError, match="unknown engine 'spark'"):
        EngineConfig.resolve("spark")
    with pytest.raises(EngineError, match="needs --engine dask"):
        EngineConfig.resolve("local", "tcp://10.0.0.5:8786")
    with pytest.raises(EngineError, match="tcp://HOST:PORT"):
        EngineConfig.resolve("dask", "10.0.0.5:8786")


def test_a_local_cluster_shares_the_memory_setting_among_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIBLE_DASK_WORKERS", "2")
    monkeypatch.setenv("CIBLE_DASK_MEMORY", "3GiB")
    config = EngineConfig.resolve("dask")
    assert worker_memory(config) == 3 * 2**30 // 2
    with dask_client(config) as started:
        limits = [w["memory_limit"] for w in started.scheduler_info()["workers"].values()]
    assert limits == [3 * 2**30 // 2] * 2
    monkeypatch.delenv("CIBLE_DASK_MEMORY")
    assert worker_memory(EngineConfig.resolve("dask")) == MEMORY_LIMIT // 2 // 2  # half the machine's
    monkeypatch.setenv("CIBLE_DASK_MEMORY", "plenty")
    with pytest.raises(EngineError, match="CIBLE_DASK_MEMORY='plenty' is not a size"):
        worker_memory(EngineConfig.resolve("dask"))


def test_bad_scheduler_address_is_one_clear_line(small_synthetic_dir: Path, tmp_path: Path) -> None:
    config = EngineConfig(kind=EngineKind.DASK, scheduler="tcp://127.0.0.1:9", connect_timeout_seconds=1)
    settings = Settings(home=tmp_path / "home", tracking_uri="sqlite://")
    with pytest.raises(EngineError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        build_features(small_synthetic_dir, SMALL_AS_OF, config, settings=settings)


def test_contract_error_names_file_column_row_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: LocalCluster
) -> None:
    monkeypatch.setenv("CIBLE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "data"
    frames = tiny_frames()
    write_dataset_frames(frames, folder)
    runner = CliRunner()
    assert runner.invoke(app, ["data", "validate", str(folder), "--now", "2024-12-01"]).exit_code == 0
    frames["events"].loc[2, "type"] = "teleport"  # the file changes after it was validated
    write_dataset_frames(frames, folder)
    out = tmp_path / "features.parquet"
    args = ["features", "build", str(folder), "--as-of", "2024-05-01", "--out", str(out), "--no-summary"]
    result = runner.invoke(app, [*args, "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 1
    message = str(result.exception)
    assert "events.parquet" in message and "column 'type'" in message and "row 3" in message
    assert not out.exists() and not list(tmp_path.glob(".features.parquet*"))


def test_events_past_retention_count_alike_locally_and_on_dask(
    small_synthetic_dir: Path, client: Client, tmp_path: Path
) -> None:
    """Events past retention count for nobody and decide nothing on any engine: the partitioned builds
    equal the in-memory build of the loaded data set, which never holds them."""
    later = pd.Timestamp("2027-08-15")  # 13 months kept: events before mid-July 2026 are past retention
    rules = _rules(tmp_path)
    loaded = load_dataset(small_synthetic_dir, now=later, privacy=rules)
    expected = build_customer_features(loaded, SMALL_AS_OF)
    _assert_same(
        expected, build_features_dask(small_synthetic_dir, SMALL_AS_OF, rules, later, client, parts=4)
    )
    got = build_features_streamed(small_synthetic_dir, SMALL_AS_OF, rules, later, parts=3)
    _assert_same(expected, got)
    views = n.web_count("product_views", 30)
    kept_all = build_features_streamed(small_synthetic_dir, SMALL_AS_OF, rules, NOW, parts=3)
    assert 0 < got[views].sum() < kept_all[views].sum()


def test_an_expired_login_no_longer_decides_whom_a_device_counts_for(
    shared_device_folder: Path, tmp_path: Path, client: Client
) -> None:
    """V2's login as C2 (Apr 20) is past retention while the page view in S1 (Apr 25) is not: S1 counts
    for C1 again, on every engine, as in the loaded data set."""
    later = pd.Timestamp("2025-05-22")  # events before 2024-04-22 are past their 13 months
    rules = _rules(tmp_path)
    expected = build_customer_features(load_dataset(shared_device_folder, now=later, privacy=rules), AS_OF)
    parts = _parts_splitting(["C1", "C2"])
    got = build_features_streamed(shared_device_folder, AS_OF, rules, later, parts=parts)
    _assert_same(expected, got)
    _assert_same(
        expected, build_features_dask(shared_device_folder, AS_OF, rules, later, client, parts=parts)
    )
    before = build_features_streamed(shared_device_folder, AS_OF, rules, TINY_NOW, parts=parts)
    sessions = n.web_count("sessions", 30)
    assert (
        got.set_index("customer_id").loc["C2", sessions] < before.set_index("customer_id").loc["C2", sessions]
    )
