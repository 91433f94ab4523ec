"""The time split: candidates and features from rows before a cutoff, labels from the window after it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.recommend.catalogue import Catalogue
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
    o = dataset.orders
    o = o[
        (o[c.ORDERED_AT] >= start) & (o[c.ORDERED_AT] < end) & (o[c.QUANTITY] > 0) & o[c.CUSTOMER_ID].notna()
    ]
    item = catalogue.index_of(o[c.SKU].to_numpy(dtype=str))
    ids = o[c.CUSTOMER_ID].to_numpy(dtype=str)
    pos = np.searchsorted(history.customer_ids, ids).clip(0, max(len(history.customer_ids) - 1, 0))
    known = (item >= 0) & (len(history.customer_ids) > 0)
    known &= history.customer_ids[pos] == ids if len(history.customer_ids) else known
    known &= catalogue.is_product[np.maximum(item, 0)]
    pairs = pd.DataFrame({"cust": pos[known], "item": item[known]}).drop_duplicates()
    pairs = pairs[history.orders[pairs["cust"].to_numpy()] > 0]
    grouped = pairs.groupby("cust", sort=True)["item"]
    return Labels(
        customers=np.array(list(grouped.groups), dtype=np.int64),
        items=[g.to_numpy(dtype=np.int64) for _, g in grouped],
    )
