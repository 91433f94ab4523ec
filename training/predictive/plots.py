"""PNG charts logged with each predictive run: calibration, lift and cumulative gains of every candidate
on the evaluation half, and the SHAP summary of the tree model. Aggregates only: no customer appears."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from training.figures import figure
from training.predictive.compare import Comparison
from training.predictive.evaluate import calibration_table, deciles

SHAP_TOP = 15  # features shown in the SHAP summary
SHAP_POINTS = 2000  # points per feature at most, so the PNG stays light


def _outcome_words(comparison: Comparison) -> str:
    horizon = comparison.cutoffs.horizon_days
    return {
        "churn": f"no order in {horizon} days",
        "propensity": f"an order in {horizon} days",
        "value": f"spend in {horizon} days (EUR)",
        "next_order": f"days to next order (within {horizon})",
    }[comparison.target.name]


def calibration_curves(comparison: Comparison, path: Path) -> None:
    y = comparison.evaluation.y
    fig = figure(figsize=(7, 6))
    ax = fig.subplots()
    for candidate in comparison.candidates:
        table = calibration_table(y, candidate.prediction)
        ax.plot(table["predicted"], table["observed"], marker="o", label=candidate.name)
    low = min(float(np.nanmin(y)), 0.0)
    high = max(float(np.nanmax(y)), 1.0) if comparison.target.kind == "binary" else float(np.nanmax(y))
    ax.plot([low, high], [low, high], color="grey", linestyle="--", label="perfect")
    ax.set_xlabel("mean prediction (10 equal bins)")
    ax.set_ylabel(f"observed: {_outcome_words(comparison)}")
    ax.set_title(f"{comparison.target.name}: calibration on the evaluation half")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _decile_tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    y = comparison.evaluation.y
    return {c.name: deciles(y, c.prediction) for c in comparison.candidates}


def lift_chart(comparison: Comparison, path: Path) -> None:
    tables = _decile_tables(comparison)
    fig = figure(figsize=(8, 5))
    ax = fig.subplots()
    width = 0.8 / max(len(tables), 1)
    for i, (name, table) in enumerate(tables.items()):
        ax.bar(table["decile"] + (i - len(tables) / 2) * width, table["lift"], width=width, label=name)
    ax.axhline(1.0, color="grey", linestyle="--")
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("decile of customers by prediction (1 = highest)")
    ax.set_ylabel(f"lift: {_outcome_words(comparison)} vs average")
    ax.set_title(f"{comparison.target.name}: lift by decile")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def gains_chart(comparison: Comparison, path: Path) -> None:
    fig = figure(figsize=(7, 6))
    ax = fig.subplots()
    for name, table in _decile_tables(comparison).items():
        ax.plot(
            np.r_[0.0, table["cumulative_customers"]],
            np.r_[0.0, table["cumulative_gain"]],
            marker=".",
            label=name,
        )
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
    ax.set_xlabel("share of customers, highest predictions first")
    ax.set_ylabel(f"share of all {_outcome_words(comparison)}")
    ax.set_title(f"{comparison.target.name}: cumulative gains")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def shap_summary(values: np.ndarray, matrix: pd.DataFrame, title: str, path: Path) -> None:
    """Beeswarm-style summary: per feature (largest mean |SHAP| first), each sampled customer's SHAP value,
    coloured by the feature's value rank (blue low, red high; grey for categories and missing values)."""
    strength = np.abs(values).mean(axis=0)
    top = np.argsort(-strength)[:SHAP_TOP][::-1]
    rng = np.random.default_rng(0)
    fig = figure(figsize=(9, 0.45 * len(top) + 1.5))
    ax = fig.subplots()
    for row, j in enumerate(top):
        pick = rng.choice(len(values), size=min(SHAP_POINTS, len(values)), replace=False)
        column = matrix.iloc[pick, j]
        numeric = pd.api.types.is_numeric_dtype(column)
        colour = column.rank(pct=True).to_numpy() if numeric else np.full(len(pick), np.nan)
        jitter = rng.uniform(-0.3, 0.3, len(pick))
        ax.scatter(
            values[pick, j], row + jitter, c=colour, cmap="coolwarm", s=4, vmin=0, vmax=1, plotnonfinite=True
        )
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(range(len(top)), [str(matrix.columns[j]) for j in top], fontsize=8)
    ax.set_xlabel("SHAP value (raw model units; right = raises the prediction)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
