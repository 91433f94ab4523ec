"""Purchase intent on real sessions: LightGBM vs PageValues alone and a logistic regression, on UCI
Online Shoppers Purchasing Intention (12,205 distinct sessions, 15.6% with a purchase).

    .venv/bin/python -m experiments.intent_online_shoppers [--csv PATH]  (default: the file in ../shared/data)

Two splits:
- stratified 5-fold cross-validation (the headline): the file has a month but no year, day or order
  within the month, so "time" is a season rather than a sequence; the published figures (ROC-AUC about
  0.93 for gradient boosting) are on random splits, and this one is comparable with them;
- a time-like split: train on February to October, test on November and December (the holiday months,
  with the highest purchase rate): how much is lost when the test season was never seen.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.importers.online_shoppers import CODES, FEATURES, LABEL, MONTH, NUMERIC, read_online_shoppers

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_CSV = SHARED_DATA / "online_shoppers_intention" / "online_shoppers_intention.csv"
SEED = 7
FOLDS = 5
TEST_MONTHS = (11, 12)
LGBM_PARAMS = {
    "n_estimators": 300,
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 30,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_jobs": 1,  # shared 2-core machine
    "verbose": -1,
}


@dataclass(frozen=True)
class Scores:
    roc_auc: float
    pr_auc: float
    brier: float | None


def _scores(y: np.ndarray, p: np.ndarray, probability: bool = True) -> Scores:
    return Scores(
        float(roc_auc_score(y, p)),
        float(average_precision_score(y, p)),
        float(brier_score_loss(y, p)) if probability else None,
    )


def lightgbm_model(seed: int = SEED) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(random_state=seed, deterministic=True, force_row_wise=True, **LGBM_PARAMS)


def logistic_model() -> object:
    numeric = [*NUMERIC, "weekend", "returning_visitor", "new_visitor"]
    encode = ColumnTransformer(
        [
            ("numbers", StandardScaler(), numeric),
            ("codes", OneHotEncoder(handle_unknown="ignore"), [*CODES, MONTH]),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000, C=1.0))


def predictions(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, tuple[np.ndarray, bool]]:
    """Each model's scores on ``test`` (and whether they are probabilities)."""
    x, y = train[list(FEATURES)], train[LABEL].to_numpy()
    boosted = lightgbm_model().fit(x, y)
    logistic = logistic_model().fit(x, y)  # type: ignore[attr-defined]
    return {
        "LightGBM (all features)": (boosted.predict_proba(test[list(FEATURES)])[:, 1], True),
        "logistic regression": (logistic.predict_proba(test[list(FEATURES)])[:, 1], True),
        "PageValues alone": (test["PageValues"].to_numpy(), False),
    }


def cross_validated(sessions: pd.DataFrame) -> dict[str, Scores]:
    """Out-of-fold scores pooled over the folds, then measured once."""
    y = sessions[LABEL].to_numpy()
    pooled: dict[str, np.ndarray] = {}
    kinds: dict[str, bool] = {}
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    for train_at, test_at in folds.split(sessions, y):
        for name, (p, probability) in predictions(sessions.iloc[train_at], sessions.iloc[test_at]).items():
            pooled.setdefault(name, np.zeros(len(sessions)))[test_at] = p
            kinds[name] = probability
    return {name: _scores(y, p, kinds[name]) for name, p in pooled.items()}


def time_like(sessions: pd.DataFrame) -> tuple[dict[str, Scores], int, int, float, float]:
    test_rows = sessions[MONTH].isin(TEST_MONTHS)
    train, test = sessions[~test_rows], sessions[test_rows]
    y = test[LABEL].to_numpy()
    out = {name: _scores(y, p, prob) for name, (p, prob) in predictions(train, test).items()}
    return out, len(train), len(test), float(train[LABEL].mean()), float(test[LABEL].mean())


def _table(scores: dict[str, Scores]) -> list[str]:
    lines = ["| model | ROC-AUC | PR-AUC | Brier |", "|---|---:|---:|---:|"]
    for name, s in scores.items():
        brier = f"{s.brier:.4f}" if s.brier is not None else "n/a (not a probability)"
        lines.append(f"| {name} | {s.roc_auc:.4f} | {s.pr_auc:.4f} | {brier} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="online_shoppers_intention.csv")
    args = parser.parse_args()
    if not args.csv.is_file():
        raise SystemExit(f"{args.csv} is missing: see {SHARED_DATA / 'README.md'}")
    data = read_online_shoppers(args.csv)
    sessions = data.sessions
    print(
        f"{data.rows_read:,} rows read, {data.duplicates_dropped} exact duplicates dropped: "
        f"{len(sessions):,} sessions, {data.purchase_rate:.1%} with a purchase"
    )
    print(f"\nStratified {FOLDS}-fold cross-validation (seed {SEED}), out-of-fold scores pooled:")
    print("\n".join(_table(cross_validated(sessions))))
    scores, n_train, n_test, rate_train, rate_test = time_like(sessions)
    print(
        f"\nTime-like split: train Feb-Oct ({n_train:,} sessions, {rate_train:.1%} bought), "
        f"test Nov-Dec ({n_test:,} sessions, {rate_test:.1%} bought):"
    )
    print("\n".join(_table(scores)))


if __name__ == "__main__":
    main()
