"""The fitted offer response model P(accept | customer, offer, channel), as loaded from MLflow.

It lives here, not in ``training/``, because serving and batch scoring load it (serving never imports
training). Offers are named by their catalogue family: the contacts' category coupons ``CAT15_<category>``
are all instances of the catalogue's ``CAT15`` (the category is picked when the coupon is sent), so their
history teaches the model about ``CAT15``. An (offer, channel) pair the contacts never made has no
response history: it gets the channel's base acceptance rate (shrunk to the overall rate), the same for
every customer, rather than an extrapolation of the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features import columns as c

CATEGORY_COUPON_PREFIX = "CAT15_"
CATEGORY_COUPON = "CAT15"
OFFER_KEYS = (c.OFFER_ID, c.CHANNEL)
RATE_PRIOR = 20.0  # pseudo-contacts at the overall rate: rarely made pairs do not get extreme rates


def catalogue_offer(offer_ids: pd.Series) -> pd.Series:
    """The catalogue offer a contact's offer id belongs to (``CAT15_wines`` -> ``CAT15``)."""
    ids = offer_ids.astype("string")
    return ids.where(~ids.str.startswith(CATEGORY_COUPON_PREFIX, na=False), CATEGORY_COUPON).astype(object)


def shrunk_rates(keys: pd.DataFrame, accepted: np.ndarray, by: list[str]) -> tuple[dict[Any, float], float]:
    """Acceptance rate per group of ``by``, shrunk towards the overall rate by ``RATE_PRIOR`` contacts."""
    overall = float(np.mean(accepted)) if len(accepted) else 0.0
    grouped = pd.DataFrame({**{k: keys[k].to_numpy() for k in by}, "y": accepted}).groupby(by)["y"]
    rates = (grouped.sum() + RATE_PRIOR * overall) / (grouped.count() + RATE_PRIOR)
    return {key: float(rate) for key, rate in rates.items()}, overall


def design_matrix(
    features: pd.DataFrame,
    offers: np.ndarray,
    channels: np.ndarray,
    columns: Sequence[str],
    categories: dict[str, list[str]],
) -> pd.DataFrame:
    """The classifier's input: the customer's numeric features, then offer and channel as categoricals."""
    x = features.reindex(columns=list(columns)).astype("float64").reset_index(drop=True)
    for key, values in ((c.OFFER_ID, offers), (c.CHANNEL, channels)):
        x[key] = pd.Categorical(np.asarray(values, dtype=object), categories=categories[key])
    return x


@dataclass
class OfferResponseModel:
    classifier: Any  # a fitted lgb.LGBMClassifier over design_matrix(...)
    feature_columns: tuple[str, ...]
    categories: dict[str, list[str]]  # the offer families and channels the classifier saw
    pair_rates: dict[tuple[str, str], float]  # non-personal P(accept) per (offer, channel) seen
    channel_rates: dict[str, float]  # the prior of pairs never made
    overall_rate: float
    horizon_days: int = 90
    trained_pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def prior(self, offer: str, channel: str) -> float:
        """Non-personal P(accept): the pair's shrunk rate, else the channel's, else the overall rate."""
        return self.pair_rates.get((offer, channel), self.channel_rates.get(channel, self.overall_rate))

    def accept_probability(
        self, features: pd.DataFrame, offers: np.ndarray, channels: np.ndarray
    ) -> np.ndarray:
        """P(accept) per row of ``features`` for the row's (catalogue offer, channel)."""
        offers, channels = np.asarray(offers, dtype=object), np.asarray(channels, dtype=object)
        known = np.array([(o, ch) in self.trained_pairs for o, ch in zip(offers, channels, strict=True)])
        out = np.array([self.prior(o, ch) for o, ch in zip(offers, channels, strict=True)], dtype=float)
        if known.any():
            x = design_matrix(
                features.iloc[np.flatnonzero(known)],
                offers[known],
                channels[known],
                self.feature_columns,
                self.categories,
            )
            out[known] = self.classifier.predict_proba(x)[:, 1]
        return out

    def probability_grid(
        self, features: pd.DataFrame, offers: Sequence[str], channels: Sequence[str], personal: np.ndarray
    ) -> np.ndarray:
        """customers x offers x channels P(accept). Customers with ``personal`` False (no profiling
        consent) get the non-personal prior: their features are not read."""
        grid = np.empty((len(features), len(offers), len(channels)))
        for i, offer in enumerate(offers):
            for j, channel in enumerate(channels):
                grid[:, i, j] = self.prior(offer, channel)
                rows = np.flatnonzero(personal)
                if (offer, channel) in self.trained_pairs and len(rows):
                    x = design_matrix(
                        features.iloc[rows],
                        np.full(len(rows), offer),
                        np.full(len(rows), channel),
                        self.feature_columns,
                        self.categories,
                    )
                    grid[rows, i, j] = self.classifier.predict_proba(x)[:, 1]
        return grid
