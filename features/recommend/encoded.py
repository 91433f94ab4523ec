"""The orders and web events of a data set as integer codes against a catalogue, encoded once per data set.

Training fits the recommender's aggregates and histories at eight cutoffs of the same data: turning the
text columns (skus, customer, order and session ids) into numbers dominated each fit. Here they are
turned once, and a cutoff is a mask over timestamps, which selects exactly the rows ``Dataset.before``
keeps (stamped strictly before it), in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.memory import give_back
from features.recommend.catalogue import Catalogue

DAY = pd.Timedelta(days=1)
# Web events that show interest in a product (kept here so history and aggregates read one list).
INTEREST_EVENTS: tuple[str, ...] = ("product_view", "add_to_cart", "wishlist_add")


@dataclass(frozen=True)
class Encoded:
    customer_ids: np.ndarray  # sorted str: every id of the customers, orders and events tables
    created_at: np.ndarray  # per customer code: the customers row's creation (NaT when it has none)
    region_names: np.ndarray  # sorted str, "" included: the regions of the customers table
    region: np.ndarray  # per customer code: index into region_names ("" when none)
    # orders, in the table's row order
    ordered_at: np.ndarray
    quantity: np.ndarray
    order_item: np.ndarray  # catalogue index, -1 when the sku is not in it
    order_customer: np.ndarray  # customer code, -1 for a guest order
    order_code: np.ndarray  # code of the order id
    buyer: np.ndarray  # code of the customer, or of the order for a guest order
    # web events, in the table's row order
    occurred_at: np.ndarray
    interest: np.ndarray  # bool: one of INTEREST_EVENTS
    carted: np.ndarray  # bool: not a plain product view
    wished: np.ndarray  # bool: a wish-list addition
    event_item: np.ndarray
    event_customer: np.ndarray
    session: np.ndarray  # code of the session id
    latest_first: np.ndarray  # event positions by time, latest first (ties in row order)

    def order_rows(self, as_of: pd.Timestamp) -> np.ndarray:
        return self.ordered_at < np.datetime64(pd.Timestamp(as_of))

    def event_rows(self, as_of: pd.Timestamp) -> np.ndarray:
        return self.occurred_at < np.datetime64(pd.Timestamp(as_of))

    def customer_region(self, rows: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
        """Region index of each customer code in ``rows`` as of ``as_of``: "" for guests (-1) and for
        customers not yet created then, as a lookup in ``Dataset.before(as_of).customers`` gives."""
        empty = int(np.searchsorted(self.region_names, ""))
        known = (rows >= 0) & (self.created_at[np.maximum(rows, 0)] < np.datetime64(pd.Timestamp(as_of)))
        return np.where(known, self.region[np.maximum(rows, 0)], empty)


def days_before(as_of: pd.Timestamp, stamps: np.ndarray) -> np.ndarray:
    """Days from each stamp to ``as_of``, computed as pandas does on the table's column (same floats)."""
    return ((pd.Timestamp(as_of) - pd.Series(stamps, copy=False)) / DAY).to_numpy(dtype=np.float64)


