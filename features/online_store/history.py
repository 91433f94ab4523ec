"""A customer's purchase and browsing history as an online-store record, and back to the recommender's
:class:`~features.recommend.history.Purchases` at request time, with the events received since.

Items are stored as SKUs, not catalogue indices, so a record stays valid when a retrained recommender
brings a different catalogue; days are counted from the record's ``as_of`` and aged at request time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset, rows_before
from features.recommend.catalogue import Catalogue
from features.recommend.history import INTEREST_EVENTS, MAX_VIEWED, CustomerHistory, Purchases

CART_EVENTS = frozenset({"add_to_cart", "wishlist_add"})
WISHLIST = "wishlist_add"
INTEREST = frozenset(INTEREST_EVENTS)


def _floats(values: np.ndarray) -> list[float | None]:
    """JSON has no NaN nor infinity: unknown quantities are stored as null (one C pass per array)."""
    out: list[float | None] = np.asarray(values, dtype=np.float64).tolist()
    for i in np.flatnonzero(~np.isfinite(values)):
        out[i] = None
    return out


def _float(value: float) -> float | None:
    """JSON has no NaN nor infinity: an unknown quantity is stored as null."""
    return float(value) if np.isfinite(value) else None


def _number(value: float | None, age: float = 0.0) -> float:
    return np.nan if value is None else float(value) + age


def history_records(dataset: Dataset, as_of: pd.Timestamp) -> dict[str, dict[str, Any]]:
    """Each profiled customer's history at ``as_of`` (customers who refused profiling get none)."""
    catalogue = Catalogue.from_products(dataset.products)
    history = CustomerHistory.build(dataset, as_of, catalogue)
    skus = catalogue.skus
    last_session = _last_sessions(dataset, as_of)
    out: dict[str, dict[str, Any]] = {}
    for cid in history.customer_ids:
        p = history.of(str(cid))
        assert p is not None
        viewed = skus[p.viewed].tolist()
        out[str(cid)] = {
            "items": skus[p.items].tolist(),
            "days": _floats(p.days),
            "days_since": _floats(p.days_since),
            "gap": _floats(p.gap),
            "viewed": viewed,
            "viewed_days_since": _floats(p.viewed_days_since),
            "carted": p.carted.tolist(),
            "view_sessions": p.view_sessions.tolist(),
            "wishlisted": p.wishlisted.tolist(),
            # a visit that goes on past as_of must not count twice when its later events arrive
            "view_last_session": [last_session.get((str(cid), sku)) for sku in viewed],
            "region": p.region,
            "orders": p.orders,
            "days_since_last": _float(p.days_since_last),
            "days_since_first": _float(p.days_since_first),
        }
    return out


def _last_sessions(dataset: Dataset, as_of: pd.Timestamp) -> dict[tuple[str, str], str]:
    """(customer, sku) -> the visit of the customer's latest interest in the product before ``as_of``."""
    events = rows_before("events", dataset.events, as_of)  # not Dataset.before: it copies the contacts
    interest = events[c.EVENT_TYPE].isin(INTEREST_EVENTS) & events[c.CUSTOMER_ID].notna()
    events = events.loc[interest, [c.CUSTOMER_ID, c.SKU, c.OCCURRED_AT, c.SESSION_ID]]  # the columns read
    latest = events.sort_values(c.OCCURRED_AT, kind="stable").drop_duplicates(
        [c.CUSTOMER_ID, c.SKU], keep="last"
    )
    keys = zip(latest[c.CUSTOMER_ID].astype(str), latest[c.SKU].astype(str), strict=True)
    return dict(zip(keys, latest[c.SESSION_ID].astype(str), strict=True))


def _array(values: Sequence[float | None], age: float) -> np.ndarray:
    # One C pass per request instead of a Python loop: a float array reads None as NaN, and NaN + age is NaN.
    return np.array(values, dtype=np.float64) + age


