"""The next best offer on a hand-made shop: eligibility, consent per channel, profiling, and "no offer"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.offers.best_offer import NEXT_BEST_OFFER, OFFER_CHANNEL, OFFER_EXPECTED_VALUE, best_offers
from features.offers.catalogue import parse_catalogue
from features.offers.decision import NO_OFFER
from features.offers.response_model import OfferResponseModel, catalogue_offer
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
)
CATALOGUE = parse_catalogue(
    {
        "offers": [
            {"id": "WEB5", "channels": ["email", "sms"], "cost": 0.05, "value": 16.0,
             "eligibility": ["has_ordered", "no_web_order"]},
            {"id": "CARD", "channels": ["email", "mail"], "cost": 0.3, "value": 13.0,
             "eligibility": ["no_loyalty_card"]},
            {"id": "PUSHY", "channels": ["push"], "cost": 0.0, "value": 100.0},
            {"id": "NEWS", "channels": ["email"], "cost": 0.5, "value": 2.5},
        ]
    }
)  # fmt: skip


def test_contact_offer_ids_map_to_catalogue_offers() -> None:
    ids = pd.Series(["CAT15_wines", "CAT15_gift_boxes", "WEB5", "FLASH20", None])
    assert catalogue_offer(ids).tolist()[:4] == ["CAT15", "CAT15", "WEB5", "FLASH20"]
    assert pd.isna(catalogue_offer(ids).iloc[4])


def test_pairs_never_made_get_the_channel_prior() -> None:
    features = pd.DataFrame({c.CUSTOMER_ID: ["A", "B"]})
    grid = MODEL.probability_grid(features, ["NEWS", "CARD"], ["email", "mail"], np.array([True, False]))
    # NEWS by email was made: the model for A (personal), the pair's rate for B (no profiling consent);
    # CARD was never made: the channel's rate by email, the overall rate by mail (a channel never used)
    np.testing.assert_allclose(grid[0], [[0.1, 0.005], [0.01, 0.005]])
    np.testing.assert_allclose(grid[1], [[0.03, 0.005], [0.01, 0.005]])


def test_best_offer_skips_ineligible_and_unconsented_and_may_offer_nothing() -> None:
    data = Dataset.from_frames(tiny_frames())
    features = pd.DataFrame({c.CUSTOMER_ID: ["C1", "C2"]})
    out = best_offers(data, AS_OF, features, MODEL, CATALOGUE)
    # C1 (email only, loyalty card, web orders): WEB5 and CARD ineligible, PUSHY on push (no consent purpose
    # in the ledger), NEWS by email 0.1 x 2.5 - 0.5 < 0: no offer.
    # C2 (sms only, no profiling, store orders only): WEB5 by sms from the pair's rate, not the model:
    # 0.02 x 16 - 0.05 = 0.27; CARD needs email or mail, which C2 cannot be reached by.
    assert out[NEXT_BEST_OFFER].tolist() == [NO_OFFER, "WEB5"]
    assert out[OFFER_CHANNEL].tolist() == ["", "sms"]
    np.testing.assert_allclose(out[OFFER_EXPECTED_VALUE], [0.0, 0.27])
