"""Web and app behaviour: visits, views, carts and wishlists of the recent past."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.arrays import arrow_keys, positions
from features.customer_features import names as n
from features.customer_features.attribution import EventOwners, event_owners
from features.customer_features.grouping import DAY, CustomerIndex, as_datetime, days_between
from features.customer_features.open_items import acts_of, open_items

# A cart item older than this is no longer "in the cart" for marketing purposes; wishlists live longer.
CART_MEMORY_DAYS = 30
WISHLIST_MEMORY_DAYS = 90
# The event types read here, as small integers: comparing codes beats comparing millions of strings.
KINDS: tuple[str, ...] = ("product_view", "add_to_cart", "wishlist_add", "remove_from_cart", "purchase")
VIEW, CART_ADD, WISH_ADD, CART_REMOVE, PURCHASE = range(len(KINDS))
_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def event_kinds(events: pd.DataFrame) -> np.ndarray:
    """Position of each event's type in :data:`KINDS`, -1 for any other (or empty) type."""
    return positions(events[c.EVENT_TYPE], arrow_keys(np.array(KINDS, dtype=object)))


def session_codes(events: pd.DataFrame) -> np.ndarray:
    """Each event's visit as an integer code (-1 when empty)."""
    codes, _ = pd.factorize(events[c.SESSION_ID])
    return codes


def events_by_owner(
    events: pd.DataFrame, index: CustomerIndex, sessions: np.ndarray | None = None
) -> EventOwners:
    """Whom each event and each session counts for (see :mod:`features.customer_features.attribution`);
    ``sessions`` are the events' :func:`session_codes` when already computed."""
    visitors, _ = pd.factorize(events[c.VISITOR_ID])
    sessions = session_codes(events) if sessions is None else sessions
    return event_owners(
        index.codes(events[c.CUSTOMER_ID]), visitors, sessions, as_datetime(events[c.OCCURRED_AT])
    )


def _session_table(
    sessions: np.ndarray, owners: np.ndarray, times: np.ndarray, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per visit (events without one are left out): the customer it counts for (the greatest of its
    events' session owners), its start (int64 microseconds) and whether it added to the cart without
    buying."""
    valid = sessions >= 0
    visit = sessions[valid]
    count = int(visit.max()) + 1 if visit.size else 0
    customer = np.full(count, _INT64_MIN, dtype=np.int64)
    np.maximum.at(customer, visit, owners[valid].astype(np.int64))
    start = np.full(count, _INT64_MAX, dtype=np.int64)
    np.minimum.at(start, visit, times[valid].astype(np.int64))
    added = np.bincount(visit[kinds[valid] == CART_ADD], minlength=count) > 0
    bought = np.bincount(visit[kinds[valid] == PURCHASE], minlength=count) > 0
    return customer, start, added & ~bought


def web_features(
    events: pd.DataFrame,
    orders: pd.DataFrame,
    index: CustomerIndex,
    as_of: pd.Timestamp,
    owners: EventOwners | None = None,
) -> dict[str, np.ndarray]:
    """Web counts per customer; ``owners`` (default: decided from ``events``) says whom each event and
    session counts for, so a partition of the events can be given the decision taken over all of them."""
    now = np.datetime64(as_of.to_datetime64(), "us")
    sessions = session_codes(events)
    owners = events_by_owner(events, index, sessions) if owners is None else owners
    codes = owners.event
    times = as_datetime(events[c.OCCURRED_AT])
    age_days = ((now - times) / DAY).astype(np.float64)
    kinds = event_kinds(events)
    visit_owners, visit_starts, abandoned = _session_table(sessions, owners.session, times, kinds)
    session_age = ((now - visit_starts.astype("datetime64[us]")) / DAY).astype(np.float64)
    out: dict[str, np.ndarray] = {}
    for days in n.WEB_WINDOWS_DAYS:
        recent = age_days <= days
        recent_sessions = session_age <= days
        out[n.web_count("sessions", days)] = index.count(visit_owners, recent_sessions)
        out[n.web_count("product_views", days)] = index.count(codes, recent & (kinds == VIEW))
        out[n.web_count("cart_adds", days)] = index.count(codes, recent & (kinds == CART_ADD))
        out[n.web_count("abandoned_carts", days)] = index.count(visit_owners, recent_sessions & abandoned)
        out[n.web_count("wishlist_adds", days)] = index.count(codes, recent & (kinds == WISH_ADD))
    out[n.DAYS_SINCE_LAST_VISIT] = days_between(now, index.latest(codes, times))
    cart_since = now - np.timedelta64(CART_MEMORY_DAYS, "D")
    wish_since = now - np.timedelta64(WISHLIST_MEMORY_DAYS, "D")
    read = (CART_ADD, WISH_ADD, CART_REMOVE, PURCHASE)
    acts = acts_of(events, codes, kinds, orders, index, min(cart_since, wish_since), read)
    out[n.CART_ITEMS_OPEN] = open_items(acts, index, CART_ADD, (CART_REMOVE, PURCHASE), cart_since)
    out[n.WISHLIST_ITEMS_OPEN] = open_items(acts, index, WISH_ADD, (), wish_since)
    return out
