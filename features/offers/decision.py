"""The next best offer: argmax of P(accept) x value - cost over eligible offers on consented channels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.offers.catalogue import OfferCatalogue

NO_OFFER = "no_offer"


@dataclass(frozen=True)
class OfferChoice:
    offer: np.ndarray  # offer id per customer, NO_OFFER when nothing has a positive expected value
    channel: np.ndarray  # "" with NO_OFFER
    expected_value: np.ndarray  # EUR; 0 for NO_OFFER


def next_best_offer(
    catalogue: OfferCatalogue,
    probability: np.ndarray,
    eligible: np.ndarray,
    consented: np.ndarray,
    channels: tuple[str, ...],
) -> OfferChoice:
    """Pick, per customer, the (offer, channel) of highest expected value, or no offer.

    ``probability``: customers x offers x channels, P(accept); ``eligible``: customers x offers;
    ``consented``: customers x channels (the consent gate's answer per channel). An offer can only go
    out on its own channels; doing nothing is worth 0, so a negative expected value is never chosen.
    """
    value = np.array([o.value for o in catalogue.offers])
    cost = np.array([o.cost for o in catalogue.offers])
    offered_on = np.array([[ch in o.channels for ch in channels] for o in catalogue.offers])
    ev = probability * value[None, :, None] - cost[None, :, None]
    allowed = eligible[:, :, None] & consented[:, None, :] & offered_on[None, :, :]
    ev = np.where(allowed, ev, -np.inf)
    flat = ev.reshape(len(ev), -1)
    best = np.argmax(flat, axis=1) if flat.size else np.zeros(len(ev), dtype=int)
    best_ev = flat[np.arange(len(ev)), best] if flat.size else np.full(len(ev), -np.inf)
    offer_idx, channel_idx = np.divmod(best, len(channels))
    chosen = best_ev > 0
    ids = np.array([o.id for o in catalogue.offers], dtype=object)
    return OfferChoice(
        offer=np.where(chosen, ids[offer_idx], NO_OFFER),
        channel=np.where(chosen, np.array(channels, dtype=object)[channel_idx], ""),
        expected_value=np.where(chosen, best_ev, 0.0),
    )
