"""One predictive run: compare the candidates, score the champion on the same rows, gate, log, register.

The registered model is the best candidate exactly as it was evaluated (trained on the rolling cutoffs,
calibrated on the calibration half), not a refit on later labels: its numbers in MLflow are the numbers
of the model that is served. It goes under the target's name (``churn``, ``propensity``, ``value``,
``next_order``) and takes the ``champion`` alias only if it beats the current champion, scored on the
same evaluation half, by the configured margin; otherwise the run and the model version say why.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from features.dataset import Dataset
from features.predictive.model import CustomerScoreModel
from features.settings import Settings
from training.predictive import plots
from training.predictive.candidates import TREE_CANDIDATES
from training.predictive.compare import Comparison, compare_candidates
from training.predictive.config import PredictiveConfig
from training.predictive.evaluate import deciles
from training.predictive.rows import FeatureCache
from training.predictive.targets import TARGETS
from training.registry import GateDecision, decide, log_and_register
from training.registry import load_champion as load_registered
from training.tracking import connect, training_run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PredictiveRun:
    target: str
    run_id: str
    version: str
    decision: GateDecision
    comparison: Comparison
    champion_metrics: dict[str, float] | None

    @property
    def candidate(self) -> str:
        return self.comparison.best.name


def load_champion(client: MlflowClient, name: str) -> tuple[CustomerScoreModel, str] | None:
    return load_registered(client, name)


def _gate(
    comparison: Comparison, champion: CustomerScoreModel | None, margin: float
) -> tuple[GateDecision, dict | None]:
    target, best = comparison.target, comparison.best
    if champion is None:
        return decide(target.metric, best.metrics[target.metric], None, margin, target.higher_is_better), None
    metrics, _ = comparison.evaluate(champion)
    score = metrics[target.metric]
    if np.isnan(best.metrics[target.metric]):
        reason = f"{target.metric} cannot be computed on the evaluation rows (one class only): champion kept"
        return GateDecision(False, reason, target.metric, float("nan"), score), metrics
    decision = decide(target.metric, best.metrics[target.metric], score, margin, target.higher_is_better)
    return decision, metrics


def _finite(metrics: dict[str, float], prefix: str = "") -> dict[str, float]:
    return {f"{prefix}{k}": float(v) for k, v in metrics.items() if np.isfinite(v)}


def _log_artifacts(comparison: Comparison, config: PredictiveConfig, decision: GateDecision) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        comparison.table().to_csv(folder / "candidates.csv")
        y = comparison.evaluation.y
        per_decile = [deciles(y, c.prediction).assign(candidate=c.name) for c in comparison.candidates]
        pd.concat(per_decile, ignore_index=True).to_csv(folder / "deciles.csv", index=False)
        plots.calibration_curves(comparison, folder / "calibration_curve.png")
        plots.lift_chart(comparison, folder / "lift_by_decile.png")
        plots.gains_chart(comparison, folder / "cumulative_gains.png")
        trees = [c for c in comparison.candidates if c.name in TREE_CANDIDATES]
        if trees:
            # The best tree model explains the run even when a simpler candidate wins.
            tree = max(
                trees,
                key=lambda c: (
                    c.metrics[comparison.target.metric] * (1 if comparison.target.higher_is_better else -1)
                ),
            )
            sample = comparison.evaluation.features.head(config.shap_sample)
            values, _ = tree.model.scorer.contributions(sample)  # type: ignore[union-attr]
            matrix, _ = tree.model.scorer.matrix(sample)  # type: ignore[union-attr]
            title = (
                f"{comparison.target.name}: SHAP summary of {tree.name} ({len(sample)} evaluation customers)"
            )
            plots.shap_summary(values, matrix, title, folder / "shap_summary.png")
        lines = [comparison.cutoffs.describe(), f"gate: {decision.reason}"]
        lines += [f"skipped {name}: {why}" for name, why in comparison.skipped.items()]
        (folder / "summary.txt").write_text("\n".join(lines) + "\n")
        mlflow.log_artifacts(str(folder))


def _params(comparison: Comparison, config: PredictiveConfig, as_of: pd.Timestamp) -> dict[str, str]:
    cutoffs, best = comparison.cutoffs, comparison.best
    return {
        **config.as_params(),
        "target": comparison.target.name,
        "as_of": str(as_of),
        "horizon_days": str(cutoffs.horizon_days),
        "validation_cutoff": str(cutoffs.validation),
        "training_cutoffs": ",".join(f"{t:%Y-%m-%d}" for t in cutoffs.training) or "none",
        "training_label_days": str(cutoffs.training_label_days),
        "training_rows": str(comparison.training_rows),
        "calibration_rows": str(comparison.calibration_rows),
        "evaluation_rows": str(len(comparison.evaluation.y)),
        "candidate": best.name,
        "feature_set": best.model.feature_set,
    }


def train_target(
    dataset: Dataset,
    as_of: pd.Timestamp,
    settings: Settings,
    target_name: str,
    config: PredictiveConfig | None = None,
    cache: FeatureCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> PredictiveRun:
    """Train, evaluate, gate and register one target as of ``as_of`` (nothing at or after it is read)."""
    config = config or PredictiveConfig()
    target = TARGETS[target_name]
    step = progress or (lambda _name: None)
    client = connect(settings)
    comparison = compare_candidates(dataset, as_of, target, config, cache, step)
    best = comparison.best
    step("scoring the champion")
    try:
        champion = load_champion(client, target.name)
    except (MlflowException, OSError, ModuleNotFoundError) as exc:
        log.warning("the %s champion cannot be loaded (%s): judged as absent", target.name, exc)
        champion = None
    decision, champion_metrics = _gate(comparison, champion[0] if champion else None, target.margin(config))
    step("logging to MLflow")
    with training_run(settings, target.name, f"{target.name} {as_of:%Y-%m-%d}", dataset):
        mlflow.log_params(_params(comparison, config, as_of))
        metrics = _finite(best.metrics)
        for candidate in comparison.candidates:
            metrics.update(_finite(candidate.metrics, f"{candidate.name}."))
        if champion_metrics is not None:
            metrics.update(_finite(champion_metrics, "champion."))
        mlflow.log_metrics(metrics)
        mlflow.set_tags({f"skipped.{name}": why[:4000] for name, why in comparison.skipped.items()})
        _log_artifacts(comparison, config, decision)
        version = log_and_register(client, best.model, target.name, decision)
        client.set_model_version_tag(target.name, version.version, "candidate", best.name)
        client.set_model_version_tag(target.name, version.version, "feature_set", best.model.feature_set)
        mlflow.set_tags({**decision.as_tags(), "candidate": best.name})
        run_id = mlflow.active_run().info.run_id  # type: ignore[union-attr]
    return PredictiveRun(target.name, run_id, str(version.version), decision, comparison, champion_metrics)
