"""Products still in a customer's cart or on their wishlist: the latest addition of each (customer,
product) since a date, not followed by a clearing (a removal, a purchase event, an order line of it).

Works on integer (customer, product) keys with sorts and binary searches: grouping a frame on two
columns per call cost more than the rest of the web features together. Only rows at or after the
earliest date asked for are read: an addition before it is not open, whatever its key's later history,
and a clearing before it cannot follow an addition that is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from features import columns as c
from features.arrays import arrow_keys
from features.customer_features.grouping import CustomerIndex, as_datetime


@dataclass(frozen=True)
class Acts:
    """Events of known customers on a product, and order lines bought by customers of the index, since
    a date, keyed by ``customer * products + product`` (a product code shared by events and orders)."""

    event_keys: np.ndarray
    event_times: np.ndarray  # int64 microseconds
    event_kinds: np.ndarray  # positions in the caller's kind vocabulary
    order_keys: np.ndarray
    order_times: np.ndarray
    products: int


def _text(values: pd.Series) -> pa.Array:
    return arrow_keys(values).cast(pa.large_string())


def acts_of(
    events: pd.DataFrame,
    codes: np.ndarray,
    kinds: np.ndarray,
    orders: pd.DataFrame,
    index: CustomerIndex,
    since: np.datetime64,
    read: tuple[int, ...],
) -> Acts:
    """The events of kinds ``read`` and the order lines at or after ``since``."""
    since_us = since.astype("datetime64[us]").astype(np.int64)
    event_times = as_datetime(events[c.OCCURRED_AT]).astype(np.int64)
    keep = (codes >= 0) & (event_times >= since_us) & np.isin(kinds, read)
    keep &= events[c.SKU].notna().to_numpy()
    order_codes = index.codes(orders[c.CUSTOMER_ID])
    order_times = as_datetime(orders[c.ORDERED_AT]).astype(np.int64)
    bought = (order_codes >= 0) & (orders[c.QUANTITY].to_numpy() > 0) & (order_times >= since_us)
    event_skus, order_skus = events[c.SKU][keep], orders[c.SKU][bought]
    # One dictionary over both tables' products, so their codes agree; an empty order SKU gets -1 and
    # clears nothing (no addition is of an empty SKU).
    both = pa.chunked_array([_text(event_skus), _text(order_skus)], type=pa.large_string())
    encoded = both.combine_chunks().dictionary_encode()
    sku_codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    products = max(len(encoded.dictionary), 1)
    event_sku, order_sku = sku_codes[: len(event_skus)], sku_codes[len(event_skus) :]
    order_valid = order_sku >= 0
    return Acts(
        event_keys=codes[keep].astype(np.int64) * products + event_sku,
        event_times=event_times[keep],
        event_kinds=kinds[keep],
        order_keys=(order_codes[bought].astype(np.int64) * products + order_sku)[order_valid],
        order_times=order_times[bought][order_valid],
        products=products,
    )


def _latest(keys: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key (ascending) with its greatest time."""
    order = np.lexsort((times, keys))
    keys, times = keys[order], times[order]
    last = np.ones(keys.size, dtype=bool)
    last[:-1] = keys[1:] != keys[:-1]
    return keys[last], times[last]


def open_items(
    acts: Acts, index: CustomerIndex, added_by: int, cleared_by: tuple[int, ...], since: np.datetime64
) -> np.ndarray:
    """Per customer, the products added (event kind ``added_by``) at or after ``since`` (not before the
    date of ``acts``) and neither cleared (event kinds ``cleared_by``, or an order line) at or after
    their latest addition."""
    since_us = since.astype("datetime64[us]").astype(np.int64)
    added = (acts.event_kinds == added_by) & (acts.event_times >= since_us)
    add_keys, add_times = _latest(acts.event_keys[added], acts.event_times[added])
    clearing = np.isin(acts.event_kinds, cleared_by) & (acts.event_times >= since_us)
    ordered = acts.order_times >= since_us
    clear_keys, clear_times = _latest(
        np.concatenate([acts.event_keys[clearing], acts.order_keys[ordered]]),
        np.concatenate([acts.event_times[clearing], acts.order_times[ordered]]),
    )
    at = np.searchsorted(clear_keys, add_keys)
    found = at < clear_keys.size
    found[found] = clear_keys[at[found]] == add_keys[found]
    cleared = np.zeros(add_keys.size, dtype=bool)
    cleared[found] = clear_times[at[found]] >= add_times[found]
    return index.count(add_keys[~cleared] // acts.products)
