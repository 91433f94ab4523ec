"""Batch scores: every customer known before ``as_of``, scored by the champion of each predictive model.

Columns (constants below): churn probability and risk band (thresholds in :mod:`features.predictive.bands`),
purchase propensity over the propensity horizon (30 days by default), predicted value over the value
horizon (365 days), the restricted mean wait to the next order and the date it points to (``as_of`` + the
wait; a date at the end of the horizon means "not expected within it"), the customer's segments from
the latest stored memberships at or before ``as_of`` (when segments were trained), the top reasons (of
the churn model for customers who ordered, of the propensity model for prospects), the model
versions that scored the row, then the top-3 recommended skus and the next best offer with its channel
and expected value (:mod:`training.recommend.batch_scores`). A target without a champion leaves its
columns empty.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features import columns as c
from features.batch_engine import BatchEngine, InMemoryEngine
from features.consent_gate import check_consent
from features.customer_features import names as n
from features.dataset import Dataset
from features.predictive.bands import CHURN_RISK_BAND, risk_band
from features.predictive.model import CHURN, NEXT_ORDER, PROPENSITY, VALUE, CustomerScoreModel
from features.segments.memberships import SEGMENT_COLUMNS, MembershipStore
from features.settings import Settings
from training.predictive.champions import MODELS, ScoringChampions
from training.recommend.batch_scores import RECOMMEND_COLUMNS, recommendation_columns

log = logging.getLogger(__name__)

AS_OF = "as_of"
CHURN_PROBABILITY = "churn_probability"
PURCHASE_PROPENSITY = "purchase_propensity"
PREDICTED_VALUE = "predicted_value"
NEXT_ORDER_DAYS = "next_order_days"
EXPECTED_NEXT_ORDER_DATE = "expected_next_order_date"
REASONS = "reasons"
SCORED_BY = "scored_by"
SCORE_COLUMNS: tuple[str, ...] = (
    c.CUSTOMER_ID,
    AS_OF,
    CHURN_PROBABILITY,
    CHURN_RISK_BAND,
    PURCHASE_PROPENSITY,
    PREDICTED_VALUE,
    NEXT_ORDER_DAYS,
    EXPECTED_NEXT_ORDER_DATE,
    *SEGMENT_COLUMNS,
    REASONS,
    SCORED_BY,
    *RECOMMEND_COLUMNS,
)
# Every column but the id and the cutoff is profiling: scores, bands, segments, reasons, recommendations.
PERSONAL_COLUMNS: tuple[str, ...] = tuple(col for col in SCORE_COLUMNS if col not in (c.CUSTOMER_ID, AS_OF))
PROFILING_CONSENT = "profiling_consent"
OUTPUT_OF: dict[str, str] = {
    CHURN: CHURN_PROBABILITY,
    PROPENSITY: PURCHASE_PROPENSITY,
    VALUE: PREDICTED_VALUE,
    NEXT_ORDER: NEXT_ORDER_DAYS,
}


def _segments(settings: Settings, as_of: pd.Timestamp, ids: pd.Series) -> pd.DataFrame:
    try:
        stored = MembershipStore(settings.segments_dir).load(as_of)
    except FileNotFoundError:
        return pd.DataFrame({col: pd.Series(None, index=ids.index, dtype="str") for col in SEGMENT_COLUMNS})
    joined = pd.DataFrame({c.CUSTOMER_ID: ids}).merge(stored[[c.CUSTOMER_ID, *SEGMENT_COLUMNS]], how="left")
    return joined[list(SEGMENT_COLUMNS)].set_index(ids.index)


def score_features(
    features: pd.DataFrame, as_of: pd.Timestamp, models: dict[str, tuple[CustomerScoreModel, str]]
) -> pd.DataFrame:
    """Scores of a built feature frame (one row per customer) with the given models."""
    out = pd.DataFrame({c.CUSTOMER_ID: features[c.CUSTOMER_ID].to_numpy(), AS_OF: as_of})
    for name, column in OUTPUT_OF.items():
        out[column] = models[name][0].predict(features) if name in models else np.nan
    out[CHURN_RISK_BAND] = risk_band(out[CHURN_PROBABILITY].to_numpy(dtype=np.float64))
    if NEXT_ORDER in models:
        out[EXPECTED_NEXT_ORDER_DATE] = as_of + pd.to_timedelta(np.round(out[NEXT_ORDER_DAYS]), unit="D")
    else:
        out[EXPECTED_NEXT_ORDER_DATE] = pd.NaT
    reasons: list[list[str]] = [[] for _ in range(len(features))]
    buyers = features[n.N_ORDERS].to_numpy(dtype=np.float64) > 0
    for name, rows in ((CHURN, buyers), (PROPENSITY, ~buyers)):
        if name in models and rows.any():
            picked = np.flatnonzero(rows)
            for i, why in zip(picked, models[name][0].explain(features.iloc[picked]), strict=True):
                reasons[i] = why
    out[REASONS] = reasons
    out[SCORED_BY] = ", ".join(
        f"{name} v{version} ({model.candidate})" for name, (model, version) in models.items()
    )
    return out


def score_customers(
    dataset: Dataset,
    as_of: pd.Timestamp | str,
    settings: Settings,
    engine: BatchEngine | None = None,
    champions: ScoringChampions | None = None,
) -> pd.DataFrame:
    """Every customer created before ``as_of``, scored from rows strictly before it (see the module doc).

    The features and the champions' scores and reasons come from ``engine`` (default: in memory, from
    ``dataset``); segments and recommendations are joined here. ``champions``: the models to score
    with (default: loaded from the registry; a command scoring partitions loads them once for all).
    ``frame.attrs["missing_models"]`` lists the targets that had no champion, ``missing_recommend_models``
    the recommender and offer response models that had none."""
    as_of = pd.Timestamp(as_of)
    engine = engine or InMemoryEngine(dataset)
    champions = champions or ScoringChampions.load(settings)
    models = champions.scorers()
    features = engine.features(as_of)
    out = engine.apply(as_of, score_features, as_of=as_of, models=models)
    segments = _segments(settings, as_of, out[c.CUSTOMER_ID])
    for column in SEGMENT_COLUMNS:
        out[column] = segments[column].to_numpy()
    recommended = recommendation_columns(champions, dataset, as_of, features)
    for column in RECOMMEND_COLUMNS:
        out[column] = recommended[column].to_numpy()
    out = out[list(SCORE_COLUMNS)]
    out.attrs["missing_models"] = [name for name in MODELS if name not in models]
    out.attrs["missing_recommend_models"] = champions.missing_recommend_models()
    out.attrs["horizons_days"] = {name: float(model.horizon_days) for name, (model, _) in models.items()}
    return out


def withhold_profiling(scores: pd.DataFrame, consents: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """``scores`` as they may leave Cible: customers who have not granted ``profiling`` as of ``at`` keep
    their row (id and cutoff) with every personal column empty, and ``profiling_consent`` says why.

    :func:`score_customers` returns every model output (evaluation and tests need them); every path that
    writes scores out — the ``cible score`` file, the online store — goes through here, and the decision
    itself is the shared :func:`features.consent_gate.check_consent`.
    """
    allowed = check_consent(consents, scores[c.CUSTOMER_ID], at, needs_profiling=True).allowed
    out = scores.copy()
    for column in PERSONAL_COLUMNS:
        out[column] = out[column].where(allowed, None)
    out[PROFILING_CONSENT] = allowed
    out.attrs["withheld_profiling"] = int((~allowed).sum())
    return out
