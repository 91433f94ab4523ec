"""Intent vectors of every visitor at once, from the ``events`` table: the numbers of
:func:`~features.intent.realtime.vector_of`, computed with whole-table array operations.

Calling ``vector_of`` once per visitor cost most of the intent pipeline (hundreds of thousands of
calls); here each feature is one pass over all rows. Every rule is the real-time one restated per
visitor (the parity tests compare the two on synthetic and random event sequences):

- a visitor's events are oldest first (age decreasing), so each window is a suffix and "the latest
  event of a kind" is the one of smallest age;
- a product is open when its latest addition is not followed by a clearing (at an equal age too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features.arrays import arrow_keys, positions
from features.intent import names as f
from features.intent.layout import (
    ADD_TO_CART,
    COUNTED_AT,
    CUSTOMER_AT,
    DEVICE_AT,
    EVENTS_AT,
    LOOKBACK_US,
    MISSING_BY_DEFAULT,
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

_I = f.FEATURE_INDEX
_INT64_MAX = np.iinfo(np.int64).max


def lookback_events(events: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
    """Events in [as_of - lookback, as_of), by visitor id then oldest first (ties in table order), and
    their ages in microseconds (the rows without their times: the ages say them)."""
    now = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "us")
    times = events[c.OCCURRED_AT].to_numpy()
    age = (now - times.astype("datetime64[us]")).astype(np.int64)
    inside = np.flatnonzero((age > 0) & (age <= LOOKBACK_US))
    # The order of two stable sorts (by time, then by visitor id, missing ids last), found on the keys
    # and taken in one copy of the rows: each sort of the frame copied every column (~0.2 GB a cutoff at
    # 100k customers, where the intent pipeline peaks).
    codes, uniques = pd.factorize(events[c.VISITOR_ID].iloc[inside], sort=True)
    visitor = np.where(codes >= 0, codes, len(uniques))
    order = inside[np.lexsort((times[inside].view(np.int64), visitor))]
    return events.drop(columns=[c.OCCURRED_AT]).take(order), age[order]


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a text column and the texts they stand for; -1 where empty (missing or "")."""
    codes, uniques = pd.factorize(values)
    texts = np.asarray(uniques, dtype=object)
    blank = np.flatnonzero(texts == "")
    if blank.size:
        codes = np.where(np.isin(codes, blank), -1, codes)
    return codes.astype(np.int64), texts


def vocabulary_codes(values: pd.Series, code: dict[str, int]) -> np.ndarray:
    """``values.map(code)``, -1 where absent, by Arrow's hash join (mapping text through pandas was a
    tenth of the intent cost); ``code`` numbers its keys 0, 1, 2... in order."""
    return positions(values, arrow_keys(np.array(list(code), dtype=object)))


