"""The time split: candidates and features from rows before a cutoff, labels from the window after it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.dataset import Dataset
from features.recommend.catalogue import Catalogue
from features.recommend.encoded import encoded
from features.recommend.history import CustomerHistory


@dataclass(frozen=True)
class Cutoffs:
    """Train the ranker on [train, validation), evaluate on [validation, end)."""

    train: pd.Timestamp
    validation: pd.Timestamp
    end: pd.Timestamp

    @classmethod
    def before(cls, as_of: pd.Timestamp, horizon_days: int) -> Cutoffs:
        horizon = pd.Timedelta(days=horizon_days)
        return cls(train=as_of - 2 * horizon, validation=as_of - horizon, end=as_of)

    @classmethod
    def from_validation(cls, validation: pd.Timestamp, end: pd.Timestamp) -> Cutoffs:
        """A validation window given by its dates; the ranker's window is as long, just before it."""
        return cls(train=validation - (end - validation), validation=validation, end=end)


@dataclass(frozen=True)
class Labels:
    """Products each customer of a history bought in the window: customer positions and item lists."""

    customers: np.ndarray  # positions in the history
    items: list[np.ndarray]


def window_labels(
    dataset: Dataset, history: CustomerHistory, catalogue: Catalogue, start: pd.Timestamp, end: pd.Timestamp
) -> Labels:
    """Products bought in ``[start, end)`` by customers with a purchase before ``start``.

    Customers with no history (or no profiling consent) are left out: they get the same popular answer
    whatever the model, so they would only blur the comparison.
    """
    enc = encoded(dataset, catalogue)
    rows = ~enc.order_rows(start) & enc.order_rows(end) & (enc.quantity > 0) & (enc.order_customer >= 0)
    # history position of each customer code; the extra last slot answers -1 with -1
    position = np.full(len(enc.customer_ids) + 1, -1, dtype=np.int64)
    code = np.searchsorted(enc.customer_ids, history.customer_ids).clip(0, max(len(enc.customer_ids) - 1, 0))
    listed = enc.customer_ids[code] == history.customer_ids if len(enc.customer_ids) else code < 0
    position[code[listed]] = np.flatnonzero(listed)
    pos = position[enc.order_customer[rows]]
    item = enc.order_item[rows].astype(np.int64)
    known = (item >= 0) & (pos >= 0) & catalogue.is_product[np.maximum(item, 0)]
    pairs = pd.DataFrame({"cust": pos[known], "item": item[known]}).drop_duplicates()
    pairs = pairs[history.orders[pairs["cust"].to_numpy()] > 0]
    grouped = pairs.groupby("cust", sort=True)["item"]
    return Labels(
        customers=np.array(list(grouped.groups), dtype=np.int64),
        items=[g.to_numpy(dtype=np.int64) for _, g in grouped],
    )
