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
        trees = [m.scorer for m in self.members if hasattr(m.scorer, "contributions")]
        if not trees:
            raise ValueError("a blend explains itself with a tree member, and has none")
        # SHAP values of a mean are not the mean's story: the first tree member tells it.
        self.explainer_ = trees[0]
        return self

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        return np.mean([m.predict(frame) for m in self.members], axis=0)

    @property
    def inputs_(self) -> list[str]:
        return self.explainer_.inputs_

    def contributions(self, frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
        return self.explainer_.contributions(frame)

    def matrix(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        return self.explainer_.matrix(frame)
