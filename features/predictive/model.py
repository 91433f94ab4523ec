"""The registered model: a fitted candidate, its calibration, and how it explains itself.

``CustomerScoreModel.predict(features)`` takes the point-in-time customer features
(:func:`features.customer_features.build.build_customer_features`) and returns one number per row: the
calibrated probability for churn and propensity, spend for value, days for next order.
``explain(features, top=3)`` returns, per row, up to ``top`` reasons in plain words: from the SHAP
values for tree models, from the features the rule or BTYD model reads otherwise. The same object is
what MLflow stores and what the service loads; it needs nothing from ``training``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from features.customer_features import names as n
from features.predictive.boosted import BINARY, REGRESSION
from features.predictive.calibration import ScoreCalibrator
from features.predictive.inputs import PREDICTIVE_FEATURES_V1
from features.predictive.reasons import HORIZON_DAYS, Phraser

CHURN, PROPENSITY, VALUE, NEXT_ORDER = "churn", "propensity", "value", "next_order"
TARGET_KINDS: dict[str, str] = {CHURN: BINARY, PROPENSITY: BINARY, VALUE: REGRESSION, NEXT_ORDER: REGRESSION}
# Reasons are picked among this many top SHAP features, so that duplicates ("has not ordered yet" from
# two features) can be skipped and ``top`` distinct reasons remain.
REASON_POOL = 4


class CustomerScoreModel(BaseEstimator):
    """``scorer`` is a fitted candidate (:mod:`features.predictive.scorers`, :mod:`~.boosted`); ``fit``
    learns only the map from its raw score to the served number (``calibration``, see
    :class:`~features.predictive.calibration.ScoreCalibrator`) and the answer for rows it cannot score,
    on rows it was not trained on. ``buyers_only`` models (churn) answer NaN for customers who never
    ordered; ``bounds`` clip the output (probabilities to [0, 1], days to [0, horizon])."""

    def __init__(
        self,
        target: str = CHURN,
        candidate: str = "lightgbm",
        scorer: BaseEstimator | None = None,
        calibration: str = "isotonic",
        horizon_days: float = 90.0,
        feature_set: str = PREDICTIVE_FEATURES_V1.key,
        buyers_only: bool = False,
        bounds: tuple[float | None, float | None] = (None, None),
    ):
        self.target = target
        self.candidate = candidate
        self.scorer = scorer
        self.calibration = calibration
        self.horizon_days = horizon_days
        self.feature_set = feature_set
        self.buyers_only = buyers_only
        self.bounds = bounds

    @property
    def kind(self) -> str:
        return TARGET_KINDS[self.target]

    def _raw(self, frame: pd.DataFrame) -> np.ndarray:
        if self.scorer is None:
            raise ValueError("CustomerScoreModel needs a fitted scorer")
        return np.asarray(self.scorer.score(frame), dtype=np.float64)

    def fit(self, frame: pd.DataFrame, y: np.ndarray) -> CustomerScoreModel:
        raw = self._raw(frame)
        y = np.asarray(y, dtype=np.float64)
        known = np.isfinite(raw)
        self.calibrator_ = ScoreCalibrator(self.calibration).fit(raw[known], y[known])
        self.fallback_ = float(y[~known].mean()) if (~known).any() else float(y.mean())
        self.n_calibration_ = len(y)
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        raw = self._raw(frame)
        known = np.isfinite(raw)
        out = np.full(len(frame), self.fallback_)
        out[known] = self.calibrator_.predict(raw[known])
        low, high = self.bounds
        out = np.clip(out, -np.inf if low is None else low, np.inf if high is None else high)
        if self.buyers_only:
            out[frame[n.N_ORDERS].to_numpy(dtype=np.float64) == 0] = np.nan
        return out

    def explain(self, frame: pd.DataFrame, top: int = 3) -> list[list[str]]:
        if hasattr(self.scorer, "contributions"):
            values, read = self.scorer.contributions(frame)  # type: ignore[union-attr]
            inputs = np.asarray(self.scorer.inputs_)  # type: ignore[union-attr]
            pool = min(top + REASON_POOL, values.shape[1])
            order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :pool]
            phraser = Phraser(read.assign(**{HORIZON_DAYS: float(self.horizon_days)}))
            return [
                phraser.reasons(i, [str(inputs[j]) for j in order[i] if values[i, j] != 0], top)
                for i in range(len(read))
            ]
        drivers = tuple(getattr(self.scorer, "drivers", ()))
        phraser = Phraser(frame)
        return [phraser.reasons(i, drivers, top) for i in range(len(frame))]
