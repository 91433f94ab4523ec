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
    lines = pd.DataFrame(
        {
            "order": orders[c.ORDER_ID].to_numpy()[known],
            "customer": codes[known],
            "time": as_datetime(orders[c.ORDERED_AT])[known],
            "channel": orders[c.CHANNEL].to_numpy()[known],
            "amount": line_amounts(orders)[known],
            "bought": (orders[c.QUANTITY].to_numpy() > 0)[known],
            "discounted": (orders[c.DISCOUNT].to_numpy() > 0)[known],
        }
    )
    per_order = lines.groupby("order", sort=False).agg(
        customer=("customer", "first"),
        time=("time", "first"),
        channel=("channel", "first"),
        amount=("amount", "sum"),
        is_purchase=("bought", "any"),
        discounted=("discounted", "any"),
    )
    per_order = per_order.sort_values(["customer", "time"], kind="stable")
    return OrderSummary(
        customer=per_order["customer"].to_numpy(dtype=np.int64),
        time=per_order["time"].to_numpy(dtype="datetime64[us]"),
        channel=per_order["channel"].to_numpy(dtype=object),
        amount=per_order["amount"].to_numpy(dtype=np.float64),
        is_purchase=per_order["is_purchase"].to_numpy(dtype=bool),
        discounted=per_order["discounted"].to_numpy(dtype=bool),
    )
