"""The served intent model: a LightGBM booster on the intent vector, a monotone calibration of its raw
score into P(purchase within the horizon), and SHAP reasons (LightGBM ``pred_contrib``, exact TreeSHAP).

Built by ``training/intent``; read by the batch scorer and the service. ``score_one`` is the real-time
path: one row, one thread, and the calibration as plain numpy arithmetic (the same numbers as
:class:`~features.predictive.calibration.ScoreCalibrator`, without sklearn's per-call overhead).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.intent.names import HORIZON_DAYS, INTENT_FEATURES
from features.intent.reasons import phrase
from features.predictive.calibration import ScoreCalibrator


class IntentModel:
    """``predict_proba(X)`` like a scikit-learn classifier, over rows of ``features`` (a frame with
    those columns, or a matrix in that order); ``predict(X)`` returns P(purchase), for MLflow's pyfunc."""

    def __init__(
        self,
        booster: lgb.Booster,
        calibrator: ScoreCalibrator,
        features: Sequence[str] = INTENT_FEATURES,
        horizon_days: int = HORIZON_DAYS,
    ):
        self.booster = booster
        self.calibrator = calibrator
        self.features = tuple(features)
        self.horizon_days = horizon_days
        self._compile_calibration()

    def _compile_calibration(self) -> None:
        cal = self.calibrator
        self._center, self._scale = cal.center_, cal.scale_
        self._constant = cal.constant_
        model = getattr(cal, "model_", None)
        self._kind = "constant" if self._constant is not None else cal.method if model is not None else "none"
        if self._kind == "isotonic":
            self._x, self._y = np.asarray(model.X_thresholds_), np.asarray(model.y_thresholds_)
        elif self._kind == "platt":
            self._a, self._b = float(model.coef_[0, 0]), float(model.intercept_[0])

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._compile_calibration()

    @property
    def matches_current_features(self) -> bool:
        """Whether this model reads the vector the current code builds (a champion trained by an older
        version may not: the service should check this once when it loads the model)."""
        return self.features == tuple(INTENT_FEATURES)

    def matrix(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            X = X[list(self.features)].to_numpy(dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        return X.reshape(1, -1) if X.ndim == 1 else X

    def raw_score(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        return np.asarray(
            self.booster.predict(self.matrix(X), raw_score=True, num_threads=1), dtype=np.float64
        )

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self._kind == "constant":
            return np.full(raw.shape, self._constant)
        if self._kind == "none":
            return raw
        z = (raw - self._center) / self._scale
        if self._kind == "isotonic":
            return np.interp(z, self._x, self._y)
        if self._kind == "platt":
            return 1.0 / (1.0 + np.exp(-(self._a * z + self._b)))
        return self.calibrator.predict(raw)

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        p = self.calibrate(self.raw_score(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        return self.calibrate(self.raw_score(X))

    def score_one(self, vector: np.ndarray) -> float:
        """P(purchase within the horizon) of one intent vector (the real-time path)."""
        raw = self.booster.predict(vector.reshape(1, -1), raw_score=True, num_threads=1)[0]
        if self._kind == "isotonic":
            return float(np.interp((raw - self._center) / self._scale, self._x, self._y))
        if self._kind == "platt":
            return 1.0 / (1.0 + math.exp(-(self._a * (raw - self._center) / self._scale + self._b)))
        return float(self.calibrate(np.array([raw]))[0])

    def contributions(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """SHAP values per row and feature, in raw-score units (the bias column dropped)."""
        values = self.booster.predict(self.matrix(X), pred_contrib=True, num_threads=1)
        return np.asarray(values, dtype=np.float64)[:, :-1]

    def _phrase_row(self, values: np.ndarray, contributions: np.ndarray, n: int) -> list[str]:
        # What pushes the probability up comes first (why this visitor may buy), then what holds it down.
        up = [i for i in np.argsort(-contributions, kind="stable") if contributions[i] > 0]
        down = [i for i in np.argsort(contributions, kind="stable") if contributions[i] < 0]
        out: list[str] = []
        for i in (*up, *down):
            text = phrase(self.features[i], values[i])
            if text is not None and text not in out:
                out.append(text)
            if len(out) == n:
                break
        return out

    def reasons(self, X: pd.DataFrame | np.ndarray, n: int = 3) -> list[list[str]]:
        matrix = self.matrix(X)
        values = self.contributions(matrix)
        return [self._phrase_row(row, contrib, n) for row, contrib in zip(matrix, values, strict=True)]

    def reasons_one(self, vector: np.ndarray, n: int = 3) -> list[str]:
        return self.reasons(vector.reshape(1, -1), n)[0]

    def importances(self) -> pd.Series:
        gains = self.booster.feature_importance(importance_type="gain")
        return pd.Series(gains, index=list(self.features)).sort_values(ascending=False)
