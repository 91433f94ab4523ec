"""With an uplift champion, the next best offer and the retargeting plan pick by expected *incremental*
margin; offers and channels no control group tested fall back to the response x the incremental share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from features import columns as c
from features.campaigns.uplift_model import T_LEARNER, UpliftModel
from features.consent_gate import CHANNEL_PURPOSE, ConsentCheck
from features.offers.catalogue import Offer, OfferCatalogue
from features.offers.decision import next_best_offer
from features.retarget.config import load_config
from features.retarget.decide import CONVERSION, decide

CONFIG = load_config()


def constant(rate: float) -> DummyClassifier:
    """A fitted classifier answering ``rate`` for everyone (10 rows, rate x 10 positives)."""
    y = np.array([1] * round(rate * 10) + [0] * (10 - round(rate * 10)))
    return DummyClassifier(strategy="prior").fit(np.zeros((10, 1)), y)


def model() -> UpliftModel:
    # treated 30%, control 10%: an uplift of 0.2 for the pairs tested, CAT15 or no offer by e-mail
    return UpliftModel(
        learner=T_LEARNER,
        models={"treated": constant(0.3), "control": constant(0.1)},
        feature_columns=("orders",),
        categories={c.OFFER_ID: ["CAT15", "none"], c.CHANNEL: ["email"]},
        treated_share=0.85,
        incremental_share=0.25,
    )


def test_incremental_grid_and_the_offer_it_picks() -> None:
    features = pd.DataFrame({c.CUSTOMER_ID: ["A", "B"], "orders": [3.0, 1.0]})
    offers, channels = ["CAT15_cheese", "LOYALTY_CARD"], ["email", "sms"]
    response = np.full((2, 2, 2), 0.4)
    grid = model().incremental_grid(features, offers, channels, np.array([True, False]), response)
    # tested pair: the uplift (B, without profiling consent, gets the others' mean: the same 0.2)
    assert grid[:, 0, 0] == pytest.approx([0.2, 0.2])
    # untested pairs: response 0.4 x incremental share 0.25
    assert grid[:, 0, 1] == pytest.approx([0.1, 0.1]) and grid[:, 1, :] == pytest.approx(np.full((2, 2), 0.1))
    catalogue = OfferCatalogue(
        offers=(
            Offer("CAT15", "coupon", ("email", "sms"), cost=0.03, value=13.0),
            Offer("LOYALTY_CARD", "card", ("email", "sms"), cost=0.3, value=13.0),
        )
    )
    choice = next_best_offer(catalogue, grid, np.ones((2, 2), bool), np.ones((2, 2), bool), tuple(channels))
    assert choice.offer.tolist() == ["CAT15", "CAT15"] and choice.channel.tolist() == ["email", "email"]
    assert choice.expected_value == pytest.approx([0.2 * 13 - 0.03] * 2)  # incremental margin, not 0.4 x 13


def test_retargeting_by_incremental_conversion() -> None:
    names = CONFIG.channel_names  # email, sms, push, phone, ads
    candidates = pd.DataFrame(
        {"customer_id": ["A"], "probability": [0.6], "due_at": [pd.Timestamp("2024-05-01 09:00")]}
    )
    consent = {
        ch: ConsentCheck(allowed=np.array([True]), refused_purpose=np.array([""], dtype=object))
        for ch in names
    }
    assert set(CHANNEL_PURPOSE) >= {"email", "sms"}
    response = np.array([[0.006, 0.014, 0.008, 0.0, 0.004]])
    # the uplift model tested e-mail only: 0.05; the other channels keep conversion x 0.1
    incremental = np.array([[0.05, np.nan, np.nan, np.nan, np.nan]])
    at = pd.Timestamp("2024-05-01 10:00")
    plain = decide(candidates, consent, response, np.array([0]), np.array([100.0]), at, CONFIG).frame
    assert plain.loc[0, "channel"] == "sms"  # the best response
    out = decide(
        candidates, consent, response, np.array([0]), np.array([100.0]), at, CONFIG, incremental, 0.1
    )
    assert out.frame.loc[0, "channel"] == "email" and out.frame.loc[0, CONVERSION] == pytest.approx(0.05)
