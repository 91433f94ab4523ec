"""Customer features on the tiny data set, checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.customer_features import names as n
from features.customer_features.build import build_customer_features, features_of_past
from features.customer_features.sets import CUSTOMER_FEATURES_V1
from features.dataset import Dataset
from tests.tiny_data import AS_OF, tiny_frames


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    frame = build_customer_features(Dataset.from_frames(tiny_frames()), AS_OF)
    return frame.set_index("customer_id")


def test_one_row_per_customer_known_before_the_cutoff(features) -> None:
    # C3 was created after the cutoff; the guest order has no customer.
    assert features.index.tolist() == ["C1", "C2"]
    assert (features["as_of"] == AS_OF).all()


def test_rfm_and_rhythm(features) -> None:
    c1 = features.loc["C1"]
    # Purchases O1 (40 €, Jan 10), O2 (5 €, Feb 9), O3 (65 €, Apr 9); R1 returns 20 € on Apr 20.
    assert c1[n.N_ORDERS] == 3
    assert c1[n.TOTAL_SPEND] == pytest.approx(90.0)
    assert c1[n.AVG_ORDER_VALUE] == pytest.approx(110 / 3)
    assert c1[n.DAYS_SINCE_LAST_ORDER] == pytest.approx(21 + 14 / 24)
    assert (c1[n.GAP_MEAN_DAYS], c1[n.GAP_STD_DAYS], c1[n.GAP_LAST_DAYS]) == (45.0, 15.0, 60.0)
    assert c1[n.RECENCY_GAP_RATIO] == pytest.approx((21 + 14 / 24) / 45)
    assert (c1[n.orders_in(30)], c1[n.spend_in(30)]) == (1, pytest.approx(45.0))
    assert (c1[n.orders_in(90)], c1[n.spend_in(90)]) == (2, pytest.approx(50.0))
    assert (c1[n.ORDERS_TREND_90D], c1[n.SPEND_TREND_90D]) == (1, pytest.approx(10.0))
    assert c1[n.TENURE_DAYS] == pytest.approx(120 + 15 / 24)
    assert c1[n.AGE] == 74
    c2 = features.loc["C2"]
    assert np.isnan(c2[n.GAP_MEAN_DAYS]) and np.isnan(c2[n.RECENCY_GAP_RATIO])


def test_channels_categories_discounts_returns(features) -> None:
    c1 = features.loc["C1"]
    assert c1[n.order_share("web")] == pytest.approx(2 / 3)
    assert c1[n.spend_share("web")] == pytest.approx(105 / 110)
    assert c1[n.avg_basket("web")] == pytest.approx(52.5)
    assert c1[n.avg_basket("phone")] == pytest.approx(5.0)
    assert np.isnan(c1[n.avg_basket("store")])
    assert c1[n.N_CHANNELS] == 2
    assert c1[n.DISCOUNT_SHARE] == pytest.approx(1 / 3)
    assert c1[n.FIRST_ORDER_VALUE] == pytest.approx(40.0)
    # The delivery fee is not a taste: shares are over 105 € of real products.
    assert c1[n.category_share("cheese")] == pytest.approx(25 / 105)
    assert c1[n.category_share("wines")] == pytest.approx(80 / 105)
    assert "category_share_non_product" not in features.columns
    assert c1[n.RETURN_RATE] == pytest.approx(20 / 110)
    assert features.loc["C2", n.RETURN_RATE] == 0.0


def test_web_features(features) -> None:
    c1 = features.loc["C1"]
    assert c1[n.web_count("sessions", 7)] == 2
    assert c1[n.web_count("abandoned_carts", 7)] == 1
    assert c1[n.web_count("wishlist_adds", 30)] == 1
    assert c1[n.DAYS_SINCE_LAST_VISIT] == pytest.approx(2 + 4 / 24)
    # P3 carted on Apr 25 and never bought; P1 wishlisted on Apr 28 (its Feb purchase came before).
    assert (c1[n.CART_ITEMS_OPEN], c1[n.WISHLIST_ITEMS_OPEN]) == (1, 1)


def test_anonymous_events_count_for_the_customer_the_visitor_becomes() -> None:
    frames = tiny_frames()
    frames["events"].loc[3, "visitor_id"] = "V1"  # the anonymous visit was C1's device
    frame = build_customer_features(Dataset.from_frames(frames), AS_OF).set_index("customer_id")
    assert frame.loc["C1", n.web_count("sessions", 7)] == 3


def test_campaign_outcomes_after_the_cutoff_are_unknown(features) -> None:
    c1 = features.loc["C1"]
    # K1 (Feb 1) was opened, clicked and converted; K2 (Apr 15) was opened only on May 3, after the cutoff.
    assert c1[n.campaign_measure("contacts")] == 2
    assert c1[n.campaign_measure("open_rate")] == 0.5
    assert c1[n.campaign_measure("conversion_rate", "email")] == 0.5
    assert c1[n.DAYS_SINCE_LAST_CONTACT] == pytest.approx(15 + 16 / 24)
    assert features.loc["C2", n.campaign_measure("contacts", "sms")] == 1
    assert np.isnan(features.loc["C2", n.campaign_measure("open_rate", "email")])


def test_consent_latest_record_before_the_cutoff_wins(features) -> None:
    c1 = features.loc["C1"]
    assert c1[n.consent("email_marketing")]
    assert not c1[n.consent("sms_marketing")]  # withdrawn on Mar 1
    assert c1[n.consent("profiling")]  # withdrawn on May 10, after the cutoff
    assert not c1[n.consent("phone_marketing")]  # never asked: no consent
    assert features.loc["C2", n.consent("sms_marketing")]


def test_feature_set_lists_exactly_the_built_columns(features) -> None:
    resolved = CUSTOMER_FEATURES_V1.resolve(list(features.columns))
    assert set(resolved) == set(features.columns) - {"as_of"}
    assert CUSTOMER_FEATURES_V1.key == "customer_v1"
    with pytest.raises(KeyError, match="needs columns absent"):
        CUSTOMER_FEATURES_V1.resolve(["age"])


def test_a_build_of_some_groups_equals_the_full_build_on_their_columns(small_synthetic: Dataset) -> None:
    """The intent model builds only the profile and order history at its ten cutoffs."""
    from features.customer_features.build import features_of_past

    as_of = small_synthetic.default_as_of() - pd.Timedelta(days=45)
    past = small_synthetic.before(as_of)
    full = features_of_past(past, as_of)
    orders_only = features_of_past(past, as_of, groups=("orders",))
    assert n.N_ORDERS in orders_only and n.web_count("sessions", 30) not in orders_only
    assert n.TENURE_DAYS in orders_only  # the profile is always there
    pd.testing.assert_frame_equal(orders_only, full[orders_only.columns])
    with pytest.raises(ValueError, match="unknown feature groups \\['weather'\\]"):
        features_of_past(past, as_of, groups=("orders", "weather"))


def test_the_features_are_those_of_every_table_cut_at_the_cutoff(small_synthetic: Dataset) -> None:
    """The build leaves the campaign assignments out of its cut (no feature reads them): the features are
    those of the whole data set cut at the cutoff."""
    as_of = small_synthetic.default_as_of() - pd.Timedelta(days=30)
    past = small_synthetic.before(as_of)
    assert len(past.assignments) > 0
    expected = features_of_past(past, as_of)
    pd.testing.assert_frame_equal(build_customer_features(small_synthetic, as_of), expected)
