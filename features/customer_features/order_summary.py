"""Order lines folded into orders, once, for every order-based feature."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features.customer_features.grouping import CustomerIndex, as_datetime
from features.dataset import line_amounts


@dataclass(frozen=True)
class OrderSummary:
    """One entry per order of a known customer, sorted by customer then time.

    A purchase is an order with at least one positive line; a pure return order is not a purchase, but
    its (negative) amount still counts in net spend.
    """

    customer: np.ndarray  # customer code
    time: np.ndarray  # datetime64[us]
    channel: np.ndarray  # channel name
    amount: np.ndarray  # net amount, negative for returns
    is_purchase: np.ndarray
    discounted: np.ndarray  # at least one discounted line


def summarise_orders(orders: pd.DataFrame, index: CustomerIndex) -> OrderSummary:
    codes = index.codes(orders[c.CUSTOMER_ID])
    known = codes >= 0
    # only the columns read below: filtering the text columns not needed was a good part of the cost
    lines = orders[[c.ORDER_ID, c.ORDERED_AT, c.CHANNEL, c.QUANTITY, c.UNIT_PRICE, c.DISCOUNT]][known]
    order_code, order_ids = pd.factorize(lines[c.ORDER_ID], sort=False)
    n_orders = len(order_ids)
    # Every line of an order shares its customer, time and channel (the validator checks it), so any
    # line can stand for its order: the last one written per order code is as good as the first.
    representative = np.empty(n_orders, dtype=np.int64)
    representative[order_code] = np.arange(len(order_code))
    channel_code, channels = pd.factorize(lines[c.CHANNEL], sort=False)
    amounts = line_amounts(lines)
    bought = lines[c.QUANTITY].to_numpy() > 0
    discounted = lines[c.DISCOUNT].to_numpy() > 0
    customer = codes[known][representative]
    time = as_datetime(lines[c.ORDERED_AT])[representative]
    order = np.lexsort((time, customer))
    return OrderSummary(
        customer=customer[order].astype(np.int64),
        time=time[order],
        channel=np.asarray(channels, dtype=object)[channel_code[representative][order]],
        amount=np.bincount(order_code, weights=amounts, minlength=n_orders)[order],
        is_purchase=(np.bincount(order_code, weights=bought, minlength=n_orders) > 0)[order],
        discounted=(np.bincount(order_code, weights=discounted, minlength=n_orders) > 0)[order],
    )
