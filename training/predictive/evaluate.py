"""Scores of a candidate on held-out rows: ranking, calibration, aggregate error, lift and gains.

Every number here is an aggregate over customers; none names or lists a customer, so all of them can go
to MLflow (issue 8: artifacts hold aggregates only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

DECILES = 10
CALIBRATION_BINS = 10


def _aggregate_error(predicted: float, actual: float) -> float:
    """Relative error of the total: +0.10 = 10% too many (or too much), NaN if nothing happened."""
    return predicted / actual - 1.0 if actual else float("nan")


def deciles(y: np.ndarray, prediction: np.ndarray) -> pd.DataFrame:
    """Customers ranked by prediction (highest first) in ten equal groups: the outcome each group holds,
    its lift over the average and the cumulative share of all outcomes captured (gains)."""
    order = np.argsort(-prediction, kind="stable")
    groups = np.array_split(np.asarray(y, dtype=np.float64)[order], DECILES)
    sums = np.array([g.sum() for g in groups])
    sizes = np.array([len(g) for g in groups], dtype=np.float64)
    total = sums.sum()
    mean = total / sizes.sum() if sizes.sum() else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame(
            {
                "decile": np.arange(1, DECILES + 1),
                "customers": sizes.astype(int),
                "mean_outcome": sums / sizes,
                "lift": (sums / sizes) / mean,
                "cumulative_gain": np.cumsum(sums) / total if total else np.nan,
                "cumulative_customers": np.cumsum(sizes) / sizes.sum(),
            }
        )


def calibration_table(y: np.ndarray, probability: np.ndarray) -> pd.DataFrame:
    """Mean predicted probability against the observed rate, in ten bins of equal size."""
    order = np.argsort(probability, kind="stable")
    bins = np.array_split(order, CALIBRATION_BINS)
    return pd.DataFrame(
        {
            "predicted": [float(probability[b].mean()) for b in bins if len(b)],
            "observed": [float(np.asarray(y)[b].mean()) for b in bins if len(b)],
            "customers": [len(b) for b in bins if len(b)],
        }
    )


def binary_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    both = len(np.unique(y)) == 2
    table = deciles(y, p)
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "base_rate": float(y.mean()),
        "expected_positives": float(p.sum()),
        "actual_positives": float(y.sum()),
        "aggregate_error": _aggregate_error(float(p.sum()), float(y.sum())),
        "top_decile_lift": float(table["lift"].iloc[0]),
        "customers": float(len(y)),
    }


def regression_metrics(y: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(prediction, dtype=np.float64)
    table = deciles(y, pred)
    rho = spearmanr(pred, y).statistic if np.std(pred) > 0 and np.std(y) > 0 else float("nan")
    return {
        "mae": float(np.mean(np.abs(pred - y))),
        "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
        "spearman": float(rho),
        "total_predicted": float(pred.sum()),
        "total_actual": float(y.sum()),
        "aggregate_error": _aggregate_error(float(pred.sum()), float(y.sum())),
        "top_decile_share": float(table["cumulative_gain"].iloc[0]),
        "customers": float(len(y)),
    }


def metrics_for(kind: str, y: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    return binary_metrics(y, prediction) if kind == "binary" else regression_metrics(y, prediction)


def is_better(a: float, b: float, higher_is_better: bool) -> bool:
    """Strictly better; NaN (a metric that cannot be computed) is never better than anything."""
    if np.isnan(a):
        return False
    if np.isnan(b):
        return True
    return a > b if higher_is_better else a < b
