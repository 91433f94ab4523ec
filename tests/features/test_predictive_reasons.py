"""Reasons in plain words: the table's wordings on hand-made rows, and full coverage of the features."""

from __future__ import annotations

from string import Formatter

import numpy as np
import pandas as pd

from features.customer_features import names as n
from features.predictive.btyd_features import BTYD_COLUMNS
from features.predictive.inputs import PREDICTIVE_FEATURES_V1
from features.predictive.reasons import REASONS, Phraser


def row(**values: object) -> Phraser:
    return Phraser(pd.DataFrame([values]))


def test_silence_is_said_against_the_usual_gap() -> None:
    phraser = row(days_since_last_order=142.3, recency_gap_ratio=3.04, n_orders=5, gap_mean_days=46.8)
    assert phraser.phrase(n.DAYS_SINCE_LAST_ORDER, 0) == "no order for 142 days, 3× their usual gap"
    assert phraser.phrase(n.RECENCY_GAP_RATIO, 0) == "3× their usual gap since the last order"
    assert phraser.phrase(n.N_ORDERS, 0) == "5 orders so far"


def test_wordings_follow_the_values() -> None:
    regular = row(days_since_last_order=12.0, recency_gap_ratio=0.4, n_orders=1, gap_mean_days=np.nan)
    assert regular.phrase(n.DAYS_SINCE_LAST_ORDER, 0) == "last order 12 days ago"
    assert regular.phrase(n.N_ORDERS, 0) == "a single order so far"
    # The gap is unknown: the wording that quotes it is skipped, none is left.
    assert regular.phrase(n.RECENCY_GAP_RATIO, 0) is None
    prospect = row(days_since_last_order=np.nan, n_orders=0, orders_90d=0, spend_trend_90d=0.0)
    assert prospect.phrase(n.DAYS_SINCE_LAST_ORDER, 0) == "has not ordered yet"
    assert prospect.reasons(0, [n.DAYS_SINCE_LAST_ORDER, n.orders_in(90), n.N_ORDERS], 3) == [
        "has not ordered yet"
    ]


def test_marketing_and_spend_reasons() -> None:
    email, sent = n.campaign_measure("open_rate", "email"), n.campaign_measure("contacts", "email")
    phraser = row(
        **{email: 0.0, sent: 6.0},
        n_orders=4,
        spend_trend_90d=-80.0,
        orders_trend_90d=-1.0,
        category_share_wines=0.45,
        spend_365d=1234.5,
        cart_items_open=1,
    )
    assert phraser.phrase(email, 0) == "stopped opening emails"
    assert phraser.phrase(n.SPEND_TREND_90D, 0) == "spends less than last quarter"
    assert phraser.phrase(n.ORDERS_TREND_90D, 0) == "orders less often than the quarter before"
    assert phraser.phrase("category_share_wines", 0) == "45% of spend on wines"
    assert phraser.phrase(n.spend_in(365), 0) == "€1,234 spent in the last 365 days"
    assert phraser.phrase(n.CART_ITEMS_OPEN, 0) == "one item left in the cart"
    btyd = row(btyd_p_order=0.3, btyd_p_alive=0.2, horizon_days=90.0)
    assert (
        btyd.phrase("btyd_p_order", 0) == "buying pattern gives a 30% chance of an order in the next 90 days"
    )
    assert btyd.phrase("btyd_p_alive", 0) == "buying pattern says probably lapsed (20% chance still active)"
    # One email unopened is not yet "stopped opening".
    assert row(**{email: 0.0, sent: 1.0}).phrase(email, 0) == "opens 0% of emails"


def test_every_model_input_has_plain_words() -> None:
    columns = [*PREDICTIVE_FEATURES_V1.columns, *BTYD_COLUMNS]
    assert [col for col in columns if col not in REASONS] == []
    for wordings in REASONS.values():
        for wording in wordings:
            text = wording.text.format_map({k: 1.0 for k in _placeholders(wording.text)})
            assert "_" not in text, text  # no column name leaks into a sentence


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(text) if name]


def test_unknown_features_still_read_as_words() -> None:
    phraser = row(mystery_score=3)
    assert phraser.phrase("mystery_score", 0) == "mystery score: 3"
