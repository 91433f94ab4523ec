"""Reasons in plain words: one table of wordings keyed by feature name, read by every model.

A wording is a ``str.format`` template over the customer's own feature values, used when its conditions
hold and every value it quotes is known; the first usable wording of a feature wins. Marketers edit the
table, not the code. Features that repeat per channel, window or category get their wordings from the
same naming functions as the features themselves (``features.customer_features.names``). Besides the
features, a wording may quote ``horizon_days``, the period the model predicts.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from string import Formatter

import numpy as np
import pandas as pd

from features import vocab
from features.customer_features import names as n
from features.predictive import btyd_features as b

HORIZON_DAYS = "horizon_days"  # not a feature: the explaining model adds it to the rows it phrases
Condition = tuple[str, str, float]  # (feature, operator, threshold); operator "missing" ignores the threshold
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Wording:
    text: str
    when: tuple[Condition, ...] = ()


def w(text: str, *when: Condition) -> Wording:
    return Wording(text, tuple(when))


NOT_ORDERED = w("has not ordered yet", (n.N_ORDERS, "==", 0))
CHANNEL_WORDS = {
    "web": "on the web site",
    "app": "in the app",
    "phone": "by phone",
    "catalogue": "from the catalogue",
    "store": "in store",
    "delivery": "by home delivery",
}
CONTACT_WORDS = {
    None: "messages",
    "email": "emails",
    "sms": "text messages",
    "phone": "calls",
    "mail": "letters",
    "push": "push notifications",
    "ads": "ads",
}
WEB_WORDS = {
    "sessions": "visits to the site",
    "product_views": "product pages viewed",
    "cart_adds": "items added to the cart",
    "abandoned_carts": "abandoned carts",
    "wishlist_adds": "items added to the wishlist",
}

REASONS: dict[str, tuple[Wording, ...]] = {
    n.DAYS_SINCE_LAST_ORDER: (
        NOT_ORDERED,
        w(
            "no order for {days_since_last_order:.0f} days, {recency_gap_ratio:.2g}× their usual gap",
            (n.RECENCY_GAP_RATIO, ">=", 1.5),
        ),
        w("no order for {days_since_last_order:.0f} days", (n.DAYS_SINCE_LAST_ORDER, ">=", 60)),
        w("last order {days_since_last_order:.0f} days ago"),
    ),
    n.RECENCY_GAP_RATIO: (
        w("{recency_gap_ratio:.2g}× their usual gap since the last order", (n.RECENCY_GAP_RATIO, ">=", 1.5)),
        w("still within their usual {gap_mean_days:.0f} days between orders"),
    ),
    n.N_ORDERS: (
        NOT_ORDERED,
        w("a single order so far", (n.N_ORDERS, "==", 1)),
        w("{n_orders:.0f} orders so far"),
    ),
    n.DAYS_SINCE_FIRST_ORDER: (NOT_ORDERED, w("first order {days_since_first_order:.0f} days ago")),
    n.TOTAL_SPEND: (NOT_ORDERED, w("€{total_spend:,.0f} spent in total")),
    n.AVG_ORDER_VALUE: (NOT_ORDERED, w("average order €{avg_order_value:,.0f}")),
    n.FIRST_ORDER_VALUE: (NOT_ORDERED, w("first order worth €{first_order_value:,.0f}")),
    n.GAP_MEAN_DAYS: (
        NOT_ORDERED,
        w("orders every {gap_mean_days:.0f} days on average"),
    ),
    n.GAP_STD_DAYS: (w("days between orders vary by ±{gap_std_days:.0f}"),),
    n.GAP_LAST_DAYS: (w("{gap_last_days:.0f} days between their last two orders"),),
    n.ORDERS_TREND_90D: (
        NOT_ORDERED,
        w("orders less often than the quarter before", (n.ORDERS_TREND_90D, "<", 0)),
        w("orders more often than the quarter before", (n.ORDERS_TREND_90D, ">", 0)),
        w("as many orders as the quarter before"),
    ),
    n.SPEND_TREND_90D: (
        NOT_ORDERED,
        w("spends less than last quarter", (n.SPEND_TREND_90D, "<", 0)),
        w("spends more than last quarter", (n.SPEND_TREND_90D, ">", 0)),
        w("spends as much as last quarter"),
    ),
    n.TENURE_DAYS: (w("known for {tenure_days:.0f} days"),),
    n.AGE: (w("aged {age:.0f}"),),
    n.REGION: (w("lives in {region}"),),
    n.GENDER: (w("gender {gender}"),),
    n.ACQUISITION_CHANNEL: (w("first came through {acquisition_channel}"),),
    n.HAS_WEB_ACCOUNT: (w("has a web account", (n.HAS_WEB_ACCOUNT, "==", 1)), w("no web account")),
    n.HAS_LOYALTY_CARD: (w("has a loyalty card", (n.HAS_LOYALTY_CARD, "==", 1)), w("no loyalty card")),
    n.N_CHANNELS: (
        NOT_ORDERED,
        w("buys through one channel only", (n.N_CHANNELS, "==", 1)),
        w("buys through {n_channels:.0f} channels"),
    ),
    n.DISCOUNT_SHARE: (
        NOT_ORDERED,
        w("{discount_share:.0%} of orders with a discount"),
    ),
    n.RETURN_RATE: (
        NOT_ORDERED,
        w("returned {return_rate:.0%} of what they bought"),
    ),
    n.N_CATEGORIES: (
        NOT_ORDERED,
        w("has bought in {n_categories:.0f} categories"),
    ),
    n.DAYS_SINCE_LAST_VISIT: (
        w("never visited the site", (n.DAYS_SINCE_LAST_VISIT, "missing", 0)),
        w("no visit to the site for {days_since_last_visit:.0f} days", (n.DAYS_SINCE_LAST_VISIT, ">=", 30)),
        w("visited the site {days_since_last_visit:.0f} days ago"),
    ),
    n.CART_ITEMS_OPEN: (
        w("one item left in the cart", (n.CART_ITEMS_OPEN, "==", 1)),
        w("{cart_items_open:.0f} items left in the cart", (n.CART_ITEMS_OPEN, ">", 0)),
        w("nothing left in the cart"),
    ),
    n.WISHLIST_ITEMS_OPEN: (
        w("{wishlist_items_open:.0f} items on the wishlist", (n.WISHLIST_ITEMS_OPEN, ">", 0)),
        w("nothing on the wishlist"),
    ),
    n.DAYS_SINCE_LAST_CONTACT: (
        w("not contacted recently", (n.DAYS_SINCE_LAST_CONTACT, "missing", 0)),
        w("last contacted {days_since_last_contact:.0f} days ago"),
    ),
    b.BTYD_P_ALIVE: (
        w(
            "buying pattern says probably lapsed ({btyd_p_alive:.0%} chance still active)",
            (b.BTYD_P_ALIVE, "<", 0.5),
        ),
        w("buying pattern says still active ({btyd_p_alive:.0%} chance)"),
    ),
    b.BTYD_P_ORDER: (
        w("buying pattern gives a {btyd_p_order:.0%} chance of an order in the next {horizon_days:.0f} days"),
    ),
    b.BTYD_EXPECTED_ORDERS: (
        w("buying pattern expects {btyd_expected_orders:.1f} orders in the next {horizon_days:.0f} days"),
    ),
    b.BTYD_EXPECTED_VALUE: (
        w("buying pattern expects €{btyd_expected_value:,.0f} of spend in the next {horizon_days:.0f} days"),
    ),
}

for _days in n.WINDOWS_DAYS:
    _orders, _spend = n.orders_in(_days), n.spend_in(_days)
    REASONS[_orders] = (
        NOT_ORDERED,
        w(f"no order in the last {_days} days", (_orders, "==", 0)),
        w(f"one order in the last {_days} days", (_orders, "==", 1)),
        w(f"{{{_orders}:.0f}} orders in the last {_days} days"),
    )
    REASONS[_spend] = (NOT_ORDERED, w(f"€{{{_spend}:,.0f}} spent in the last {_days} days"))
for _channel, _words in CHANNEL_WORDS.items():
    REASONS[n.order_share(_channel)] = (w(f"{{{n.order_share(_channel)}:.0%}} of orders {_words}"),)
    REASONS[n.spend_share(_channel)] = (w(f"{{{n.spend_share(_channel)}:.0%}} of spend {_words}"),)
    REASONS[n.avg_basket(_channel)] = (w(f"average basket {_words} €{{{n.avg_basket(_channel)}:,.0f}}"),)
for _days in n.WEB_WINDOWS_DAYS:
    for _measure, _words in WEB_WORDS.items():
        _col = n.web_count(_measure, _days)
        REASONS[_col] = (
            w(f"no {_words} in the last {_days} days", (_col, "==", 0)),
            w(f"{{{_col}:.0f}} {_words} in the last {_days} days"),
        )
for _channel in (None, *vocab.CONTACT_CHANNELS):
    _words = CONTACT_WORDS[_channel]
    _sent = n.campaign_measure("contacts", _channel)
    _opened = n.campaign_measure("open_rate", _channel)
    REASONS[_sent] = (w(f"{{{_sent}:.0f}} {_words} received in the last 90 days"),)
    REASONS[_opened] = (
        w(f"stopped opening {_words}", (_opened, "==", 0), (_sent, ">=", 2)),
        w(f"opens {{{_opened}:.0%}} of {_words}"),
    )
    REASONS[n.campaign_measure("click_rate", _channel)] = (
        w(f"clicks {{{n.campaign_measure('click_rate', _channel)}:.0%}} of {_words}"),
    )
    REASONS[n.campaign_measure("conversion_rate", _channel)] = (
        w(f"{{{n.campaign_measure('conversion_rate', _channel)}:.0%}} of {_words} led to an order"),
    )


def wordings_for(feature: str) -> tuple[Wording, ...]:
    if feature in REASONS:
        return REASONS[feature]
    if feature.startswith(n.CATEGORY_SHARE_PREFIX):
        category = feature.removeprefix(n.CATEGORY_SHARE_PREFIX).replace("_", " ")
        return (w(f"{{{feature}:.0%}} of spend on {category}"),)
    return (w(f"{feature.replace('_', ' ')}: {{{feature}}}"),)


@cache
def _fields(text: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in Formatter().parse(text) if name)


class Phraser:
    """Phrases features of the rows of one frame; column arrays are read once."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._columns: dict[str, np.ndarray] = {}

    def value(self, column: str, row: int) -> object:
        if column not in self._columns:
            present = column in self.frame
            self._columns[column] = (
                self.frame[column].to_numpy() if present else np.full(len(self.frame), None)
            )
        return self._columns[column][row]

    def _holds(self, condition: Condition, row: int) -> bool:
        column, op, threshold = condition
        value = self.value(column, row)
        if op == "missing":
            return bool(pd.isna(value))
        return not pd.isna(value) and OPERATORS[op](float(value), threshold)  # type: ignore[arg-type]

    def phrase(self, feature: str, row: int) -> str | None:
        for wording in wordings_for(feature):
            if not all(self._holds(cond, row) for cond in wording.when):
                continue
            values = {name: self.value(name, row) for name in _fields(wording.text)}
            if any(pd.isna(v) for v in values.values()):
                continue
            return wording.text.format(
                **{k: float(v) if isinstance(v, bool | np.bool_) else v for k, v in values.items()}
            )
        return None

    def reasons(self, row: int, features: Sequence[str], top: int) -> list[str]:
        """The first ``top`` distinct phrases of ``features`` (in order of importance) for one row."""
        out: list[str] = []
        for feature in features:
            text = self.phrase(feature, row)
            if text is not None and text not in out:
                out.append(text)
            if len(out) == top:
                break
        return out
