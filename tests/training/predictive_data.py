"""Shared by the predictive tests: a small, fast configuration and "loud" future rows.

Loud rows are what a leak would show at once: huge orders exactly at the cutoff and after it, carts,
and outcomes (opens, conversions) of past contacts that only happen after it.
"""

from __future__ import annotations

import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.schema import TIME_COLUMN
from training.predictive.config import PredictiveConfig

# Small trees and one thread: the whole predictive test set stays well under two minutes on 2 cores.
FAST = PredictiveConfig(
    lightgbm={"n_estimators": 60, "num_leaves": 15, "min_child_samples": 20},
    value_horizon_days=120,
    n_jobs=1,
    shap_sample=300,
)


def truncated(dataset: Dataset, cutoff: pd.Timestamp) -> Dataset:
    """The data as a snapshot taken at ``cutoff`` held them, written without ``Dataset.before``."""
    frames = {}
    for name, frame in dataset.frames().items():
        if name in TIME_COLUMN:
            frame = frame[frame[TIME_COLUMN[name]] < cutoff]
        frames[name] = frame.copy()
    contacts = frames["contacts"]
    for col in (c.OPENED_AT, c.CLICKED_AT):
        contacts[col] = contacts[col].where(contacts[col] < cutoff)
    converted = contacts[c.CONVERTED_ORDER_ID]
    contacts[c.CONVERTED_ORDER_ID] = converted.where(converted.isin(frames["orders"][c.ORDER_ID]))
    return Dataset.from_frames(frames)


def with_loud_future(dataset: Dataset, cutoff: pd.Timestamp, customers: int = 400) -> Dataset:
    """``dataset`` plus, for its first ``customers`` customers, a EUR 25,000 order exactly at ``cutoff``
    and another ten days later, a cart at the cutoff, and a contact sent the day before the cutoff that
    is opened, clicked and converted after it."""
    frames = {name: frame.copy() for name, frame in dataset.frames().items()}
    ids = frames["customers"][c.CUSTOMER_ID].head(customers).tolist()
    sku = frames["products"][c.SKU].iloc[0]
    orders = [
        {
            c.ORDER_ID: f"LOUD{k}-{i}",
            c.CUSTOMER_ID: cid,
            c.ORDERED_AT: when,
            c.CHANNEL: "web",
            c.SKU: sku,
            c.QUANTITY: 50,
            c.UNIT_PRICE: 500.0,
            c.DISCOUNT: 0.0,
            c.CAMPAIGN_ID: None,
        }
        for i, cid in enumerate(ids)
        for k, when in enumerate((cutoff, cutoff + pd.Timedelta(days=10)))
    ]
    events = [
        {
            c.EVENT_ID: f"LOUDE{i}",
            c.OCCURRED_AT: cutoff,
            c.VISITOR_ID: f"LOUDV{i}",
            c.CUSTOMER_ID: cid,
            c.SESSION_ID: f"LOUDS{i}",
            c.EVENT_TYPE: "add_to_cart",
            c.SKU: sku,
            c.DEVICE: "mobile",
            c.SOURCE: None,
        }
        for i, cid in enumerate(ids)
    ]
    contacts = [
        {
            c.CONTACT_ID: f"LOUDK{i}",
            c.CUSTOMER_ID: cid,
            c.CAMPAIGN_ID: "LOUD",
            c.OFFER_ID: None,
            c.CHANNEL: "email",
            c.SENT_AT: cutoff - pd.Timedelta(days=1),
            c.OPENED_AT: cutoff + pd.Timedelta(hours=1),
            c.CLICKED_AT: cutoff + pd.Timedelta(hours=2),
            c.CONVERTED_ORDER_ID: f"LOUD0-{i}",
        }
        for i, cid in enumerate(ids)
    ]
    for name, rows in (("orders", orders), ("events", events), ("contacts", contacts)):
        frames[name] = pd.concat([frames[name], pd.DataFrame(rows)], ignore_index=True)
    return Dataset.from_frames(frames)
