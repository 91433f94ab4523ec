"""The response-model approach checked on real accept/reject data: the UCI in-vehicle coupon survey.

Each row is a driver, a context (destination, weather, time, passengers) and a coupon (type, expiry);
Y = 1 when the driver would accept it. The file has no timestamps, so the split is a seeded stratified
holdout. Baseline: each coupon type's acceptance rate on the training part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

TARGET = "Y"
COUPON = "coupon"
TEST_SHARE = 0.25


@dataclass(frozen=True)
class CouponEvaluation:
    model_auc: float
    baseline_auc: float
    train_rows: int
    test_rows: int
    acceptance_rate: float


def load_coupons(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    features = frame.drop(columns=[TARGET]).astype("str").astype("category")
    return features.assign(**{TARGET: frame[TARGET].astype(int)})


def evaluate_coupons(frame: pd.DataFrame, seed: int = 7, n_estimators: int = 400) -> CouponEvaluation:
    train, test = train_test_split(frame, test_size=TEST_SHARE, random_state=seed, stratify=frame[TARGET])
    x_train, x_test = train.drop(columns=[TARGET]), test.drop(columns=[TARGET])
    model = lgb.LGBMClassifier(
        n_estimators=n_estimators,
        learning_rate=0.03,
        num_leaves=31,
        min_child_samples=20,
        colsample_bytree=0.7,
        random_state=seed,
        n_jobs=1,  # two OpenMP threads on a busy 2-core machine made fits 10-20x slower
        verbose=-1,
    )
    model.fit(x_train, train[TARGET])
    p = model.predict_proba(x_test)[:, 1]
    rates = train.groupby(COUPON, observed=True)[TARGET].mean()
    baseline = test[COUPON].astype("str").map(rates.rename(index=str)).fillna(train[TARGET].mean())
    y = test[TARGET].to_numpy()
    return CouponEvaluation(
        model_auc=float(roc_auc_score(y, p)),
        baseline_auc=float(roc_auc_score(y, baseline.to_numpy(dtype=np.float64))),
        train_rows=len(train),
        test_rows=len(test),
        acceptance_rate=float(frame[TARGET].mean()),
    )
