"""Metrics of the intent model and of the simple rules it must beat, on the same validation rows."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from features.intent import names as f
from training.intent.labels import LABEL

ROC_AUC, PR_AUC, BRIER = "roc_auc", "pr_auc", "brier"

# Each baseline is a score (higher = more likely to buy) read off the visitor's own features.
BASELINES: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    # The classic retargeting rule: put in the cart in the last 24 hours.
    "carted_24h": lambda rows: (rows[f.count_name("cart_adds", 24)] > 0).to_numpy(dtype=float),
    # The more recent the last visit, the likelier a purchase.
    "visit_recency": lambda rows: -rows[f.HOURS_SINCE_LAST_EVENT].to_numpy(dtype=float),
    # A frequent buyer buys again (anonymous visitors count as never having ordered).
    "customer_orders_365d": lambda rows: (
        rows[f"{f.CUSTOMER_PREFIX}orders_365d"].fillna(0).to_numpy(dtype=float)
    ),
}


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    if len(np.unique(y)) < 2:
        return {ROC_AUC: float("nan"), PR_AUC: float("nan")}
    return {ROC_AUC: float(roc_auc_score(y, score)), PR_AUC: float(average_precision_score(y, score))}


def probability_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    return {
        **ranking_metrics(y, probability),
        BRIER: float(brier_score_loss(y, np.clip(probability, 0.0, 1.0))),
        "mean_predicted": float(np.mean(probability)),
        "purchase_rate": float(np.mean(y)),
    }


def baseline_metrics(rows: pd.DataFrame) -> dict[str, dict[str, float]]:
    y = rows[LABEL].to_numpy()
    return {name: ranking_metrics(y, score(rows)) for name, score in BASELINES.items()}
