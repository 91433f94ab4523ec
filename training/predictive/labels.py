"""What happened after a cutoff: the outcomes the four targets are labelled from.

The label window of a cutoff T and a horizon of H days is [T, T + H): features read the rows strictly
before T (``Dataset.before``), so an order stamped exactly at T is the first thing the window can see,
and the period a score predicts "starts at" T, as the issue puts it. An *order* here is a purchase: an
order with at least one line of positive quantity (a pure return is not an order); spend is the net
amount of every line in the window, returns included. Guest lines (no customer id) are ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import line_amounts

ORDERS_IN_WINDOW = "window_orders"
SPEND_IN_WINDOW = "window_spend"
DAYS_TO_NEXT_ORDER = "days_to_next_order"  # NaN when there is none in the window (censored)
DAY = pd.Timedelta(days=1)


def window_outcomes(
    orders: pd.DataFrame, customer_ids: pd.Series | pd.Index, cutoff: pd.Timestamp, days: float
) -> pd.DataFrame:
    """Per customer of ``customer_ids`` (same order, fresh index): orders, net spend and days from the
    cutoff to the first order, all within [cutoff, cutoff + days)."""
    start, end = pd.Timestamp(cutoff), pd.Timestamp(cutoff) + pd.Timedelta(days=days)
    times = orders[c.ORDERED_AT]
    lines = orders[(times >= start) & (times < end) & orders[c.CUSTOMER_ID].notna()]
    per_order = (
        pd.DataFrame(
            {
                "order": lines[c.ORDER_ID].to_numpy(),
                "customer": lines[c.CUSTOMER_ID].to_numpy(),
                "time": lines[c.ORDERED_AT].to_numpy(),
                "amount": line_amounts(lines),
                "bought": lines[c.QUANTITY].to_numpy() > 0,
            }
        )
        .groupby("order", sort=False)
        .agg(
            customer=("customer", "first"),
            time=("time", "first"),
            amount=("amount", "sum"),
            bought=("bought", "any"),
        )
    )
    purchases = (
        per_order[per_order["bought"]].groupby("customer").agg(n=("time", "size"), first=("time", "min"))
    )
    spend = per_order.groupby("customer")["amount"].sum()
    index = pd.Index(customer_ids)
    first = purchases["first"].reindex(index)
    return pd.DataFrame(
        {
            ORDERS_IN_WINDOW: purchases["n"].reindex(index).fillna(0).to_numpy(dtype=np.float64),
            SPEND_IN_WINDOW: spend.reindex(index).fillna(0.0).to_numpy(dtype=np.float64),
            DAYS_TO_NEXT_ORDER: ((first - start) / DAY).to_numpy(dtype=np.float64),
        }
    )


def churned(outcomes: pd.DataFrame, days: float) -> np.ndarray:
    """1 when the customer placed no order in the window."""
    return (outcomes[ORDERS_IN_WINDOW].to_numpy() == 0).astype(np.float64)


def ordered(outcomes: pd.DataFrame, days: float) -> np.ndarray:
    """1 when the customer placed at least one order in the window."""
    return (outcomes[ORDERS_IN_WINDOW].to_numpy() > 0).astype(np.float64)


def spend(outcomes: pd.DataFrame, days: float) -> np.ndarray:
    """Net spend in the window (negative if returns outweigh purchases)."""
    return outcomes[SPEND_IN_WINDOW].to_numpy(dtype=np.float64)


def days_to_next(outcomes: pd.DataFrame, days: float) -> np.ndarray:
    """Days to the next order, censored at the window's length: min(days to next order, days). Every
    training row has a complete window, so this is observed for all and its mean is the restricted mean
    wait E[min(wait, days)], what the next-order models predict."""
    return np.fmin(outcomes[DAYS_TO_NEXT_ORDER].to_numpy(dtype=np.float64), float(days))