def purchases_from(
    stored: Mapping[str, Any] | None,
    catalogue: Catalogue,
    age_days: float,
    events: Sequence[Mapping[str, Any]] = (),
    event_age_days: Sequence[float] = (),
) -> Purchases | None:
    """The history as of now: the stored one aged by ``age_days``, merged with the product views, cart and
    wish-list adds of ``events`` received since it was stored (newest first, each ``event_age_days`` old),
    as :meth:`CustomerHistory.build` would have counted them: latest view, carted or wished if ever, one
    more visit per new session."""
    if stored is None:
        return None
    items = catalogue.positions(stored["items"])
    known = items >= 0
    views = _stored_views(stored, age_days)
    for event, age in zip(events, event_age_days, strict=True):
        kind, sku = event.get("type"), event.get("sku")
        if kind not in INTEREST or not sku or age >= age_days:  # older events are in the stored history
            continue
        day = float(np.floor(age))  # whole days, as the batch history counts them
        seen = views.setdefault(str(sku), [day, False, False, 0.0, set(), None])
        seen[0] = min(seen[0], day)
        seen[1] = seen[1] or kind in CART_EVENTS
        seen[2] = seen[2] or kind == WISHLIST
        if event.get("session_id") != seen[5]:
            seen[4].add(event.get("session_id"))
    latest = sorted(views.items(), key=lambda kv: kv[1][0])
    view_idx = catalogue.positions([sku for sku, _ in latest])
    keep = np.flatnonzero(view_idx >= 0)[:MAX_VIEWED]
    rows = [latest[i][1] for i in keep]
    return Purchases(
        items=items[known],
        days=_array(stored["days"], 0.0)[known],
        days_since=_array(stored["days_since"], age_days)[known],
        gap=_array(stored["gap"], 0.0)[known],
        viewed=view_idx[keep],
        viewed_days_since=np.array([r[0] for r in rows], dtype=np.float64),
        carted=np.array([r[1] for r in rows], dtype=bool),
        region=str(stored["region"]),
        orders=float(stored["orders"]),
        days_since_last=_number(stored["days_since_last"], age_days),
        days_since_first=_number(stored["days_since_first"], age_days),
        view_sessions=np.array([r[3] + len(r[4]) for r in rows], dtype=np.float64),
        wishlisted=np.array([r[2] for r in rows], dtype=bool),
    )


def _stored_views(stored: Mapping[str, Any], age_days: float) -> dict[str, list[Any]]:
    """sku -> [days since last seen, carted, wished, stored visits, new visits' ids, last stored visit]."""
    n = len(stored["viewed"])
    ages = _array(stored["viewed_days_since"], age_days)
    sessions = stored.get("view_sessions") or [1.0] * n  # records written before visits were counted
    wished = stored.get("wishlisted") or [False] * n
    last = stored.get("view_last_session") or [None] * n
    columns = zip(stored["viewed"], ages, stored["carted"], wished, sessions, last, strict=True)
    return {
        sku: [float(age), bool(cart), bool(wish), float(visits), set(), session]
        for sku, age, cart, wish, visits, session in columns
    }


@dataclass(frozen=True)
class BatchEvent:
    """An event row of the ``events`` table, as the store keeps it (a ``StoredEvent``)."""

    event_id: str
    visitor_id: str
    customer_id: str | None
    timestamp: float
    body: dict[str, Any]


EVENT_FIELDS = (c.EVENT_ID, c.OCCURRED_AT, c.VISITOR_ID, c.CUSTOMER_ID, c.SESSION_ID, c.EVENT_TYPE, c.SKU)
EVENT_FIELDS += (c.DEVICE, c.SOURCE)


def recent_events(dataset: Dataset, as_of: pd.Timestamp, days: int = 30) -> list[BatchEvent]:
    """The events of the ``days`` before ``as_of``, so real-time features start where the batch ends."""
    events = rows_before("events", dataset.events, as_of)  # not Dataset.before: it copies the contacts
    events = events[events[c.OCCURRED_AT] >= as_of - pd.Timedelta(days=days)]
    frame = events[list(EVENT_FIELDS)].astype(object).where(events[list(EVENT_FIELDS)].notna(), None)
    times = events[c.OCCURRED_AT]
    seconds = (times - pd.Timestamp(0)).dt.total_seconds().to_numpy()
    iso = times.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()
    out = []
    for row, ts, when in zip(frame.itertuples(index=False, name=None), seconds, iso, strict=True):
        body = dict(zip(EVENT_FIELDS, row, strict=True))
        body[c.OCCURRED_AT] = when
        out.append(BatchEvent(body[c.EVENT_ID], body[c.VISITOR_ID], body[c.CUSTOMER_ID], float(ts), body))
    return out


def recent_contacts(dataset: Dataset, as_of: pd.Timestamp, days: int = 7) -> dict[str, list[str]]:
    """When each customer was contacted in the ``days`` before ``as_of``: the contact-pressure window."""
    # sends only: the outcomes Dataset.before blanks (in a copy of every contact) are not read
    contacts = rows_before("contacts", dataset.contacts, as_of)
    recent = contacts[contacts[c.SENT_AT] >= as_of - pd.Timedelta(days=days)]
    sent = recent[c.SENT_AT].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return sent.groupby(recent[c.CUSTOMER_ID]).agg(list).to_dict()