def _per_value(values: pd.Series, lookup: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``lookup`` of each value's text (a numpy str array in, one answer each out), -1 for a missing
    value, as int32; looked up once per distinct value: millions of rows as numpy text cost 4 bytes per
    character of the longest, on every row (the session ids of 25,000 customers' events: ~270 MB)."""
    codes, uniques = pd.factorize(values)
    # the answers with -1 last: a missing value's code (-1) reads it, in one gather and no int64 copies
    found = np.append(np.asarray(lookup(np.asarray(uniques, dtype=str)), dtype=np.int64), -1)
    return found.astype(np.int32)[codes]


def _codes(ids: pd.Series, vocabulary: np.ndarray) -> np.ndarray:
    """Position of each id in the sorted ``vocabulary`` (which holds them all), -1 for a missing id."""
    if not len(vocabulary):
        return np.where(ids.notna().to_numpy(), 0, -1).astype(np.int32)
    return _per_value(ids, lambda text: np.searchsorted(vocabulary, text))


def _first_seen(values: pd.Series) -> np.ndarray:
    """Codes in order of first appearance, a missing value one code too (as its text "nan" had)."""
    return pd.factorize(values, use_na_sentinel=False)[0].astype(np.int32)


def _latest_first(stamps: np.ndarray) -> np.ndarray:
    """Positions of ``stamps`` latest first, ties in row order (missing last, as pandas sorts them)."""
    if np.isnat(stamps).any():
        series = pd.Series(stamps, copy=False).reset_index(drop=True)
        return series.sort_values(ascending=False, kind="stable").index.to_numpy(dtype=np.int64)
    # a stable ascending sort of the reversed array, reversed: descending with ties in row order, without
    # the copies a pandas sort makes of millions of stamps (the positions turned around in place)
    order = np.argsort(stamps[::-1], kind="stable")
    np.subtract(len(stamps) - 1, order, out=order)
    return order[::-1]


def _encode(dataset: Dataset, catalogue: Catalogue, release: bool) -> Encoded:
    customers = dataset.customers
    # distinct, then text; missing dropped from the distinct values, not from a copy of millions of rows
    known = [frame[c.CUSTOMER_ID].unique().dropna() for frame in (dataset.orders, dataset.events)]
    listed_ids = customers[c.CUSTOMER_ID].dropna().to_numpy(dtype=str)
    customer_ids = np.unique(np.concatenate([listed_ids, *(np.asarray(ids, dtype=str) for ids in known)]))
    del known
    listed = np.searchsorted(customer_ids, listed_ids)
    created_at = np.full(len(customer_ids), np.datetime64("NaT"), dtype="datetime64[us]")
    created_at[listed] = customers[c.CREATED_AT].to_numpy(dtype="datetime64[us]")
    region_text = customers[c.REGION].fillna("").to_numpy(dtype=str)
    region_names = np.unique(np.concatenate([region_text, np.array([""])]))
    region = np.full(len(customer_ids), int(np.searchsorted(region_names, "")), dtype=np.int32)
    region[listed] = np.searchsorted(region_names, region_text)
    # the events first: their frame (~0.5 GB at 100,000 customers, the orders' ~0.2 GB) goes column by
    # column while they are encoded, so the orders' codes are made beside the smaller frame only
    by_event = _encode_events(dataset, catalogue, customer_ids, release)
    by_order = _encode_orders(dataset, catalogue, customer_ids, release)
    return Encoded(
        customer_ids=customer_ids,
        created_at=created_at,
        region_names=region_names,
        region=region,
        **by_order,
        **by_event,
    )


def _encode_orders(
    dataset: Dataset, catalogue: Catalogue, customer_ids: np.ndarray, release: bool
) -> dict[str, np.ndarray]:
    orders = dataset.orders
    # a guest order stands for its own buyer: it still says which items go together
    # (its key made for the guest rows only: "order:" before every order id made two text columns of
    # millions of rows, ~180 MB at 100,000 customers)
    guest = orders[c.CUSTOMER_ID].isna()
    buyer_key = orders[c.CUSTOMER_ID].mask(guest, "order:" + orders[c.ORDER_ID][guest])
    del guest
    by_order = {
        "ordered_at": orders[c.ORDERED_AT].to_numpy(dtype="datetime64[us]"),
        "quantity": orders[c.QUANTITY].to_numpy(),
        "order_item": _per_value(orders[c.SKU], catalogue.index_of),
        "order_customer": _codes(orders[c.CUSTOMER_ID], customer_ids),
        "order_code": _first_seen(orders[c.ORDER_ID]),
        "buyer": _first_seen(buyer_key),
    }
    del buyer_key, orders
    if release:
        dataset.release("orders")
        give_back()  # its text sits in Arrow's pool, which the NumPy arrays that follow cannot reuse
    return by_order


def _encode_events(
    dataset: Dataset, catalogue: Catalogue, customer_ids: np.ndarray, release: bool
) -> dict[str, np.ndarray]:
    events = dataset.events
    # each column the events are encoded from, let go of once encoded when the caller alone holds the data
    # set: the frame's text goes while the codes are made, not after
    columns = {name: events[name] for name in (c.EVENT_TYPE, c.SKU, c.CUSTOMER_ID, c.SESSION_ID)}
    occurred_at = events[c.OCCURRED_AT].to_numpy(dtype="datetime64[us]")
    del events
    if release:
        dataset.release("events")

    def encode(name: str, how: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
        codes = how(columns.pop(name))
        if release:
            give_back()
        return codes

    def kinds(kind: pd.Series) -> np.ndarray:
        return np.stack(
            [
                kind.isin(INTEREST_EVENTS).to_numpy(dtype=bool),
                (kind != "product_view").to_numpy(dtype=bool),
                (kind == "wishlist_add").to_numpy(dtype=bool),
            ]
        )

    interest, carted, wished = encode(c.EVENT_TYPE, kinds)
    return {
        "occurred_at": occurred_at,
        "interest": interest,
        "carted": carted,
        "wished": wished,
        "event_item": encode(c.SKU, lambda sku: _per_value(sku, catalogue.index_of)),
        "event_customer": encode(c.CUSTOMER_ID, lambda ids: _codes(ids, customer_ids)),
        "session": encode(c.SESSION_ID, _first_seen),
        "latest_first": _latest_first(occurred_at),
    }


def encoded(dataset: Dataset, catalogue: Catalogue, release: bool = False) -> Encoded:
    """The data set's encoding against ``catalogue``, computed on the first call only.

    ``release``: the caller alone holds ``dataset`` and reads its orders and events only as encoded here
    (``train all``'s recommender): each frame is released (:meth:`Dataset.release`) once encoded."""
    key = ("recommend.encoded", catalogue.skus.tobytes())
    return dataset.shared(key, lambda: _encode(dataset, catalogue, release))
