"""The fitted offer response model P(accept | customer, offer, channel), as loaded from MLflow.

It lives here, not in ``training/``, because serving and batch scoring load it (serving never imports
training). Offers are named by their catalogue family: the contacts' category coupons ``CAT15_<category>``
are all instances of the catalogue's ``CAT15`` (the category is picked when the coupon is sent), so their
history teaches the model about ``CAT15``. An (offer, channel) pair the contacts never made has no
response history: it gets a non-personal prior, the overall rate times the offer's effect times the
channel's effect (fitted on every pair that was made, :func:`effect_rates`), the same for every
customer, rather than an extrapolation of the model. A free-delivery text thus reads how free delivery
fares against other offers and how texts fare against other channels for the same offer, not the rate of
the 20%-off flash sale that happened to be the only offer sent by text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from features import columns as c
from features.arrays import known_levels

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


def effect_rates(
    offers: np.ndarray, channels: np.ndarray, accepted: np.ndarray
) -> tuple[dict[str, float], dict[str, float], float]:
    """Multiplicative offer and channel effects: P(accept | o, ch) ~ overall x offer[o] x channel[ch].

    Offer effects first (each offer's rate over the overall rate), then channel effects from what the
    offer effects leave unexplained, then the offer effects again given the channels; every effect is
    shrunk towards 1 by ``RATE_PRIOR`` pseudo-contacts. A channel's effect thus comes from comparing it
    with other channels *for the same offers*: a channel that carried a single offer (the 20%-off flash
    sale by text) keeps an effect of about 1, and the offer's high rate stays with the offer.
    """
    accepted = np.asarray(accepted, dtype=float)
    overall = float(accepted.mean()) if len(accepted) else 0.0
    if overall <= 0:
        return {}, {}, overall
    o_codes, o_names = pd.factorize(np.asarray(offers, dtype=object))
    c_codes, c_names = pd.factorize(np.asarray(channels, dtype=object))
    o_acc = np.bincount(o_codes, weights=accepted, minlength=len(o_names))
    c_acc = np.bincount(c_codes, weights=accepted, minlength=len(c_names))
    pseudo = RATE_PRIOR * overall  # pseudo-accepts and pseudo-expected accepts at effect 1

    def offer_effects(b: np.ndarray) -> np.ndarray:
        expected = np.bincount(o_codes, weights=overall * b[c_codes], minlength=len(o_names))
        return (o_acc + pseudo) / (expected + pseudo)

    a = offer_effects(np.ones(len(c_names)))
    expected = np.bincount(c_codes, weights=overall * a[o_codes], minlength=len(c_names))
    b = (c_acc + pseudo) / (expected + pseudo)
    a = offer_effects(b)
    return (
        {str(k): float(v) for k, v in zip(o_names, a, strict=True)},
        {str(k): float(v) for k, v in zip(c_names, b, strict=True)},
        overall,
    )


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
        x[key] = known_levels(values, categories[key])
    return x


@dataclass
class OfferResponseModel:
    classifier: Any  # a fitted lgb.LGBMClassifier over design_matrix(...)
    feature_columns: tuple[str, ...]
    categories: dict[str, list[str]]  # the offer families and channels the classifier saw
    pair_rates: dict[tuple[str, str], float]  # non-personal P(accept) per (offer, channel) seen
    channel_rates: dict[str, float]  # per channel, all offers pooled: models before the effects only
    overall_rate: float
    horizon_days: int = 90
    trained_pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # multiplicative effects of effect_rates(): the prior of pairs never made
    offer_effects: dict[str, float] = field(default_factory=dict)
    channel_effects: dict[str, float] = field(default_factory=dict)
    trained_until: pd.Timestamp | None = None  # end (exclusive) of the contacts it was fitted on
    params: dict[str, Any] = field(default_factory=dict)  # its training settings, to refit it elsewhere

    def prior(self, offer: str, channel: str) -> float:
        """Non-personal P(accept): the pair's shrunk rate; for a pair never made, the overall rate x the
        offer's effect x the channel's effect (1 for an offer or channel never used)."""
        if (offer, channel) in self.pair_rates:
            return self.pair_rates[(offer, channel)]
        offer_effects = getattr(self, "offer_effects", {})
        channel_effects = getattr(self, "channel_effects", {})
        if not offer_effects and not channel_effects:  # a model registered before the effects
            return self.channel_rates.get(channel, self.overall_rate)
        rate = self.overall_rate * offer_effects.get(offer, 1.0) * channel_effects.get(channel, 1.0)
        return float(min(rate, 1.0))

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
