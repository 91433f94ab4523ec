"""What each training pipeline reads of the data set itself (:mod:`features.reads`), its customer features
aside: those come from the command's engine.

``cible train all`` loads a pipeline's tables and columns only when the engine builds the features from
the files (the partitioned local engine, Dask); tests/training/test_train_all_reads.py trains every
pipeline that way and in memory and compares what they log, so a column read here and not declared fails
there (a frame read in part has no such column), not at a user's.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from features import columns as c
from features.reads import TableReads
from training.intent.rows import rows_since as intent_rows_since

ORDER_AMOUNTS = (c.ORDER_ID, c.CUSTOMER_ID, c.ORDERED_AT, c.QUANTITY, c.UNIT_PRICE, c.DISCOUNT)

SEGMENTS: TableReads = {}
# the labels: orders and spend in each window after a cutoff
PREDICTIVE: TableReads = {"orders": ORDER_AMOUNTS}
# the campaigns' assignments, their outcomes (orders in the window) and margins (products)
UPLIFT: TableReads = {
    "assignments": None,
    "orders": (*ORDER_AMOUNTS, c.SKU),
    "products": None,
}
# sessions from the events, and whether they ended in an order
INTENT: TableReads = {
    "events": (c.OCCURRED_AT, c.VISITOR_ID, c.CUSTOMER_ID, c.EVENT_TYPE, c.SKU, c.DEVICE, c.SOURCE),
    "orders": (c.CUSTOMER_ID, c.ORDERED_AT, c.QUANTITY),
}
# rows older than this, by table, are not read (features built elsewhere)
SINCE: dict[str, Callable[[pd.Timestamp], dict[str, pd.Timestamp]]] = {"intent": intent_rows_since}
# each contact's offer and channel, and whether an order was credited to it
OFFER_RESPONSE: TableReads = {
    "contacts": (c.CUSTOMER_ID, c.OFFER_ID, c.CHANNEL, c.SENT_AT, c.CONVERTED_ORDER_ID),
}
# interactions (orders, events' views and carts), the catalogue, and who may be profiled
RECOMMENDER: TableReads = {
    "orders": (c.ORDER_ID, c.CUSTOMER_ID, c.ORDERED_AT, c.SKU, c.QUANTITY),
    "events": (c.OCCURRED_AT, c.CUSTOMER_ID, c.SESSION_ID, c.EVENT_TYPE, c.SKU),
    "consents": (c.CUSTOMER_ID, c.PURPOSE, c.GRANTED, c.RECORDED_AT),
    "products": None,
}
# text columns read as categoricals, by pipeline and table: the recommender encodes orders and events into
# codes once and lets their frames go (features.recommend.encoded), so it never needs the texts as such. At
# 100,000 customers its load peaked at 1.33 GB (1.0 held), with these at 1.20 (0.70). Not the session
# ids: millions of distinct values, whose per-batch dictionaries cost more to unify than they save (1.61).
DICTIONARY: dict[str, dict[str, tuple[str, ...]]] = {
    "recommender": {
        "events": (c.EVENT_TYPE, c.SKU, c.CUSTOMER_ID),
        "orders": (c.SKU,),
    },
}
