"""Full predictive runs on the small synthetic retailer: MLflow run and registry, the promotion gate, the
champion's direction and truth recovery, artifacts free of customer ids, and batch scores."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features import columns as c
from features.customer_features import names as n
from features.customer_features.build import build_customer_features
from features.predictive.bands import HIGH_FROM, MEDIUM_FROM
from features.predictive.scorers import BTYDScorer
from features.segments.memberships import MembershipStore
from features.settings import Settings
from tests.training.predictive_data import FAST, truncated, with_loud_future
from training.predictive.config import PredictiveConfig
from training.predictive.rows import FeatureCache
from training.predictive.score import MODELS, SCORE_COLUMNS, score_customers
from training.predictive.train import load_champion, train_target
from training.registry import CHAMPION
from training.tracking import connect

PLOTS = {"calibration_curve.png", "lift_by_decile.png", "cumulative_gains.png", "shap_summary.png"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    patch = pytest.MonkeyPatch()
    patch.setenv("CIBLE_HOME", str(tmp_path_factory.mktemp("predictive") / "home"))
    patch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield Settings.from_env()
    patch.undo()


@pytest.fixture(scope="module")
def runs(small_synthetic, home):
    as_of = small_synthetic.default_as_of()
    cache = FeatureCache(small_synthetic.before(as_of))
    return {name: train_target(small_synthetic, as_of, home, name, FAST, cache) for name in MODELS}, as_of


def test_churn_run_is_logged_registered_and_beats_chance(runs, home, small_synthetic_dir) -> None:
    run = runs[0]["churn"]
    client = connect(home)
    assert run.version == "1" and run.decision.promoted
    assert str(client.get_model_version_by_alias("churn", CHAMPION).version) == "1"
    logged = mlflow.get_run(run.run_id)
    for candidate in ("recency", "rfm", "bgnbd", "mbgnbd", "lightgbm", "stacked"):
        assert {f"{candidate}.roc_auc", f"{candidate}.pr_auc", f"{candidate}.brier"} <= set(
            logged.data.metrics
        )
    assert logged.data.params["candidate"] == run.candidate
    assert logged.data.params["training_cutoffs"].count(",") == 3  # four rolling cutoffs
    assert PLOTS | {"candidates.csv", "deciles.csv", "summary.txt"} <= {
        a.path for a in client.list_artifacts(run.run_id)
    }
    assert str(home.home) in logged.info.artifact_uri
    # The registered champion, reloaded, ranks the held-out customers far better than chance...
    champion, _ = load_champion(client, "churn")
    rows = run.comparison.evaluation
    probability = champion.predict(rows.features)
    assert roc_auc_score(rows.y, probability) == pytest.approx(run.comparison.best.metrics["roc_auc"])
    # measured 0.775 here, against 0.709 for the recency rule alone: `> 0.7` passed when the comparison
    # registered its first candidate (recency) whatever the others scored
    recency = next(e for e in run.comparison.candidates if e.name == "recency").metrics["roc_auc"]
    assert run.comparison.best.metrics["roc_auc"] > max(0.76, recency + 0.05)
    # ...and the customers the generator really made churn before the window's end.
    truth = pd.read_parquet(small_synthetic_dir / "truth" / "customers.parquet").set_index(c.CUSTOMER_ID)
    end = run.comparison.cutoffs.validation + pd.Timedelta(days=90)
    gone = (truth["churn_at"].reindex(rows.features[c.CUSTOMER_ID]) < end).to_numpy()
    # measured 0.728 (0.756 before the generator's campaigns gained control groups); chance is 0.5
    assert roc_auc_score(gone, probability) > 0.70


def test_artifacts_hold_no_customer_ids(runs, home, small_synthetic) -> None:
    ids = set(small_synthetic.customers[c.CUSTOMER_ID])
    width = len(next(iter(ids)))
    for name, run in runs[0].items():
        folder = home.home / "dl" / name
        mlflow.artifacts.download_artifacts(run_id=run.run_id, dst_path=str(folder / "run"))
        # MLflow 3 keeps a logged model apart from its run's artifacts: fetch the registered version too.
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{run.version}", dst_path=str(folder / "model")
        )
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert {"model.pkl", "candidates.csv", "shap_summary.png"} <= {p.name for p in files}
        for path in files:  # every file, the pickled model included, read as bytes
            text = path.read_bytes().decode("latin-1")
            found = {text[i : i + width] for i in range(len(text)) if text.startswith("C", i)} & ids
            assert not found, (path, sorted(found)[:3])


SERVE_WITHOUT_TRAINING = """
import pickle, sys
import pandas as pd
with open(sys.argv[1], "rb") as handle:
    model = pickle.load(handle)
