"""The next best offer on a hand-made shop: eligibility, consent per channel, profiling, and "no offer"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.dataset import Dataset
from features.offers.best_offer import (
    NEXT_BEST_OFFER,
    OFFER_CATEGORY,
    OFFER_CHANNEL,
    OFFER_EXPECTED_VALUE,
    best_offers,
)
from features.offers.catalogue import parse_catalogue
from features.offers.decision import NO_OFFER
from features.offers.response_model import RATE_PRIOR, OfferResponseModel, catalogue_offer, effect_rates
from tests.tiny_data import AS_OF, tiny_frames


class Constant:
    """A stand-in classifier: P(accept) = 0.1 for every personal row."""

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        return np.tile([0.9, 0.1], (len(x), 1))


MODEL = OfferResponseModel(
    classifier=Constant(),
    feature_columns=(),
    categories={c.OFFER_ID: ["NEWS", "WEB5"], c.CHANNEL: ["email", "sms"]},
    pair_rates={("WEB5", "sms"): 0.02, ("NEWS", "email"): 0.03},
    channel_rates={"email": 0.01},
    overall_rate=0.005,
    trained_pairs=frozenset({("WEB5", "sms"), ("NEWS", "email")}),
    offer_effects={"NEWS": 2.0, "WEB5": 0.5},
    channel_effects={"email": 3.0, "sms": 1.0},
)
CATALOGUE = parse_catalogue(
    {
        "offers": [
            {"id": "WEB5", "channels": ["email", "sms"], "cost": 0.05, "value": 16.0,
             "eligibility": ["has_ordered", "no_web_order"]},
            {"id": "CARD", "channels": ["email", "mail"], "cost": 0.3, "value": 13.0,
             "eligibility": ["no_loyalty_card"]},
            {"id": "PUSHY", "channels": ["mail"], "cost": 0.0, "value": 100.0},
            {"id": "NEWS", "channels": ["email"], "cost": 0.5, "value": 2.5},
        ]
    }
)  # fmt: skip


def test_contact_offer_ids_map_to_catalogue_offers() -> None:
    ids = pd.Series(["CAT15_wines", "CAT15_gift_boxes", "WEB5", "FLASH20", None])
    assert catalogue_offer(ids).tolist()[:4] == ["CAT15", "CAT15", "WEB5", "FLASH20"]
    assert pd.isna(catalogue_offer(ids).iloc[4])


def test_pairs_never_made_get_the_offer_times_channel_prior() -> None:
    features = pd.DataFrame({c.CUSTOMER_ID: ["A", "B"]})
    grid = MODEL.probability_grid(features, ["NEWS", "CARD"], ["email", "mail"], np.array([True, False]))
    # NEWS by email was made: the model for A (personal), the pair's rate for B (no profiling consent).
    # Never made: overall x offer effect x channel effect, 1 for an offer or a channel never used:
    # NEWS by mail 0.005 x 2; CARD by email 0.005 x 3; CARD by mail 0.005
    np.testing.assert_allclose(grid[0], [[0.1, 0.01], [0.015, 0.005]])
    np.testing.assert_allclose(grid[1], [[0.03, 0.01], [0.015, 0.005]])


def test_a_pair_never_made_does_not_borrow_another_offers_rate() -> None:
    # FLASH is only ever texted and sells 10 times better than anything; FREE goes by email only
    offers = ["FLASH"] * 1000 + ["FREE"] * 1000 + ["WEB5"] * 2000
    channels = ["sms"] * 1000 + ["email"] * 1000 + ["email"] * 1000 + ["sms"] * 1000
    accepted = np.r_[np.arange(1000) < 200, np.arange(1000) < 20, np.arange(1000) < 20, np.arange(1000) < 20]
    offer_fx, channel_fx, overall = effect_rates(np.array(offers), np.array(channels), accepted)
    assert overall == pytest.approx(260 / 4000)
    # WEB5 does as well by sms as by email: texting is worth about the same as e-mailing (the shrinkage
    # of the effects towards 1 leaves a small bias), nowhere near the flash sale's 10 times
    assert channel_fx["sms"] == pytest.approx(channel_fx["email"], rel=0.2)
    model = OfferResponseModel(
        classifier=Constant(),
        feature_columns=(),
        categories={c.OFFER_ID: ["FLASH", "FREE", "WEB5"], c.CHANNEL: ["email", "sms"]},
        pair_rates={},
        channel_rates={"sms": 220 / 2000, "email": 40 / 2000},
        overall_rate=overall,
        offer_effects=offer_fx,
        channel_effects=channel_fx,
    )
    # free delivery by text is priced like free delivery by e-mail (2%), not like the flash sale's texts
    assert model.prior("FREE", "sms") == pytest.approx(0.02, rel=0.25)
    assert model.prior("FREE", "sms") < 0.3 * (220 / 2000)  # what the old channel prior gave
    # a pair never made with little evidence stays close to the overall rate: effects are shrunk to 1
    few_fx, _, _ = effect_rates(np.array(["A", "B"]), np.array(["email", "email"]), np.array([1, 0]))
    assert few_fx["A"] == pytest.approx((1 + RATE_PRIOR * 0.5) / (0.5 + RATE_PRIOR * 0.5))


def test_best_offer_skips_ineligible_and_unconsented_and_may_offer_nothing() -> None:
    data = Dataset.from_frames(tiny_frames())
    features = pd.DataFrame({c.CUSTOMER_ID: ["C1", "C2"]})
    out = best_offers(data, AS_OF, features, MODEL, CATALOGUE)
    # C1 (email only, loyalty card, web orders): WEB5 and CARD ineligible, PUSHY by mail (no consent purpose
    # in the ledger), NEWS by email 0.1 x 2.5 - 0.5 < 0: no offer.
    # C2 (sms only, no profiling, store orders only): WEB5 by sms from the pair's rate, not the model:
    # 0.02 x 16 - 0.05 = 0.27; CARD needs email or mail, which C2 cannot be reached by.
    assert out[NEXT_BEST_OFFER].tolist() == [NO_OFFER, "WEB5"]
    assert out[OFFER_CHANNEL].tolist() == ["", "sms"]
    np.testing.assert_allclose(out[OFFER_EXPECTED_VALUE], [0.0, 0.27])


def test_category_coupon_is_on_the_customers_favourite_category() -> None:
    data = Dataset.from_frames(tiny_frames())
    catalogue = parse_catalogue(
        {
            "offers": [
                {"id": "CAT15", "channels": ["email", "sms"], "cost": 0.01, "value": 13.0,
                 "eligibility": ["has_ordered"], "category": "favourite"},
                {"id": "CHEESE", "channels": ["email"], "cost": 0.01, "value": 1.0, "category": "cheese"},
            ]
        }
    )  # fmt: skip
    model = OfferResponseModel(
        classifier=Constant(),
        feature_columns=(),
        categories={c.OFFER_ID: ["CAT15"], c.CHANNEL: ["email"]},
        pair_rates={},
        channel_rates={},
        overall_rate=0.05,
    )
    out = best_offers(data, AS_OF, pd.DataFrame({c.CUSTOMER_ID: ["C1", "C2"]}), model, catalogue)
    # C1 spent most on wines before AS_OF. C2 bought a gift box but refused profiling: its coupon is on the
    # shop's category of most spend (wines, 60 EUR), not chosen from its own history
    assert out[NEXT_BEST_OFFER].tolist() == ["CAT15", "CAT15"]
    assert out[OFFER_CATEGORY].tolist() == ["wines", "wines"]
    # restricted to cheese and gift boxes, C1's favourite is the cheese (25 EUR)
    cheese_or_gifts = parse_catalogue(
        {
            "offers": [
                {"id": "CAT15", "channels": ["email", "sms"], "cost": 0.01, "value": 13.0,
                 "category": "favourite", "categories": ["cheese", "gift_boxes"]},
            ]
        }
    )  # fmt: skip
    out = best_offers(data, AS_OF, pd.DataFrame({c.CUSTOMER_ID: ["C1", "C2"]}), model, cheese_or_gifts)
    assert out[OFFER_CATEGORY].tolist() == ["cheese", "gift_boxes"]
