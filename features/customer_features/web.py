"""Web and app behaviour: visits, views, carts and wishlists of the recent past."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features import names as n
from features.customer_features.attribution import EventOwners, event_owners
from features.customer_features.grouping import DAY, CustomerIndex, as_datetime, days_between

# A cart item older than this is no longer "in the cart" for marketing purposes; wishlists live longer.
CART_MEMORY_DAYS = 30
WISHLIST_MEMORY_DAYS = 90


def events_by_owner(events: pd.DataFrame, index: CustomerIndex) -> EventOwners:
    """Whom each event and each session counts for (see :mod:`features.customer_features.attribution`)."""
    visitors, _ = pd.factorize(events[c.VISITOR_ID])
    sessions, _ = pd.factorize(events[c.SESSION_ID])
    return event_owners(
        index.codes(events[c.CUSTOMER_ID]), visitors, sessions, as_datetime(events[c.OCCURRED_AT])
    )


def _session_table(events: pd.DataFrame, session_codes: np.ndarray) -> pd.DataFrame:
    kinds = events[c.EVENT_TYPE].to_numpy()
    frame = pd.DataFrame(
        {
            "session": events[c.SESSION_ID].to_numpy(),
            "customer": session_codes,
            "time": as_datetime(events[c.OCCURRED_AT]),
            "added": kinds == "add_to_cart",
            "bought": kinds == "purchase",
        }
    )
    return frame.groupby("session", sort=False).agg(
        customer=("customer", "max"), start=("time", "min"), added=("added", "any"), bought=("bought", "any")
    )


def _open_items(
    events: pd.DataFrame,
    codes: np.ndarray,
    orders: pd.DataFrame,
    index: CustomerIndex,
    kind: str,
    cleared_by: tuple[str, ...],
    since: np.datetime64,
) -> np.ndarray:
    """Products a customer put in (cart or wishlist) after ``since`` and neither removed nor bought since."""
    types = events[c.EVENT_TYPE].to_numpy()
    keep = (codes >= 0) & events[c.SKU].notna().to_numpy()
    order_codes = index.codes(orders[c.CUSTOMER_ID])
    bought = (order_codes >= 0) & (orders[c.QUANTITY].to_numpy() > 0)
    # Products as integer codes shared by events and orders: grouping on text is several times slower.
    event_skus, order_skus = events[c.SKU][keep], orders[c.SKU][bought]
    sku_codes, _ = pd.factorize(pd.concat([event_skus, order_skus], ignore_index=True))
    acts = pd.DataFrame(
        {
            "customer": codes[keep],
            "sku": sku_codes[: len(event_skus)],
            "time": as_datetime(events[c.OCCURRED_AT])[keep],
            "type": types[keep],
        }
    )
    purchases = pd.DataFrame(
        {
            "customer": order_codes[bought],
            "sku": sku_codes[len(event_skus) :],
            "time": as_datetime(orders[c.ORDERED_AT])[bought],
            "type": "order",
        }
    )
    adds = acts[acts["type"] == kind].groupby(["customer", "sku"])["time"].max()
    clears = pd.concat([acts[acts["type"].isin(cleared_by)], purchases])
    cleared = clears.groupby(["customer", "sku"])["time"].max()
    joined = adds.to_frame("added").join(cleared.rename("cleared"), how="left")
    still_open = (joined["added"] >= since) & ~(joined["cleared"] >= joined["added"])
    customers = joined.index.get_level_values("customer").to_numpy()[still_open.to_numpy()]
    return index.count(customers.astype(np.int64))


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
    owners = events_by_owner(events, index) if owners is None else owners
    codes = owners.event
    times = as_datetime(events[c.OCCURRED_AT])
    age_days = ((now - times) / DAY).astype(np.float64)
    types = events[c.EVENT_TYPE].to_numpy()
    sessions = _session_table(events, owners.session)
    session_age = ((now - sessions["start"].to_numpy(dtype="datetime64[us]")) / DAY).astype(np.float64)
    session_codes = sessions["customer"].to_numpy(dtype=np.int64)
    abandoned = (sessions["added"] & ~sessions["bought"]).to_numpy()
    out: dict[str, np.ndarray] = {}
    for days in n.WEB_WINDOWS_DAYS:
        recent = age_days <= days
        recent_sessions = session_age <= days
        out[n.web_count("sessions", days)] = index.count(session_codes, recent_sessions)
        out[n.web_count("product_views", days)] = index.count(codes, recent & (types == "product_view"))
        out[n.web_count("cart_adds", days)] = index.count(codes, recent & (types == "add_to_cart"))
        out[n.web_count("abandoned_carts", days)] = index.count(session_codes, recent_sessions & abandoned)
        out[n.web_count("wishlist_adds", days)] = index.count(codes, recent & (types == "wishlist_add"))
    out[n.DAYS_SINCE_LAST_VISIT] = days_between(now, index.latest(codes, times))
    cart_since = now - np.timedelta64(CART_MEMORY_DAYS, "D")
    wish_since = now - np.timedelta64(WISHLIST_MEMORY_DAYS, "D")
    out[n.CART_ITEMS_OPEN] = _open_items(
        events, codes, orders, index, "add_to_cart", ("remove_from_cart", "purchase"), cart_since
    )
    out[n.WISHLIST_ITEMS_OPEN] = _open_items(events, codes, orders, index, "wishlist_add", (), wish_since)
    return out