features = pd.read_parquet(sys.argv[2])
print(len(model.predict(features)), len(model.explain(features)))
print(sorted(m for m in sys.modules if m == "training" or m.startswith("training.")))
"""


def test_the_champion_loads_and_scores_without_training_code(runs, home, small_synthetic, tmp_path) -> None:
    folder = mlflow.artifacts.download_artifacts(
        artifact_uri="models:/churn@champion", dst_path=str(tmp_path)
    )
    features = build_customer_features(small_synthetic, runs[1]).head(20)
    features.to_parquet(tmp_path / "features.parquet")
    command = [
        sys.executable,
        "-c",
        SERVE_WITHOUT_TRAINING,
        str(Path(folder) / "model.pkl"),
        str(tmp_path / "features.parquet"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["20 20", "[]"]


def test_a_worse_challenger_keeps_the_champion(runs, home, small_synthetic, caplog) -> None:
    as_of = runs[1]
    strict = PredictiveConfig(**{**FAST.__dict__, "classification_margin": 1.0})  # must gain a full AUC point
    with caplog.at_level(logging.INFO, logger="training.registry"):
        challenger = train_target(small_synthetic, as_of, home, "churn", strict)
    assert not challenger.decision.promoted and challenger.version == "2"
    assert "champion kept" in challenger.decision.reason
    assert challenger.champion_metrics["roc_auc"] == pytest.approx(
        runs[0]["churn"].comparison.best.metrics["roc_auc"]
    )
    client = connect(home)
    assert str(client.get_model_version_by_alias("churn", CHAMPION).version) == "1"
    assert client.get_model_version("churn", "2").tags["gate.reason"] == challenger.decision.reason
    assert mlflow.get_run(challenger.run_id).data.tags["gate.promoted"] == "false"
    assert "not promoted" in caplog.text and "champion kept" in caplog.text


def test_when_btyd_wins_btyd_is_registered(small_synthetic, settings) -> None:
    # Trees of one leaf and rules against BTYD: honest beats fancy, and what wins is what is served.
    crippled = PredictiveConfig(**{**FAST.__dict__, "lightgbm": {"n_estimators": 1, "num_leaves": 2}})
    run = train_target(small_synthetic, small_synthetic.default_as_of(), settings, "churn", crippled)
    assert run.candidate in ("bgnbd", "mbgnbd")
    model, version = load_champion(connect(settings), "churn")
    assert version == run.version and model.candidate == run.candidate
    assert isinstance(model.scorer, BTYDScorer)


def test_more_days_since_the_last_order_never_lower_churn_risk(runs, home, small_synthetic) -> None:
    model, _ = load_champion(connect(home), "churn")
    features = build_customer_features(small_synthetic, runs[1])
    buyers = features[features[n.N_ORDERS] > 0].sample(8, random_state=0).reset_index(drop=True)
    grid = np.arange(0.0, 361.0, 15.0)
    risk = np.stack([model.predict(buyers.assign(**{n.DAYS_SINCE_LAST_ORDER: d})) for d in grid], axis=1)
    assert (np.diff(risk, axis=1) >= -1e-12).all(), model.candidate


def test_batch_scores(runs, home, small_synthetic) -> None:
    as_of = runs[1]
    stored = pd.DataFrame(
        {
            c.CUSTOMER_ID: small_synthetic.customers[c.CUSTOMER_ID],
            "rfm_segment": "champions",
            "cluster_name": "gourmets",
            "value_tier": "top",
        }
    )
    MembershipStore(home.segments_dir).save(stored, as_of - pd.Timedelta(days=1), "7")
    scores = score_customers(small_synthetic, as_of, home)
    assert list(scores.columns) == list(SCORE_COLUMNS) and scores.attrs["missing_models"] == []
    assert len(scores) == (small_synthetic.customers[c.CREATED_AT] < as_of).sum()
    p, band = scores["churn_probability"], scores["churn_risk_band"]
    assert ((band == "high") == (p >= HIGH_FROM)).all() and ((band == "low") == (p < MEDIUM_FROM)).all()
    features = build_customer_features(small_synthetic, as_of)
    assert ((band == "prospect").to_numpy() == (features[n.N_ORDERS] == 0).to_numpy()).all()
    assert scores["purchase_propensity"].between(0, 1).all() and (scores["predicted_value"] >= 0).all()
    assert scores["next_order_days"].between(0, 180).all()
    days = (scores["expected_next_order_date"] - as_of).dt.days
    assert (days == scores["next_order_days"].round()).all()
    assert (scores["cluster_name"] == "gourmets").all()
    assert scores["reasons"].map(lambda r: 1 <= len(r) <= 3 and all(isinstance(t, str) for t in r)).all()
    assert scores["scored_by"].iloc[0].startswith("churn v1")


def test_scores_ignore_rows_at_or_after_as_of(runs, home, small_synthetic) -> None:
    as_of = pd.Timestamp("2026-09-01")
    loud = with_loud_future(small_synthetic, as_of)
    # The snapshot a clean system would hold at as_of: the loud contact sent the day before is there,
    # its later open, click and conversion are not.
    clean = truncated(loud, as_of)
    pd.testing.assert_frame_equal(score_customers(clean, as_of, home), score_customers(loud, as_of, home))
