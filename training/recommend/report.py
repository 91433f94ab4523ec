"""Tables and plots of a recommender evaluation: logged with each run, printed by the experiments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from training.figures import figure
from training.recommend.evaluate import NDCG, Evaluation

METRIC_COLUMNS: tuple[str, ...] = ("recall_at_10", "ndcg_at_10", "map_at_10", "coverage")


def metrics_table(evaluation: Evaluation) -> pd.DataFrame:
    table = pd.DataFrame(evaluation.scores).T.loc[:, list(METRIC_COLUMNS)]
    table.index.name = "method"
    return table


def markdown(table: pd.DataFrame) -> str:
    head = "| method | " + " | ".join(table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    rows = [f"| {name} | " + " | ".join(f"{v:.4f}" for v in row) + " |" for name, row in table.iterrows()]
    return "\n".join([head, rule, *rows])


def flat_metrics(evaluation: Evaluation) -> dict[str, float]:
    """``method.metric`` keys for MLflow."""
    return {f"{m}.{k}": v for m, scores in evaluation.scores.items() for k, v in scores.items()}


def ndcg_chart(evaluation: Evaluation, path: Path) -> None:
    names = list(evaluation.scores)
    values = np.array([evaluation.scores[n][NDCG] for n in names])
    fig = figure(figsize=(7, 3.5))
    ax = fig.subplots()
    ax.barh(names, values, color=["#1f77b4" if n.startswith("cible") else "#999999" for n in names])
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.3f}", va="center", fontsize=8)
    ax.set_xlabel("NDCG@10 on the validation window")
    ax.set_title(f"Recommendations for {evaluation.customers:,} customers")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
