"""The monotone map from a candidate's raw score to what is served: a probability, or a value in the
target's units. Fitted on data the candidate was not trained on (see training/predictive)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LinearRegression, LogisticRegression

# isotonic: a non-decreasing step function (no shape assumed; needs a few hundred rows per half);
# platt: a logistic curve on the standardised score (smooth, strictly increasing, fine on small data);
# linear: y = a + b * score for values (b > 0 kept, else identity); none: the raw score as it is.
METHODS: tuple[str, ...] = ("isotonic", "platt", "linear", "none")


class ScoreCalibrator(BaseEstimator):
    """``fit(score, y)`` then ``predict(score)``. Never decreasing in the score, so a calibrated model
    ranks customers as its raw score does and keeps its direction (more risk never reads as less)."""

    def __init__(self, method: str = "isotonic"):
        self.method = method

    def fit(self, score: np.ndarray, y: np.ndarray) -> ScoreCalibrator:
        if self.method not in METHODS:
            raise ValueError(f"unknown calibration {self.method!r}: use one of {', '.join(METHODS)}")
        score, y = np.asarray(score, dtype=np.float64), np.asarray(y, dtype=np.float64)
        self.constant_: float | None = None
        self.center_, self.scale_ = float(np.mean(score)) if len(score) else 0.0, 1.0
        if len(score) and np.std(score) > 0:
            self.scale_ = float(np.std(score))
        if self.method == "none":
            return self
        if len(np.unique(y)) < 2 or len(np.unique(score)) < 2:
            # Nothing to learn a shape from: every customer gets the observed mean.
            self.constant_ = float(np.mean(y)) if len(y) else 0.0
            return self
        z = ((score - self.center_) / self.scale_).reshape(-1, 1)
        if self.method == "isotonic":
            self.model_ = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(z.ravel(), y)
        elif self.method == "platt":
            logistic = LogisticRegression(C=1e4).fit(z, y.astype(int))
            # A score that ranks backwards is not calibrated into a decreasing curve: it is worth no more
            # than the mean, and the map must stay non-decreasing.
            self.model_ = logistic if logistic.coef_[0, 0] > 0 else None
            if self.model_ is None:
                self.constant_ = float(np.mean(y))
        else:
            linear = LinearRegression().fit(z, y)
            self.model_ = linear if linear.coef_[0] > 0 else None
        return self

    def predict(self, score: np.ndarray) -> np.ndarray:
        score = np.asarray(score, dtype=np.float64)
        if self.constant_ is not None:
            return np.full(score.shape, self.constant_)
        if self.method == "none" or getattr(self, "model_", None) is None:
            return score
        z = ((score - self.center_) / self.scale_).reshape(-1, 1)
        if self.method == "isotonic":
            return self.model_.predict(z.ravel())
        if self.method == "platt":
            return self.model_.predict_proba(z)[:, 1]
        return self.model_.predict(z)
