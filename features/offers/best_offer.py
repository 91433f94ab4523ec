"""The next best offer of every customer as of a date: eligibility, consent per channel, P(accept) from the
response model, then the expected-value decision of :mod:`features.offers.decision`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.campaigns.uplift_model import UpliftModel
from features.consent_gate import CHANNEL_PURPOSE, check_consent
from features.dataset import Dataset
from features.offers.catalogue import OfferCatalogue
from features.offers.decision import next_best_offer
from features.offers.eligible import customer_flags, eligibility, favourite_categories
from features.offers.response_model import OfferResponseModel

NEXT_BEST_OFFER = "next_best_offer"
OFFER_CHANNEL = "offer_channel"
OFFER_EXPECTED_VALUE = "offer_expected_value"
OFFER_CATEGORY = "offer_category"  # the category a category coupon is on, "" for other offers
OFFER_COLUMNS = (NEXT_BEST_OFFER, OFFER_CHANNEL, OFFER_EXPECTED_VALUE, OFFER_CATEGORY)


def catalogue_channels(catalogue: OfferCatalogue) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ch for offer in catalogue.offers for ch in offer.channels))


def consented_channels(
    dataset: Dataset, ids: pd.Index, at: pd.Timestamp, channels: tuple[str, ...]
) -> np.ndarray:
    """customers x channels: the consent gate's answer. A channel with no consent purpose in the ledger
    (mail, push) cannot be targeted from Cible, so it is never consented here."""
    out = np.zeros((len(ids), len(channels)), dtype=bool)
    for j, channel in enumerate(channels):
        if channel in CHANNEL_PURPOSE:
            out[:, j] = check_consent(dataset.consents, ids, at, channel=channel).allowed
    return out


def best_offers(
    dataset: Dataset,
    as_of: pd.Timestamp,
    features: pd.DataFrame,
    model: OfferResponseModel,
    catalogue: OfferCatalogue,
    uplift: UpliftModel | None = None,
) -> pd.DataFrame:
    """One row per row of ``features`` (customer features as of ``as_of``): the offer, its channel, its
    expected value in EUR and its category; ``no_offer`` when no eligible, consented offer has a positive
    expected value. A per-customer category coupon is on the customer's favourite category (the shop's
    for customers who refused profiling) and is not eligible for customers who bought none of its
    categories.

    With an ``uplift`` model (the uplift champion) the expected value is the *incremental* margin: the
    uplift (the increase of P(order) a contact causes) x value - cost, so sure things who would buy anyway
    are not paid a discount; offers no control group tested use the response model's P(accept) scaled by
    the uplift model's incremental share."""
    ids = pd.Index(features[c.CUSTOMER_ID].astype(str))
    channels = catalogue_channels(catalogue)
    eligible = eligibility(customer_flags(dataset, as_of), catalogue, as_of)
    eligible = eligible.reindex(ids).fillna(False).to_numpy(dtype=bool, copy=True)
    personal = check_consent(dataset.consents, ids, as_of, needs_profiling=True).allowed
    category = np.empty((len(ids), len(catalogue.offers)), dtype=object)
    for i, offer in enumerate(catalogue.offers):
        if offer.per_customer_category:
            category[:, i] = favourite_categories(dataset, as_of, ids, offer.categories, personal)
            eligible[:, i] &= category[:, i] != ""
        else:
            category[:, i] = offer.category or ""
    consented = consented_channels(dataset, ids, as_of, channels)
    offers = [o.id for o in catalogue.offers]
    probability = model.probability_grid(features.reset_index(drop=True), offers, channels, personal)
    if uplift is not None:
        probability = uplift.incremental_grid(
            features.reset_index(drop=True), offers, channels, personal, probability
        )
    choice = next_best_offer(catalogue, probability, eligible, consented, channels)
    position = {o.id: i for i, o in enumerate(catalogue.offers)}
    chosen = np.array([position.get(o, -1) for o in choice.offer])
    return pd.DataFrame(
        {
            NEXT_BEST_OFFER: choice.offer,
            OFFER_CHANNEL: choice.channel,
            OFFER_EXPECTED_VALUE: choice.expected_value.astype(float),
            OFFER_CATEGORY: np.where(
                chosen >= 0, category[np.arange(len(ids)), np.maximum(chosen, 0)], ""
            ).astype(object),
        },
        index=features.index,
    )
