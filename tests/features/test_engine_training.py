"""The predictive models' LightGBM candidate trained with ``lightgbm.dask`` on a cluster of two worker
processes (the rows built where the features lie) scores within a stated tolerance of the one trained in
this process, is registered as a plain LightGBM model that loads and scores with Dask not importable,
and a worker lost during the fit is one clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from lightgbm import LGBMClassifier
from typer.testing import CliRunner

from cible.cli import app
from features import columns as c
from features.batch_engine import CutoffRows, DaskEngine
from features.dataset import Dataset
from features.engine import EngineConfig, EngineError, EngineKind
from features.predictive.boosted import BoostedScorer
from features.predictive.inputs import PREDICTIVE_FEATURES_V1
from features.predictive.model import CHURN
from features.settings import Settings
from tests.training.predictive_data import FAST
from training.predictive.candidates import LIGHTGBM
from training.predictive.compare import Comparison, compare_candidates, cutoffs_for
from training.predictive.rows import FeatureCache, labelled_rows
from training.predictive.targets import TARGETS
from training.registry import decide, log_and_register
from training.tracking import connect, experiment_id

DASK = EngineConfig(kind=EngineKind.DASK, partitions=4)
# Distributed LightGBM is not bit-identical to one process: each machine bins the features it was given
# a share of from its own rows (the bin edges differ) and bags its own rows (another 80% draw). On these
# 1,500 customers (3,581 training rows) that moves churn's ROC-AUC by 1e-4 (0.77301 -> 0.77311, measured;
# value's Spearman by 0.011). Changing only the seed of the local fit moves the AUC over 0.012 (six seeds:
# 0.764 to 0.776): a difference within that spread is the same model up to the draws LightGBM makes
# anyway. Which rows each worker holds depends on where Dask placed the parts, so the difference varies
# from run to run (0.0117 once on a loaded machine): the bound is the seeds' spread, rounded up.
AUC_TOLERANCE = 0.015


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIBLE_HOME", str(tmp_path_factory.mktemp("dask_training_home")))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        for name in ("CIBLE_ENGINE", "CIBLE_DASK_SCHEDULER"):
            mp.delenv(name, raising=False)
        yield Settings.from_env()


@pytest.fixture(scope="module")
def compared(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, client
) -> dict[str, Comparison]:
    """Churn's candidates compared in this process and on the cluster, on the same cutoffs."""
    as_of = small_synthetic.default_as_of()
    past = small_synthetic.before(as_of)
    engines = {
        "local": FeatureCache(past),
        "dask": FeatureCache(past, DaskEngine(small_synthetic_dir, DASK, home, client)),
    }
    return {
        name: compare_candidates(small_synthetic, as_of, TARGETS[CHURN], FAST, cache)
        for name, cache in engines.items()
    }


def _candidate(comparison: Comparison, name: str):
    return next(e for e in comparison.candidates if e.name == name)


def test_lightgbm_trained_on_dask_is_within_tolerance_of_local(compared: dict[str, Comparison]) -> None:
    local, dask = (_candidate(compared[name], LIGHTGBM) for name in ("local", "dask"))
    assert type(dask.model.scorer.estimator_) is LGBMClassifier  # a local model, not a Dask one
    assert dask.model.scorer.categories_ == local.model.scorer.categories_
    assert local.metrics["roc_auc"] > 0.7
    assert abs(dask.metrics["roc_auc"] - local.metrics["roc_auc"]) <= AUC_TOLERANCE
    # Only the trees (and the blend holding them) are trained elsewhere: every other candidate is the same.
    for name in ("recency", "rfm", "bgnbd", "mbgnbd", "stacked"):
        assert _candidate(compared["dask"], name).metrics == _candidate(compared["local"], name).metrics


SCORE_WITHOUT_DASK = """
import sys
for name in ("dask", "distributed", "lightgbm.dask"):
    sys.modules[name] = None  # any import of Dask now fails
import mlflow, numpy as np, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.sklearn.load_model(sys.argv[2])
frame = pd.read_parquet(sys.argv[3])
np.save(sys.argv[4], model.predict(frame))
print(model.explain(frame.head(5))[0])
"""


def test_the_dask_trained_model_registers_and_scores_without_dask(
    home: Settings, compared: dict[str, Comparison], tmp_path: Path
) -> None:
    trained = _candidate(compared["dask"], LIGHTGBM)
    client = connect(home)
    with mlflow.start_run(experiment_id=experiment_id(home, CHURN)):
        decision = decide("roc_auc", trained.metrics["roc_auc"], None, 0.0)
        version = log_and_register(client, trained.model, CHURN, decision)
    rows = compared["dask"].evaluation.features
    rows.to_parquet(tmp_path / "rows.parquet")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCORE_WITHOUT_DASK,
            home.tracking_uri,
            f"models:/{CHURN}/{version.version}",
            str(tmp_path / "rows.parquet"),
            str(tmp_path / "scores.npy"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip()  # reasons, from the SHAP values of the local booster
    np.testing.assert_array_equal(np.load(tmp_path / "scores.npy"), trained.model.predict(rows))


def test_cible_train_churn_on_dask(
    home: Settings, small_synthetic_dir: Path, cluster, tmp_path: Path
) -> None:
    fast = tmp_path / "fast.yaml"
    fast.write_text("lightgbm: {n_estimators: 60, num_leaves: 15, min_child_samples: 20}\nshap_sample: 300\n")
    args = ["--engine", "dask", "--scheduler", cluster.scheduler_address, "--partitions", "4"]
    result = CliRunner().invoke(
        app, ["train", "churn", "--data", str(small_synthetic_dir), "--config", str(fast), *args]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "lightgbm" in result.output and "best candidate" in result.output


def test_a_worker_lost_during_the_fit_is_one_clear_error(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path
) -> None:
    as_of = small_synthetic.default_as_of()
    target = TARGETS[CHURN]
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local, set_as_default=False) as own,
    ):
        engine = DaskEngine(small_synthetic_dir, DASK, home, own)
        cache = FeatureCache(small_synthetic.before(as_of), engine)
        cutoffs = cutoffs_for(cache.past, as_of, target, FAST)
        training = [labelled_rows(cache, target, t, cutoffs.training_label_days) for t in cutoffs.training]
        rows = [CutoffRows(p.cutoff, pd.Series(p.y, index=p.features[c.CUSTOMER_ID])) for p in training]
        columns = PREDICTIVE_FEATURES_V1.resolve(list(training[0].features.columns))
        # Trees enough to be still training when the worker goes (the fit fails long before the end).
        scorer = BoostedScorer(columns=columns, params={"n_estimators": 100_000, "min_child_samples": 5})
        killed: list[int] = []

        def kill_a_worker_once_training() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if any("_train_part" in str(key) for keys in own.processing().values() for key in keys):
                    time.sleep(0.5)  # the LightGBM machines connected to each other
                    pid = next(iter(own.run(os.getpid).values()))
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.05)

        threading.Thread(target=kill_a_worker_once_training, daemon=True).start()
        with pytest.raises(EngineError, match="LightGBM training on the Dask cluster failed") as raised:
            engine.fit_boosted(scorer, pd.DataFrame(), np.array([]), rows)
    assert killed
    message = str(raised.value)
    assert "1 of its 2 workers lost" in message and "run the command again" in message
    assert "\n" not in message
