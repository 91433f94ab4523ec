"""The served model: calibration maps, fallbacks, bands, directions and SHAP reasons of the trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.customer_features import names as n
from features.customer_features.build import build_customer_features
from features.predictive.bands import HIGH_FROM, MEDIUM_FROM, risk_band
from features.predictive.boosted import BoostedScorer
from features.predictive.calibration import ScoreCalibrator
from features.predictive.inputs import PREDICTIVE_FEATURES_V1
from features.predictive.model import CustomerScoreModel
from features.predictive.scorers import RecencyRule

SMALL_TREES = {"n_estimators": 40, "num_leaves": 15, "min_child_samples": 20}


def test_bands_by_threshold() -> None:
    p = np.array([0.0, MEDIUM_FROM - 1e-9, MEDIUM_FROM, HIGH_FROM - 1e-9, HIGH_FROM, 1.0, np.nan])
    assert risk_band(p).tolist() == ["low", "low", "medium", "medium", "high", "high", "prospect"]


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_never_decreases(method: str) -> None:
    rng = np.random.default_rng(1)
    score = rng.normal(size=2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-2 * score))).astype(float)
    calibrated = ScoreCalibrator(method).fit(score, y).predict(np.linspace(-4, 4, 200))
    assert (np.diff(calibrated) >= 0).all()
    assert calibrated[0] < 0.1 and calibrated[-1] > 0.9


def test_a_backwards_score_is_worth_the_mean_only() -> None:
    score = np.arange(10.0)
    y = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 1], dtype=float)
    np.testing.assert_allclose(ScoreCalibrator("platt").fit(score, y).predict(score), y.mean())
    assert ScoreCalibrator("linear").fit(score, -score).predict(np.array([3.0]))[0] == 3.0  # identity


def test_rule_model_calibrates_falls_back_and_bands_buyers_only() -> None:
    frame = pd.DataFrame(
        {n.DAYS_SINCE_LAST_ORDER: [5.0, 40.0, 200.0, 300.0, np.nan, np.nan], n.N_ORDERS: [3, 2, 1, 1, 0, 0]}
    )
    y = np.array([0, 0, 1, 1, 1, 0], dtype=float)
    model = CustomerScoreModel(target="churn", candidate="recency", scorer=RecencyRule(1), buyers_only=True)
    model.fit(frame, y)
    assert model.fallback_ == 0.5  # the mean outcome of the rows the rule cannot score
    np.testing.assert_allclose(model.predict(frame), [0, 0, 1, 1, np.nan, np.nan])
    for_everyone = CustomerScoreModel(target="propensity", scorer=RecencyRule(-1), bounds=(0.0, 1.0))
    assert for_everyone.fit(frame, 1 - y).predict(frame)[-1] == 0.5
    assert model.explain(frame.head(2)) == [["last order 5 days ago"], ["last order 40 days ago"]]


@pytest.fixture(scope="module")
def churn_trees(small_synthetic):
    cutoff = pd.Timestamp("2026-06-01")
    features = build_customer_features(small_synthetic, cutoff)
    features = features[features[n.N_ORDERS] > 0].reset_index(drop=True)
    later = small_synthetic.orders[
        (small_synthetic.orders["ordered_at"] >= cutoff)
        & (small_synthetic.orders["ordered_at"] < cutoff + pd.Timedelta(days=90))
    ]
    y = (~features["customer_id"].isin(later["customer_id"])).to_numpy(dtype=float)
    columns = PREDICTIVE_FEATURES_V1.resolve(list(features.columns))
    scorer = BoostedScorer(
        "binary", columns, SMALL_TREES, monotone={n.DAYS_SINCE_LAST_ORDER: 1}, n_jobs=1
    ).fit(features, y)
    return CustomerScoreModel(target="churn", scorer=scorer, buyers_only=True).fit(features, y), features


def test_more_silence_never_lowers_churn_risk(churn_trees) -> None:
    model, features = churn_trees
    some = features.sample(25, random_state=3).reset_index(drop=True)
    grid = np.arange(0.0, 400.0, 20.0)
    risks = np.stack([model.predict(some.assign(**{n.DAYS_SINCE_LAST_ORDER: days})) for days in grid], axis=1)
    assert (np.diff(risks, axis=1) >= -1e-12).all()
    assert (risks[:, -1] > risks[:, 0]).mean() > 0.5  # and it does rise for most


def test_tree_reasons_are_plain_words(churn_trees) -> None:
    model, features = churn_trees
    reasons = model.explain(features.head(200))
    assert len(reasons) == 200
    assert all(1 <= len(r) <= 3 and len(set(r)) == len(r) for r in reasons)
    words = [text for r in reasons for text in r]
    assert not any("_" in text or "nan" in text for text in words)
    # Silence drives churn in the synthetic data: it is among the reasons of most customers.
    silence = ("no order", "last order", "days between", "usual gap", "visit")
    assert np.mean([any(s in text for text in r for s in silence) for r in reasons]) > 0.5
