"""The fitted uplift model, as loaded from MLflow: P(order | x, contacted) - P(order | x, held out) for a
customer, an offer and a channel, within the campaign's window.

It lives in ``features/`` because batch scoring (next best offer, retargeting plans) loads it; training
lives in ``training/uplift``. Two learners:

- ``t_learner`` (two models): one classifier on the treated assignments, one on the control ones; the
  uplift is the difference of their probabilities.
- ``transformed_outcome`` (class transformation generalised to an unequal split, Athey & Imbens 2015):
  one regressor of ``Z = y w / e - y (1 - w) / (1 - e)`` with ``e`` the treated share, whose expectation
  given x is the uplift. With e = 1/2 it is Jaskowski & Jaroszewicz's class transformation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features import columns as c
from features.offers.response_model import catalogue_offer, design_matrix

T_LEARNER = "t_learner"
TRANSFORMED_OUTCOME = "transformed_outcome"
LEARNERS = (T_LEARNER, TRANSFORMED_OUTCOME)


@dataclass
class UpliftModel:
    learner: str
    models: dict[str, Any]  # "treated"/"control" classifiers, or "transformed" regressor
    feature_columns: tuple[str, ...]
    categories: dict[str, list[str]]  # offer families and channels seen in training
    treated_share: float
    trained_until: pd.Timestamp | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # observed effect / treated conversion rate in training: the share of a response that is incremental,
    # the prior of offers and channels no control group has tested
    incremental_share: float = 0.0

    def knows(self, offer: str | None, channel: str) -> bool:
        family = str(catalogue_offer(pd.Series([offer if offer is not None else "none"])).iloc[0])
        return family in self.categories[c.OFFER_ID] and channel in self.categories[c.CHANNEL]

    def _x(
        self, features: pd.DataFrame, offers: Sequence[object], channels: Sequence[object]
    ) -> pd.DataFrame:
        families = catalogue_offer(pd.Series(list(offers), dtype=object)).to_numpy()
        return design_matrix(
            features.reset_index(drop=True),
            families,
            np.asarray(channels, dtype=object),
            self.feature_columns,
            self.categories,
        )

    def uplift(
        self, features: pd.DataFrame, offers: Sequence[object], channels: Sequence[object]
    ) -> np.ndarray:
        """Incremental probability of an order in the window, per row (an offer or channel never seen in
        training is read as missing)."""
        x = self._x(features, offers, channels)
        if self.learner == T_LEARNER:
            return (
                self.models["treated"].predict_proba(x)[:, 1] - self.models["control"].predict_proba(x)[:, 1]
            )
        return np.clip(self.models["transformed"].predict(x), -1.0, 1.0)

    def response(
        self, features: pd.DataFrame, offers: Sequence[object], channels: Sequence[object]
    ) -> np.ndarray:
        """P(order | contacted) when the learner has a treated model (the T-learner), else NaN."""
        if "treated" not in self.models:
            return np.full(len(features), np.nan)
        return self.models["treated"].predict_proba(self._x(features, offers, channels))[:, 1]

    def incremental_grid(
        self,
        features: pd.DataFrame,
        offers: Sequence[str],
        channels: Sequence[str],
        personal: np.ndarray,
        response: np.ndarray,
    ) -> np.ndarray:
        """customers x offers x channels incremental P(order): the uplift for (offer, channel) pairs the
        control groups tested; otherwise the response model's ``response`` grid x ``incremental_share``.
        Customers without profiling consent get the pair's mean uplift over the others (their own
        features are not read), the prior when nobody may be profiled."""
        grid = response * float(getattr(self, "incremental_share", 0.0))
        rows = np.flatnonzero(personal)
        part = features.iloc[rows]
        for i, offer in enumerate(offers):
            for j, channel in enumerate(channels):
                if not len(rows) or not self.knows(offer, channel):
                    continue
                values = self.uplift(part, [offer] * len(rows), [channel] * len(rows))
                grid[:, i, j] = float(values.mean())
                grid[rows, i, j] = values
        return grid


def offer_keys(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame[c.OFFER_ID].to_numpy(dtype=object), frame[c.CHANNEL].to_numpy(dtype=object)
