"""The intent feature vector: its windows, vocabularies and column order (fixed: models index it)."""

from __future__ import annotations

from features import vocab
from features.customer_features import names as n

HORIZON_DAYS = 7  # the model predicts a purchase in [now, now + 7 days)
LOOKBACK_DAYS = 30  # only events of the last 30 days count; older ones are ignored by both paths
SESSION_GAP_MINUTES = 30  # a new visit starts after 30 minutes of inactivity (the web-analytics rule)
WINDOWS_HOURS: tuple[int, ...] = (24, 7 * 24, LOOKBACK_DAYS * 24)
WINDOW_NAMES: dict[int, str] = {24: "24h", 7 * 24: "7d", LOOKBACK_DAYS * 24: "30d"}

EVENT_CODE: dict[str, int] = {name: i for i, name in enumerate(vocab.EVENT_TYPES)}
# Counted per window, under these short names.
COUNTED: dict[str, str] = {
    "product_view": "product_views",
    "add_to_cart": "cart_adds",
    "remove_from_cart": "cart_removes",
    "wishlist_add": "wishlist_adds",
    "checkout_start": "checkout_starts",
    "search": "searches",
    "purchase": "purchases",
}
# Hours since the latest event of each of these kinds (missing when none in the lookback).
SINCE: dict[str, str] = {
    "product_view": "product_view",
    "add_to_cart": "cart_add",
    "remove_from_cart": "cart_remove",
    "wishlist_add": "wishlist_add",
    "checkout_start": "checkout_start",
    "purchase": "purchase",
}
DEVICE_CODE: dict[str, int] = {name: i for i, name in enumerate(vocab.DEVICES)}
# Traffic sources are free text in the contract; these are one-hot encoded, anything else is "other".
SOURCES: tuple[str, ...] = ("direct", "seo", "sea", "email", "social", "affiliate", "sms", "push", "ads")
SOURCE_CODE: dict[str, int] = {name: i for i, name in enumerate(SOURCES)}

# Customer features read from the customer's record when the visitor is known (the "features" part of
# the online store record, i.e. features.customer_features at the last materialisation); missing
# for anonymous visitors.
CUSTOMER_INPUTS: tuple[str, ...] = (
    n.DAYS_SINCE_LAST_ORDER,
    n.N_ORDERS,
    n.orders_in(90),
    n.orders_in(365),
    n.AVG_ORDER_VALUE,
    n.GAP_MEAN_DAYS,
    n.RECENCY_GAP_RATIO,
    n.TENURE_DAYS,
    n.HAS_WEB_ACCOUNT,
)
CUSTOMER_PREFIX = "customer_"


def count_name(measure: str, hours: int) -> str:
    return f"{measure}_{WINDOW_NAMES[hours]}"


def since_name(kind: str) -> str:
    return f"hours_since_{kind}"


EVENTS_IN = [count_name("events", h) for h in WINDOWS_HOURS]
SESSIONS_IN = [count_name("sessions", h) for h in WINDOWS_HOURS]
PRODUCTS_IN = [count_name("distinct_products", h) for h in WINDOWS_HOURS]
HOURS_SINCE_LAST_EVENT = "hours_since_last_event"
HOURS_SINCE_FIRST_EVENT = "hours_since_first_event"
OPEN_CART_ITEMS = "open_cart_items"
OPEN_WISHLIST_ITEMS = "open_wishlist_items"
LAST_SESSION_EVENTS = "last_session_events"
RETURNING_VISITOR = "returning_visitor"
KNOWN_CUSTOMER = "known_customer"
DEVICE_FEATURES = [f"device_{d}" for d in vocab.DEVICES]
SOURCE_FEATURES = [f"source_{s}" for s in (*SOURCES, "other", "none")]
CUSTOMER_FEATURES = [f"{CUSTOMER_PREFIX}{name}" for name in CUSTOMER_INPUTS]

INTENT_FEATURES: tuple[str, ...] = (
    *EVENTS_IN,
    *SESSIONS_IN,
    *PRODUCTS_IN,
    *(count_name(measure, h) for measure in COUNTED.values() for h in WINDOWS_HOURS),
    HOURS_SINCE_LAST_EVENT,
    HOURS_SINCE_FIRST_EVENT,
    *(since_name(kind) for kind in SINCE.values()),
    OPEN_CART_ITEMS,
    OPEN_WISHLIST_ITEMS,
    LAST_SESSION_EVENTS,
    RETURNING_VISITOR,
    KNOWN_CUSTOMER,
    *DEVICE_FEATURES,
    *SOURCE_FEATURES,
    *CUSTOMER_FEATURES,
)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(INTENT_FEATURES)}
