"""A blend: the mean of the served outputs of several fitted models, e.g. MBG/NBD and LightGBM.

The parametric model extrapolates the purchase process beyond the ages seen in training; the trees read
everything else. Averaging their calibrated outputs beat both on CDNOW (experiments/RESULTS_predictive.md).
The blend is calibrated again like any candidate, and explains itself with its first tree member.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator


class BlendScorer(BaseEstimator):
    """``members`` are fitted :class:`~features.predictive.model.CustomerScoreModel` objects; the score is
    the mean of their predictions (NaN where any member has none)."""

    def __init__(self, members: Sequence[BaseEstimator] = ()):
        self.members = members

    def fit(self, frame: pd.DataFrame, y=None) -> BlendScorer:
        if len(self.members) < 2:
            raise ValueError("a blend needs at least two fitted models")
        self.n_members_ = len(self.members)
        return self

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        return np.mean([m.predict(frame) for m in self.members], axis=0)

    def _explainer(self) -> BaseEstimator | None:
        scorers = (m.scorer for m in self.members)
        return next((s for s in scorers if hasattr(s, "contributions")), None)

    def __getattr__(self, name: str):
        # Explanations come from the first tree member: SHAP values of a mean are not the mean's story.
        if name in ("contributions", "inputs_", "matrix") and "members" in self.__dict__:
            explainer = self._explainer()
            if explainer is not None:
                return getattr(explainer, name)
        raise AttributeError(name)
