"""One intent run: fit on the training cutoffs, calibrate on the next week, evaluate on the latest week
before ``as_of`` against the baselines and the current champion, gate, log to MLflow, register ``intent``.

The registered model is the one evaluated (not a refit on later weeks): its numbers in MLflow are those
of the model that is served. It takes the ``champion`` alias only if it beats every baseline's ROC-AUC
and the current champion's by the configured margin, both on the same validation rows.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from features.batch_engine import BatchEngine
from features.dataset import Dataset
from features.intent.model import IntentModel
from features.intent.names import INTENT_FEATURES, KNOWN_CUSTOMER
from features.predictive.calibration import ScoreCalibrator
from features.settings import Settings
from training.intent.config import IntentConfig
from training.intent.evaluate import ROC_AUC, baseline_metrics, probability_metrics
from training.intent.labels import LABEL
from training.intent.rows import IntentRows
from training.registry import GateDecision, decide, log_and_register
from training.registry import load_champion as load_registered
from training.tracking import connect, training_run

MODEL_NAME = "intent"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntentRun:
    run_id: str
    version: str
    decision: GateDecision
    metrics: dict[str, float]
    baselines: dict[str, dict[str, float]]
    champion_metrics: dict[str, float] | None
    rows: IntentRows
    model: IntentModel


def fit_intent_model(training: pd.DataFrame, calibration: pd.DataFrame, config: IntentConfig) -> IntentModel:
    """LightGBM on the training rows; its raw score calibrated on the (later) calibration rows."""
    features = list(INTENT_FEATURES)
    data = lgb.Dataset(
        training[features].to_numpy(dtype=np.float64),
        label=training[LABEL].to_numpy(),
        feature_name=features,
        free_raw_data=True,
    )
    booster = lgb.train(config.params(), data, num_boost_round=config.num_boost_round)
    raw = booster.predict(calibration[features].to_numpy(dtype=np.float64), raw_score=True, num_threads=1)
    calibrator = ScoreCalibrator(config.calibration).fit(raw, calibration[LABEL].to_numpy())
    return IntentModel(booster, calibrator, INTENT_FEATURES, config.horizon_days)


def load_intent_champion(client: MlflowClient) -> IntentModel | None:
    found = load_registered(client, MODEL_NAME)
    return found[0] if found else None


def evaluate(model: IntentModel, rows: pd.DataFrame) -> dict[str, float]:
    """Metrics on all rows, then on anonymous visitors alone (events only, no customer record)."""
    y, p = rows[LABEL].to_numpy(), model.predict(rows)
    metrics = {**probability_metrics(y, p), "rows": float(len(rows))}
    anonymous = rows[KNOWN_CUSTOMER].to_numpy() == 0
    if anonymous.any():
        metrics.update(
            {f"anonymous.{k}": v for k, v in probability_metrics(y[anonymous], p[anonymous]).items()}
        )
    return metrics


def gate(
    metrics: dict[str, float], baselines: dict[str, dict[str, float]], champion: float | None, margin: float
) -> GateDecision:
    auc = metrics[ROC_AUC]
    best_name, best = max(
        ((n, m[ROC_AUC]) for n, m in baselines.items()), key=lambda item: np.nan_to_num(item[1])
    )
    if not np.isfinite(auc) or auc <= best:
        reason = f"candidate {ROC_AUC}={auc:.4f} does not beat the {best_name} baseline ({best:.4f})"
        return GateDecision(False, reason, ROC_AUC, auc, champion)
    return decide(ROC_AUC, auc, champion, margin)


def _finite(metrics: dict[str, float], prefix: str = "") -> dict[str, float]:
    return {f"{prefix}{k}": float(v) for k, v in metrics.items() if np.isfinite(v)}


def train_intent(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    config: IntentConfig | None = None,
    progress: Callable[[str], None] | None = None,
    engine: BatchEngine | None = None,
) -> IntentRun:
    """Train, evaluate, gate and register the intent model as of ``as_of`` (nothing at or after it read;
    the customer features of each cutoff built on ``engine`` when given)."""
    config = config or IntentConfig()
    step = progress or (lambda _name: None)
    step("visitor rows and labels")
    rows = IntentRows.build(dataset, as_of, config, engine)
    step("fitting")
    model = fit_intent_model(rows.training, rows.calibration, config)
    step("evaluating")
    metrics = evaluate(model, rows.validation)
    baselines = baseline_metrics(rows.validation)
    client = connect(settings)
    try:
        champion = load_intent_champion(client)
    except (MlflowException, OSError, ModuleNotFoundError, AttributeError) as exc:
        log.warning("the intent champion cannot be loaded (%s): judged as absent", exc)
        champion = None
    champion_metrics = evaluate(champion, rows.validation) if champion is not None else None
    decision = gate(
        metrics, baselines, champion_metrics[ROC_AUC] if champion_metrics else None, config.margin
    )
    step("logging to MLflow")
    with training_run(settings, MODEL_NAME, f"intent {as_of:%Y-%m-%d}", dataset):
        mlflow.log_params(
            {
                **config.as_params(),
                "as_of": str(as_of),
                "training_cutoffs": ",".join(f"{t:%Y-%m-%d}" for t in rows.cutoffs.training),
                "calibration_cutoff": str(rows.cutoffs.calibration),
                "validation_cutoff": str(rows.cutoffs.validation),
                "training_rows": str(len(rows.training)),
                "calibration_rows": str(len(rows.calibration)),
                "validation_rows": str(len(rows.validation)),
            }
        )
        logged = _finite(metrics)
        for name, values in baselines.items():
            logged.update(_finite(values, f"baseline.{name}."))
        if champion_metrics is not None:
            logged.update(_finite(champion_metrics, "champion."))
        mlflow.log_metrics(logged)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            model.importances().rename("gain").to_csv(folder / "importances.csv")
            lines = [rows.cutoffs.describe(), f"gate: {decision.reason}"]
            (folder / "summary.txt").write_text("\n".join(lines) + "\n")
            mlflow.log_artifacts(str(folder))
        version = log_and_register(client, model, MODEL_NAME, decision)
        mlflow.set_tags(decision.as_tags())
        run_id = mlflow.active_run().info.run_id  # type: ignore[union-attr]
    return IntentRun(
        run_id, str(version.version), decision, metrics, baselines, champion_metrics, rows, model
    )
