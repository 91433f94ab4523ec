"""Shared by the predictive experiments: run every candidate on one split, print it as a table, log it.

The comparison is :func:`training.predictive.compare.compare_candidates`, the very code a training run
uses: candidates trained on rolling cutoffs before the validation cutoff, calibrated on one half of the
validation customers, judged on the other half.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features.dataset import Dataset
from features.settings import Settings
from training.predictive.compare import Comparison, compare_candidates
from training.predictive.config import PredictiveConfig
from training.predictive.rows import FeatureCache
from training.predictive.targets import TARGETS
from training.tracking import connect, experiment_id

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"
EXPERIMENT = "experiments.predictive"
TRANSACTIONS_CONFIG = PROJECT / "experiments" / "predictive_transactions.yaml"
BINARY_COLUMNS: dict[str, str] = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "brier": "Brier",
    "expected_positives": "expected buyers",
    "actual_positives": "actual buyers",
    "expected_orders": "expected orders",
    "actual_orders": "actual orders",
}
Extra = Callable[[Comparison], dict[str, np.ndarray]]


def configurations(overrides: dict[str, object]) -> dict[str, PredictiveConfig]:
    """The default settings and the transaction-only ones, both with ``overrides`` (e.g. a horizon)."""
    transactions = PredictiveConfig.from_yaml(TRANSACTIONS_CONFIG)
    return {
        "default": PredictiveConfig(**overrides),  # type: ignore[arg-type]
        "transaction-only": replace(transactions, **overrides),  # type: ignore[arg-type]
    }


def compare(
    dataset: Dataset,
    as_of: pd.Timestamp,
    target: str,
    config: PredictiveConfig,
    cache: FeatureCache | None = None,
) -> tuple[Comparison, float]:
    started = time.perf_counter()
    comparison = compare_candidates(dataset, as_of, TARGETS[target], config, cache)
    return comparison, time.perf_counter() - started


def _cell(value: float, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column.startswith(("expected", "actual")):
        return f"{value:,.0f}"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"


def table(
    comparison: Comparison, columns: dict[str, str], extra: dict[str, dict[str, float]] | None = None
) -> str:
    """Markdown: one row per candidate, the best marked; ``extra`` adds columns per candidate."""
    extra = extra or {}
    headers = ["candidate", *columns.values(), *sorted({k for v in extra.values() for k in v})]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    best = comparison.best.name
    for candidate in comparison.candidates:
        metrics = {**candidate.metrics}
        cells = [_cell(metrics.get(key, math.nan), key) for key in columns]
        cells += [
            _cell(extra.get(candidate.name, {}).get(h, math.nan), "") for h in headers[1 + len(columns) :]
        ]
        name = f"**{candidate.name}**" if candidate.name == best else candidate.name
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)


BOOTSTRAP_DRAWS = 300


def versus_bgnbd(comparison: Comparison, seed: int = 0) -> str:
    """The best candidate's ROC-AUC minus BG/NBD's on the same customers, with a 95% interval from a paired
    bootstrap of those customers: is the gain larger than the evaluation half's own noise?"""
    found = {c.name: c for c in comparison.candidates}
    best = comparison.best
    if "bgnbd" not in found or best.name == "bgnbd" or comparison.target.kind != "binary":
        return ""
    y, a, b = comparison.evaluation.y, best.prediction, found["bgnbd"].prediction
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(BOOTSTRAP_DRAWS):
        pick = rng.integers(0, len(y), len(y))
        if len(np.unique(y[pick])) == 2:
            gains.append(roc_auc_score(y[pick], a[pick]) - roc_auc_score(y[pick], b[pick]))
    low, high = np.percentile(gains, [2.5, 97.5])
    gain = best.metrics["roc_auc"] - found["bgnbd"].metrics["roc_auc"]
    interval = f"95% paired bootstrap interval {low:+.4f} to {high:+.4f}"
    return f"\n\n{best.name} - bgnbd: ROC-AUC {gain:+.4f} ({interval})"


def describe(comparison: Comparison, seconds: float) -> str:
    rows = comparison.evaluation
    return (
        f"{comparison.cutoffs.describe()}; {comparison.training_rows:,} training rows, "
        f"{comparison.calibration_rows:,} calibration and {len(rows.y):,} evaluation customers "
        f"({'base rate' if comparison.target.kind == 'binary' else 'mean outcome'} {rows.y.mean():.3f}); "
        f"{seconds:.0f} s" + "".join(f"; skipped {name}: {why}" for name, why in comparison.skipped.items())
    )


def section(
    comparison: Comparison,
    seconds: float,
    columns: dict[str, str],
    extra: dict[str, dict[str, float]] | None = None,
) -> str:
    """What an experiment prints for one comparison: the split, the table, the gain over BG/NBD."""
    return f"{describe(comparison, seconds)}\n\n{table(comparison, columns, extra)}{versus_bgnbd(comparison)}"


def log_results(
    run_name: str, params: dict[str, str], sections: Sequence[tuple[str, Comparison, str]]
) -> None:
    """Each section's metrics as ``{section}.{candidate}.{metric}`` and the printed tables as an artifact,
    in the Cible home's MLflow store (``CIBLE_HOME`` / ``MLFLOW_TRACKING_URI``). Aggregates only."""
    settings = Settings.from_env()
    connect(settings)
    with mlflow.start_run(experiment_id=experiment_id(settings, EXPERIMENT), run_name=run_name):
        mlflow.log_params(params)
        metrics = {}
        for section, comparison, _ in sections:
            for candidate in comparison.candidates:
                for key, value in candidate.metrics.items():
                    if np.isfinite(value):
                        metrics[f"{section}.{candidate.name}.{key}"] = float(value)
        mlflow.log_metrics(metrics)
        with tempfile.TemporaryDirectory() as tmp:
            text = "\n\n".join(f"## {section}\n\n{printed}" for section, _, printed in sections)
            path = Path(tmp) / "tables.md"
            path.write_text(text + "\n")
            mlflow.log_artifact(str(path))
    print(f"\nlogged to MLflow ({settings.tracking_uri}), experiment {EXPERIMENT!r}, run {run_name!r}")
