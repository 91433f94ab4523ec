"""Intent labels: did the visitor buy in [T, T + horizon)? A ``purchase`` event by the visitor, or an
order (not a return) by the customer they are known as at T, on any channel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.intent.names import HORIZON_DAYS

LABEL = "purchased"


def purchase_labels(
    dataset: Dataset, rows: pd.DataFrame, cutoff: pd.Timestamp, horizon_days: int = HORIZON_DAYS
) -> np.ndarray:
    """1 for each row (visitor_id, customer_id at ``cutoff``) that bought within the horizon, else 0."""
    end = cutoff + pd.Timedelta(days=horizon_days)
    events = dataset.events
    in_window = (events[c.OCCURRED_AT] >= cutoff) & (events[c.OCCURRED_AT] < end)
    buying_visitors = set(events.loc[in_window & (events[c.EVENT_TYPE] == "purchase"), c.VISITOR_ID])
    orders = dataset.orders
    ordered = (orders[c.ORDERED_AT] >= cutoff) & (orders[c.ORDERED_AT] < end) & (orders[c.QUANTITY] > 0)
    buying_customers = set(orders.loc[ordered, c.CUSTOMER_ID])
    by_visitor = rows[c.VISITOR_ID].isin(buying_visitors).to_numpy()
    by_customer = rows[c.CUSTOMER_ID].isin(buying_customers).to_numpy()
    return (by_visitor | by_customer).astype(np.int64)
