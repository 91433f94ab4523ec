"""`cible train all` above four partitions of ``CIBLE_PARTITION_CUSTOMERS``: the customer features are
built from the files a partition at a time and each pipeline loads only the tables and columns
:mod:`training.reads` declares for it. It trains what the in-memory way trains: every metric logged is
equal, and a column a pipeline reads without declaring it fails here (a frame read in part has no such
column)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from cible.train_all import TrainingData, train_all
from cible.train_pipelines import PIPELINES, READS
from features.engine import EngineConfig
from features.settings import PARTITION_CUSTOMERS_ENV, Settings
from features.train_sample import describe_whole
from tests.homes import fresh_home


def logged(settings: Settings) -> dict[tuple[str, str, str], float]:
    """Every metric of every run, by experiment, run name and key (timings aside)."""
    client = mlflow.MlflowClient(settings.tracking_uri)
    out = {}
    for experiment in client.search_experiments():
        for run in client.search_runs([experiment.experiment_id], max_results=1000):
            for key, value in run.data.metrics.items():
                out[(experiment.name, run.info.run_name, key)] = value
    return out


def trained(factory: pytest.TempPathFactory, folder: Path, per_part: str | None) -> dict:
    with fresh_home(factory, f"reads_{per_part}") as settings, pytest.MonkeyPatch.context() as mp:
        if per_part:
            mp.setenv(PARTITION_CUSTOMERS_ENV, per_part)
        settings = Settings.from_env()
        plan = TrainingData.plan(folder, None, EngineConfig(), describe_whole(folder, None), settings)
        assert plan.features_from_files is bool(per_part)
        assert plan.fresh_workers is bool(per_part)  # a worker per pipeline
        # partitioned: two workers, a fresh one per pipeline
        outcomes = train_all(folder, None, 2 if per_part else 1, EngineConfig())
        assert not [o for o in outcomes if o.skipped], [o.skipped for o in outcomes]
        return logged(settings)


def test_pipelines_reading_their_own_columns_train_what_the_whole_data_set_trains(
    tmp_path_factory: pytest.TempPathFactory, small_synthetic_dir: Path
) -> None:
    assert set(READS) == set(PIPELINES)
    in_memory = trained(tmp_path_factory, small_synthetic_dir, None)
    partitioned = trained(tmp_path_factory, small_synthetic_dir, "300")  # 1,500 customers: 5 partitions
    assert len(in_memory) > 300
    assert partitioned == in_memory


def test_a_training_sample_or_a_dask_cluster_keeps_one_worker_for_several_pipelines(
    small_synthetic_dir: Path,
) -> None:
    partitioned = TrainingData(small_synthetic_dir, None, EngineConfig(partitions=5), parquet=True)
    assert partitioned.fresh_workers
    # a worker draws the sample once for the pipelines it runs
    sampled = TrainingData(small_synthetic_dir, "500", EngineConfig(partitions=5), sampled=True, parquet=True)
    assert not sampled.fresh_workers
    assert not TrainingData(small_synthetic_dir, None, EngineConfig()).fresh_workers  # in memory
    assert not TrainingData(small_synthetic_dir, None, EngineConfig.resolve("dask")).fresh_workers
