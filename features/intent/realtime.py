"""The one intent feature function, for the service (a visitor's events as mappings) and for batch.

:func:`intent_vector` turns a visitor's events into plain arrays and hands them to :func:`vector_of`,
the code that actually computes the features. :mod:`features.intent.batch` builds the same arrays from
the ``events`` table and calls the same :func:`vector_of`, so the two paths cannot drift apart.

Times are whole microseconds before ``now`` (exact integers in both paths, hence identical floats).
Only events strictly before ``now`` and at most :data:`~features.intent.names.LOOKBACK_DAYS` old count.
No pandas here: the service calls this per request (well under a millisecond for 100 events).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from features import columns as c
from features.clock import to_local
from features.intent import names as f
from features.intent.layout import (
    ADD_TO_CART,
    COUNTED_AT,
    CUSTOMER_AT,
    DEVICE_AT,
    EVENTS_AT,
    LOOKBACK_US,
    MISSING_BY_DEFAULT,
    N_KINDS,
    PRODUCTS_AT,
    PURCHASE,
    REMOVE_FROM_CART,
    SESSION_GAP_US,
    SESSIONS_AT,
    SINCE_AT,
    SOURCE_AT,
    US_PER_HOUR,
    WINDOWS_US,
    WISHLIST_ADD,
)

MICROSECOND = timedelta(microseconds=1)
_I = f.FEATURE_INDEX


@dataclass(frozen=True)
class VisitorEvents:
    """One visitor's events in the lookback, oldest first (ties in the order received).

    ``age_us``: microseconds before ``now`` (> 0); ``kind``: index into ``vocab.EVENT_TYPES`` (-1 unknown);
    ``sku``, ``source``: text or None; ``device``: index into ``vocab.DEVICES`` (-1 unknown)."""

    age_us: np.ndarray
    kind: np.ndarray
    sku: Sequence[str | None]
    device: np.ndarray
    source: Sequence[str | None]


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return to_local(value)
    if isinstance(value, str):
        return to_local(datetime.fromisoformat(value))
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[us]").item()
    raise TypeError(f"occurred_at must be a datetime or ISO text, not {type(value).__name__}")


def _number(value: object) -> float:
    if value is None or isinstance(value, str):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def vector_of(
    events: VisitorEvents, known_customer: bool, customer: Mapping[str, object] | None
) -> np.ndarray:
    """The intent features (order :data:`~features.intent.names.INTENT_FEATURES`) of one visitor."""
    out = np.where(MISSING_BY_DEFAULT, np.nan, 0.0)
    age, kind = events.age_us, events.kind
    n = int(age.size)
    out[_I[f.KNOWN_CUSTOMER]] = float(known_customer)
    if customer is not None:
        for name, at in CUSTOMER_AT:
            out[at] = _number(customer.get(name))
    if n == 0:
        return out
    # Visits: a gap of more than 30 minutes starts a new one (events are oldest first: age decreases).
    new_visit = np.empty(n, dtype=bool)
    new_visit[0] = True
    np.greater(age[:-1] - age[1:], SESSION_GAP_US, out=new_visit[1:])
    starts = np.flatnonzero(new_visit)
    visit_last_age = age[np.append(starts[1:] - 1, n - 1)]
    skus = events.sku
    # Each window is a suffix of the events (the newest ones): where it starts, by binary search.
    firsts = np.searchsorted(-age, -WINDOWS_US, side="left").tolist()
    visit_firsts = np.searchsorted(-visit_last_age, -WINDOWS_US, side="left").tolist()
    shifted = kind + 1  # unknown kinds (-1) to bin 0
    for w, first in enumerate(firsts):
        out[EVENTS_AT[w]] = n - first
        out[SESSIONS_AT[w]] = visit_last_age.size - visit_firsts[w]
        out[PRODUCTS_AT[w]] = len(set(skus[first:]) - {None})
        per_kind = np.bincount(shifted[first:], minlength=N_KINDS + 1)
        for code, at in COUNTED_AT:
            out[at[w]] = per_kind[code + 1]
    latest = {k: i for i, k in enumerate(kind.tolist())}  # the last position of each kind is its newest
    for code, at in SINCE_AT:
        if code in latest:
            out[at] = age[latest[code]] / US_PER_HOUR
    out[_I[f.HOURS_SINCE_LAST_EVENT]] = age[-1] / US_PER_HOUR
    out[_I[f.HOURS_SINCE_FIRST_EVENT]] = age[0] / US_PER_HOUR
    out[_I[f.OPEN_CART_ITEMS]] = len(open_items(events, ADD_TO_CART))
    out[_I[f.OPEN_WISHLIST_ITEMS]] = len(open_items(events, WISHLIST_ADD))
    out[_I[f.LAST_SESSION_EVENTS]] = n - starts[-1]
    out[_I[f.RETURNING_VISITOR]] = float(starts.size > 1)
    device = int(events.device[-1])
    if device >= 0:
        out[DEVICE_AT[device]] = 1.0
    source = events.source[-1]
    out[SOURCE_AT["none" if source is None else source if source in f.SOURCE_CODE else "other"]] = 1.0
    return out


def open_items(events: VisitorEvents, added_by: int) -> dict[str, int]:
    """Products put in the cart (``add_to_cart``) or on the wishlist and still there, with the age in
    microseconds of their latest addition. A cart item leaves with its removal or a later purchase event
    (a checkout buys the cart); a wishlist item with a later cart add of it (it moved to the cart)."""
    latest_add: dict[str, int] = {}
    cleared: dict[str, int] = {}
    last_purchase = -1
    for age, kind, sku in zip(events.age_us.tolist(), events.kind.tolist(), events.sku, strict=True):
        if kind == PURCHASE:
            last_purchase = age if last_purchase < 0 else min(last_purchase, age)
        if sku is None:
            continue
        if kind == added_by:
            latest_add[sku] = age  # oldest first: the last one seen is the latest
        elif (added_by == ADD_TO_CART and kind == REMOVE_FROM_CART) or (
            added_by == WISHLIST_ADD and kind == ADD_TO_CART
        ):
            cleared[sku] = age
    return {
        sku: age
        for sku, age in latest_add.items()
        if not (sku in cleared and cleared[sku] <= age)
        and not (added_by == ADD_TO_CART and 0 <= last_purchase <= age)
    }


def _clean_texts(values: Sequence[object]) -> list[str | None]:
    return [v if type(v) is str and v else None for v in values]


def visitor_events(events: Sequence[Mapping[str, object]], now: datetime) -> tuple[VisitorEvents, str | None]:
    """The lookback's events as arrays (oldest first) and the latest customer id they carry."""
    now = _as_datetime(now)
    event_code, device_code = f.EVENT_CODE.get, f.DEVICE_CODE.get
    rows = []
    # One tuple per event, built in one pass: the service calls this per request, Python loops are the cost.
    for position, event in enumerate(events):
        occurred = event[c.OCCURRED_AT]
        if type(occurred) is not datetime or occurred.tzinfo is not None:  # the common case needs no parsing
            occurred = _as_datetime(occurred)
        age = (now - occurred) // MICROSECOND  # type: ignore[operator]
        if 0 < age <= LOOKBACK_US:
            get = event.get
            rows.append(
                (
                    -age,
                    position,
                    event_code(get(c.EVENT_TYPE), -1),  # type: ignore[arg-type]
                    device_code(get(c.DEVICE), -1),  # type: ignore[arg-type]
                    get(c.SKU),
                    get(c.SOURCE),
                    get(c.CUSTOMER_ID),
                )
            )
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return VisitorEvents(empty, empty, [], empty, []), None
    rows.sort()  # oldest first, ties in the order received ((-age, position) pairs are unique)
    negative_ages, _, kinds, devices, skus, sources, customers = zip(*rows, strict=True)
    known = [cid for cid in _clean_texts(customers) if cid is not None]
    arrays = VisitorEvents(
        age_us=-np.array(negative_ages, dtype=np.int64),
        kind=np.array(kinds, dtype=np.int64),
        sku=_clean_texts(skus),
        device=np.array(devices, dtype=np.int64),
        source=_clean_texts(sources),
    )
    return arrays, known[-1] if known else None


def intent_vector(
    events: Sequence[Mapping[str, object]], now: datetime, customer: Mapping[str, float] | None
) -> np.ndarray:
    """Intent features of one visitor at ``now`` from their events (mappings keyed by the ``events``
    contract's column names; ``occurred_at`` a datetime or ISO text; events at or after ``now`` and
    older than the lookback are ignored) and, when the visitor is a known customer, the customer's
    features (e.g. the online store record's ``features``; keys not given are missing)."""
    arrays, customer_id = visitor_events(events, now)
    return vector_of(arrays, customer_id is not None or customer is not None, customer)
