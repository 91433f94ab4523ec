"""P(accept | customer, offer, channel) from the contacts history, on a time split, against the
offer-popularity baseline (each offer x channel's past acceptance rate).

An offer counts as accepted when its contact is credited with an order. Customer features are read at
the start of each window (point in time); acceptances are the window's outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from features import columns as c
from features.batch_engine import BatchEngine
from features.customer_features.build import build_customer_features
from features.dataset import Dataset

OFFER_KEYS = (c.OFFER_ID, c.CHANNEL)
ACCEPTED = "accepted"
BASELINE_PRIOR = 20.0  # pseudo-contacts at the overall rate: shrinks the rates of rarely made offers


@dataclass(frozen=True)
class ResponseEvaluation:
    model_auc: float
    baseline_auc: float
    train_contacts: int
    test_contacts: int
    test_acceptance_rate: float


def offer_contacts(
    dataset: Dataset, start: pd.Timestamp, end: pd.Timestamp, engine: BatchEngine | None = None
) -> pd.DataFrame:
    """Offers sent in [start, end) joined to their customers' features as of ``start`` (built on
    ``engine``, the same data, when given)."""
    contacts = dataset.contacts
    sent = contacts[
        contacts[c.OFFER_ID].notna() & (contacts[c.SENT_AT] >= start) & (contacts[c.SENT_AT] < end)
    ]
    at_start = engine.features(start, keep=False) if engine else build_customer_features(dataset, start)
    features = at_start.set_index(c.CUSTOMER_ID)
    numeric = features.select_dtypes(include=["number", "bool"]).astype("float64")
    rows = sent[[c.CUSTOMER_ID, *OFFER_KEYS]].join(numeric, on=c.CUSTOMER_ID)
    rows[ACCEPTED] = sent[c.CONVERTED_ORDER_ID].notna().to_numpy()
    return rows.dropna(subset=[numeric.columns[0]]).reset_index(drop=True)  # customers created later


def acceptance_rates(train: pd.DataFrame) -> tuple[pd.Series, float]:
    overall = float(train[ACCEPTED].mean())
    grouped = train.groupby(list(OFFER_KEYS))[ACCEPTED].agg(["sum", "count"])
    return (grouped["sum"] + BASELINE_PRIOR * overall) / (grouped["count"] + BASELINE_PRIOR), overall


def baseline_scores(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    rates, overall = acceptance_rates(train)
    keys = pd.MultiIndex.from_frame(test[list(OFFER_KEYS)])
    return rates.reindex(keys).fillna(overall).to_numpy()


def _matrix(rows: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    x = rows.drop(columns=[c.CUSTOMER_ID, ACCEPTED])
    for key in OFFER_KEYS:
        known = rows[key].where(rows[key].isin(categories[key]))  # offers never seen in training: missing
        x[key] = pd.Categorical(known, categories=categories[key])
    return x


def fit_response(train: pd.DataFrame, seed: int = 7, n_estimators: int = 200) -> lgb.LGBMClassifier:
    categories = {key: sorted(train[key].unique().tolist()) for key in OFFER_KEYS}
    model = lgb.LGBMClassifier(
        n_estimators=n_estimators,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=50,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=seed,
        n_jobs=1,  # two OpenMP threads on a busy 2-core machine made fits 10-20x slower
        verbose=-1,
    )
    model.fit(_matrix(train, categories), train[ACCEPTED].to_numpy())
    model.categories_ = categories  # the offer and channel codes the model was trained on
    return model


def evaluate_response(
    dataset: Dataset, cutoff: pd.Timestamp, horizon_days: int = 90, n_estimators: int = 200
) -> ResponseEvaluation:
    """Train on offers sent in [cutoff - 2h, cutoff - h), test on [cutoff - h, cutoff)."""
    h = pd.Timedelta(days=horizon_days)
    train = offer_contacts(dataset, cutoff - 2 * h, cutoff - h)
    test = offer_contacts(dataset, cutoff - h, cutoff)
    model = fit_response(train, n_estimators=n_estimators)
    p = model.predict_proba(_matrix(test, model.categories_))[:, 1]
    y = test[ACCEPTED].to_numpy()
    return ResponseEvaluation(
        model_auc=float(roc_auc_score(y, p)),
        baseline_auc=float(roc_auc_score(y, baseline_scores(train, test))),
        train_contacts=len(train),
        test_contacts=len(test),
        test_acceptance_rate=float(y.mean()),
    )