@dataclass(frozen=True)
class VisitorRows:
    """The lookback's rows, grouped by visitor: ``visitor`` (0..n-1) per row, first and end row per
    visitor."""

    visitor: np.ndarray
    first: np.ndarray
    end: np.ndarray

    @property
    def count(self) -> int:
        return int(self.first.size)

    def per_visitor(self, mask: np.ndarray) -> np.ndarray:
        """Rows where ``mask`` holds, counted per visitor."""
        return np.bincount(self.visitor[mask], minlength=self.count)

    def smallest(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Smallest of ``values`` per visitor over rows where ``mask`` holds (int64 max where none)."""
        out = np.full(self.count, _INT64_MAX, dtype=np.int64)
        np.minimum.at(out, self.visitor[mask], values[mask])
        return out


def group_rows(ids: np.ndarray) -> VisitorRows:
    bounds = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    first, end = np.r_[0, bounds].astype(np.int64), np.r_[bounds, ids.size].astype(np.int64)
    return VisitorRows(np.repeat(np.arange(first.size), end - first), first, end)


def _latest_per_product(
    rows: VisitorRows, products: np.ndarray, age: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """(visitor * products + product) keys of the rows in ``mask`` with a product, and each key's
    smallest age (its latest occurrence), keys ascending."""
    span = int(products.max()) + 1 if products.size else 1
    keep = mask & (products >= 0)
    keys = rows.visitor[keep].astype(np.int64) * span + products[keep]
    unique, inverse = np.unique(keys, return_inverse=True)
    smallest = np.full(unique.size, _INT64_MAX, dtype=np.int64)
    np.minimum.at(smallest, inverse, age[keep])
    return unique, smallest, span


def _open_counts(
    rows: VisitorRows, kind: np.ndarray, products: np.ndarray, age: np.ndarray, added_by: int
) -> np.ndarray:
    """Per visitor, :func:`~features.intent.realtime.open_items` of ``added_by``, counted."""
    clearing = REMOVE_FROM_CART if added_by == ADD_TO_CART else ADD_TO_CART
    adds, add_age, span = _latest_per_product(rows, products, age, kind == added_by)
    clears, clear_age, _ = _latest_per_product(rows, products, age, kind == clearing)
    still = np.ones(adds.size, dtype=bool)
    if clears.size:
        at = np.minimum(np.searchsorted(clears, adds), clears.size - 1)
        still = ~((clears[at] == adds) & (clear_age[at] <= add_age))
    owner = adds // span
    if added_by == ADD_TO_CART:
        # a purchase event (with or without a product) at or after the addition empties the cart
        last_purchase = rows.smallest(age, kind == PURCHASE)
        still &= ~(last_purchase[owner] <= add_age)
    return np.bincount(owner[still], minlength=rows.count)


def intent_matrix(
    frame: pd.DataFrame, age: np.ndarray, customer_features: pd.DataFrame
) -> tuple[list[str], list[str | None], np.ndarray]:
    """Visitor ids, customer ids (the latest on their events, None if none) and intent vectors of the
    visitors of ``frame`` (from :func:`lookback_events`); ``customer_features`` gives the inputs of
    known customers (missing for a customer absent from it)."""
    # Visitors by integer code (Arrow hashes the ids), not a Python string per row (~80 MB a cutoff at
    # 100k customers): the rows come grouped by visitor id, which is never missing.
    ids, _ = pd.factorize(frame[c.VISITOR_ID])
    out = np.tile(np.where(MISSING_BY_DEFAULT, np.nan, 0.0), (0, 1))
    if ids.size == 0:
        return [], [], out
    rows = group_rows(ids)
    out = np.tile(np.where(MISSING_BY_DEFAULT, np.nan, 0.0), (rows.count, 1))
    kind = vocabulary_codes(frame[c.EVENT_TYPE], f.EVENT_CODE)
    devices = vocabulary_codes(frame[c.DEVICE], f.DEVICE_CODE)
    products, _ = text_codes(frame[c.SKU])
    customer_codes, customer_texts = text_codes(frame[c.CUSTOMER_ID])
    source_codes, source_texts = text_codes(frame[c.SOURCE])
    last = rows.end - 1
    # Visits: a gap of more than 30 minutes starts a new one.
    new_visit = np.ones(ids.size, dtype=bool)
    np.greater(age[:-1] - age[1:], SESSION_GAP_US, out=new_visit[1:])
    new_visit[rows.first] = True
    visit_first = np.flatnonzero(new_visit)
    visit_last = np.r_[visit_first[1:] - 1, ids.size - 1]
    visit_owner = rows.visitor[visit_first]
    visits = np.bincount(visit_owner, minlength=rows.count)
    first_seen = _latest_per_product(rows, products, age, np.ones(ids.size, dtype=bool))
    product_keys, product_age, product_span = first_seen
    for w, window in enumerate(WINDOWS_US.tolist()):
        recent = age <= window
        out[:, EVENTS_AT[w]] = rows.per_visitor(recent)
        out[:, SESSIONS_AT[w]] = np.bincount(visit_owner[age[visit_last] <= window], minlength=rows.count)
        out[:, PRODUCTS_AT[w]] = np.bincount(
            product_keys[product_age <= window] // product_span, minlength=rows.count
        )
        for code, at in COUNTED_AT:
            out[:, at[w]] = rows.per_visitor(recent & (kind == code))
    for code, at in SINCE_AT:
        newest = rows.smallest(age, kind == code)
        seen = newest != _INT64_MAX
        out[seen, at] = newest[seen] / US_PER_HOUR
    out[:, _I[f.HOURS_SINCE_LAST_EVENT]] = age[last] / US_PER_HOUR
    out[:, _I[f.HOURS_SINCE_FIRST_EVENT]] = age[rows.first] / US_PER_HOUR
    out[:, _I[f.OPEN_CART_ITEMS]] = _open_counts(rows, kind, products, age, ADD_TO_CART)
    out[:, _I[f.OPEN_WISHLIST_ITEMS]] = _open_counts(rows, kind, products, age, WISHLIST_ADD)
    last_visit_first = np.zeros(rows.count, dtype=np.int64)
    np.maximum.at(last_visit_first, visit_owner, visit_first)
    out[:, _I[f.LAST_SESSION_EVENTS]] = rows.end - last_visit_first
    out[:, _I[f.RETURNING_VISITOR]] = (visits > 1).astype(np.float64)
    device = devices[last]
    has_device = device >= 0
    out[np.flatnonzero(has_device), np.asarray(DEVICE_AT, dtype=np.int64)[device[has_device]]] = 1.0
    source = source_codes[last]
    source_at = np.array(
        [SOURCE_AT[text if text in f.SOURCE_CODE else "other"] for text in source_texts.tolist()] + [0],
        dtype=np.int64,
    )
    out[np.arange(rows.count), np.where(source >= 0, source_at[source], SOURCE_AT["none"])] = 1.0
    # The customer: the latest customer id on the visitor's events.
    known_row = np.full(rows.count, -1, dtype=np.int64)
    logged = customer_codes >= 0
    np.maximum.at(known_row, rows.visitor[logged], np.flatnonzero(logged))
    known = known_row >= 0
    customer_of = np.full(rows.count, -1, dtype=np.int64)
    customer_of[known] = customer_codes[known_row[known]]
    out[:, _I[f.KNOWN_CUSTOMER]] = known.astype(np.float64)
    _customer_inputs(out, known, customer_texts, customer_of, customer_features)
    customers = [str(customer_texts[code]) if code >= 0 else None for code in customer_of.tolist()]
    return [str(v) for v in frame[c.VISITOR_ID].iloc[rows.first].tolist()], customers, out


def _customer_inputs(
    out: np.ndarray,
    known: np.ndarray,
    texts: np.ndarray,
    customer_of: np.ndarray,
    customer_features: pd.DataFrame,
) -> None:
    """Fill the known visitors' customer inputs (missing when their customer has no features)."""
    values = customer_features[list(f.CUSTOMER_INPUTS)].astype("float64").to_numpy()
    ids = customer_features[c.CUSTOMER_ID]
    # Of repeated ids, the last row counts (as in :func:`~features.intent.batch.customer_inputs`).
    latest = ~ids.duplicated(keep="last").to_numpy()
    index = pd.Index(ids[latest].astype(object))
    # one more entry, -1, for the visitors without a customer (code -1)
    row_of_text = np.append(index.get_indexer(pd.Index(texts.astype(object))), -1)
    rows = row_of_text[customer_of]
    found = rows >= 0
    columns = [at for _, at in CUSTOMER_AT]
    block = np.full((out.shape[0], len(columns)), np.nan)
    block[found] = values[latest][rows[found]]
    out[np.ix_(np.flatnonzero(known), columns)] = block[known]
