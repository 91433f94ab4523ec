"""Offer response models: point-in-time rows, the acceptance-rate baseline by hand, and the comparisons."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from features import columns as c
from features.dataset import Dataset
from training.offers.in_vehicle import evaluate_coupons, load_coupons
from training.offers.response import (
    ACCEPTED,
    BASELINE_PRIOR,
    baseline_scores,
    evaluate_response,
    offer_contacts,
)

COUPONS = Path(__file__).resolve().parents[3] / "shared" / "data" / "in_vehicle_coupon"
COUPON_FILE = COUPONS / "in-vehicle-coupon-recommendation.csv"


def test_baseline_is_the_shrunk_offer_channel_rate() -> None:
    train = pd.DataFrame(
        {c.OFFER_ID: ["A", "A", "A", "A", "B"], c.CHANNEL: ["email"] * 5, ACCEPTED: [1, 1, 0, 0, 0]}
    )
    test = pd.DataFrame({c.OFFER_ID: ["A", "B", "Z"], c.CHANNEL: ["email", "email", "sms"]})
    overall = 2 / 5
    expected = [
        (2 + BASELINE_PRIOR * overall) / (4 + BASELINE_PRIOR),
        (0 + BASELINE_PRIOR * overall) / (1 + BASELINE_PRIOR),
        overall,  # never made: the overall rate
    ]
    assert baseline_scores(train, test).tolist() == pytest.approx(expected)


def test_rows_read_features_before_the_window(small_synthetic: Dataset) -> None:
    end = small_synthetic.default_as_of()
    start = end - pd.Timedelta(days=90)
    rows = offer_contacts(small_synthetic, start, end)
    past_only = offer_contacts(
        Dataset.from_frames({**small_synthetic.before(start).frames(), "contacts": small_synthetic.contacts}),
        start,
        end,
    )
    # the customers' features come from rows before the window: cutting the later orders changes nothing
    features = [col for col in rows.columns if col not in (c.CUSTOMER_ID, c.OFFER_ID, c.CHANNEL, ACCEPTED)]
    pd.testing.assert_frame_equal(rows[features], past_only[features])
    assert rows[ACCEPTED].sum() > 0


def test_response_model_beats_offer_popularity(small_synthetic: Dataset) -> None:
    result = evaluate_response(small_synthetic, small_synthetic.default_as_of(), n_estimators=100)
    assert result.model_auc > result.baseline_auc


@pytest.mark.realdata
def test_in_vehicle_coupons_beat_coupon_type_rates() -> None:
    if not COUPON_FILE.is_file():
        message = f"{COUPON_FILE} is missing (see ../shared/data/README.md)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result = evaluate_coupons(load_coupons(COUPON_FILE), n_estimators=200)
    assert result.train_rows + result.test_rows == 12684
    assert result.model_auc > result.baseline_auc + 0.1
