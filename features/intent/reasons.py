"""Intent reasons in plain words: one phrase per feature, from the visitor's own value of it.

A phrase function gets the feature's value and returns text, or None when the value says nothing worth
reading (e.g. a missing customer figure). Counts per window and hours since each kind of event are
phrased from the same names as the features (``features.intent.names``), so a new window or event
kind gets its wording without editing this table.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from features.customer_features import names as cn
from features.intent import names as f

Phrase = Callable[[float], str | None]

COUNT_WORDS: dict[str, tuple[str, str]] = {  # measure: (one, many)
    "events": ("action on the site", "actions on the site"),
    "sessions": ("visit", "visits"),
    "distinct_products": ("product looked at", "different products looked at"),
    "product_views": ("product page viewed", "product pages viewed"),
    "cart_adds": ("item added to the cart", "items added to the cart"),
    "cart_removes": ("item removed from the cart", "items removed from the cart"),
    "wishlist_adds": ("item added to the wishlist", "items added to the wishlist"),
    "checkout_starts": ("checkout started", "checkouts started"),
    "searches": ("search", "searches"),
    "purchases": ("purchase on the site", "purchases on the site"),
}
WINDOW_WORDS = {
    24: "in the last 24 hours",
    7 * 24: "in the last 7 days",
    f.LOOKBACK_DAYS * 24: "in the last 30 days",
}
SINCE_WORDS = {
    "last_event": "last seen on the site",
    "first_event": "first seen on the site (within 30 days)",
    "product_view": "last viewed a product",
    "cart_add": "last added to the cart",
    "cart_remove": "last removed an item from the cart",
    "wishlist_add": "last added to the wishlist",
    "checkout_start": "last started a checkout",
    "purchase": "last bought on the site",
}


def ago(hours: float) -> str:
    if hours < 1:
        return "less than an hour ago"
    if hours < 48:
        return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''} ago"
    return f"{hours / 24:.0f} days ago"


def _count(measure: str, window: str) -> Phrase:
    one, many = COUNT_WORDS[measure]

    def phrase(v: float) -> str:
        if v == 0:
            return f"no {many} {window}"
        return f"{v:.0f} {one if v == 1 else many} {window}"

    return phrase


def _since(words: str) -> Phrase:
    return lambda v: None if math.isnan(v) else f"{words} {ago(v)}"


def _flag(yes: str, no: str | None) -> Phrase:
    return lambda v: yes if v >= 0.5 else no


def _known(template: str) -> Phrase:
    return lambda v: None if math.isnan(v) else template.format(v=v)


def _days(before: str, after: str = "") -> Phrase:
    def phrase(v: float) -> str | None:
        if math.isnan(v):
            return None
        return f"{before}{v:.0f} day{'s' if round(v) != 1 else ''}{after}"

    return phrase


def _orders(window: str) -> Phrase:
    def phrase(v: float) -> str | None:
        if math.isnan(v):
            return None
        return f"no order {window}" if v == 0 else f"{v:.0f} order{'s' if v != 1 else ''} {window}"

    return phrase


PHRASES: dict[str, Phrase] = {
    f.OPEN_CART_ITEMS: lambda v: (
        "nothing left in the cart" if v == 0 else f"{v:.0f} item{'s' if v != 1 else ''} left in the cart"
    ),
    f.OPEN_WISHLIST_ITEMS: lambda v: (
        None if v == 0 else f"{v:.0f} item{'s' if v != 1 else ''} added to the wishlist recently"
    ),
    f.LAST_SESSION_EVENTS: lambda v: f"{v:.0f} action{'s' if v != 1 else ''} in the latest visit",
    f.RETURNING_VISITOR: _flag("came back for several visits", "a single visit recently"),
    f.KNOWN_CUSTOMER: _flag("logged in as a known customer", "anonymous visitor"),
    f"{f.CUSTOMER_PREFIX}{cn.DAYS_SINCE_LAST_ORDER}": _days("last order ", " ago"),
    f"{f.CUSTOMER_PREFIX}{cn.N_ORDERS}": _orders("so far"),
    f"{f.CUSTOMER_PREFIX}{cn.orders_in(90)}": _orders("in the last 90 days"),
    f"{f.CUSTOMER_PREFIX}{cn.orders_in(365)}": _orders("in the last year"),
    f"{f.CUSTOMER_PREFIX}{cn.AVG_ORDER_VALUE}": _known("average order €{v:,.0f}"),
    f"{f.CUSTOMER_PREFIX}{cn.GAP_MEAN_DAYS}": _days("usually orders every "),
    f"{f.CUSTOMER_PREFIX}{cn.RECENCY_GAP_RATIO}": _known("{v:.2g}× their usual gap since the last order"),
    f"{f.CUSTOMER_PREFIX}{cn.TENURE_DAYS}": _days("customer for "),
    f"{f.CUSTOMER_PREFIX}{cn.HAS_WEB_ACCOUNT}": lambda v: (
        None if math.isnan(v) else "has a web account" if v >= 0.5 else "no web account"
    ),
}
for _measure in ("events", "sessions", "distinct_products", *f.COUNTED.values()):
    for _hours in f.WINDOWS_HOURS:
        PHRASES[f.count_name(_measure, _hours)] = _count(_measure, WINDOW_WORDS[_hours])
for _kind in ("last_event", "first_event", *f.SINCE.values()):
    PHRASES[f.since_name(_kind)] = _since(SINCE_WORDS[_kind])
for _device in f.DEVICE_FEATURES:
    PHRASES[_device] = _flag(f"browsing on {_device.removeprefix('device_')}", None)
for _source in f.SOURCE_FEATURES:
    _name = _source.removeprefix("source_")
    PHRASES[_source] = _flag(
        "came in directly"
        if _name == "direct"
        else "traffic source unknown"
        if _name == "none"
        else f"came in via {_name}",
        None,
    )


def phrase(feature: str, value: float) -> str | None:
    return PHRASES[feature](float(value)) if feature in PHRASES else f"{feature.replace('_', ' ')}: {value:g}"
