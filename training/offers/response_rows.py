"""The offer response model's rows (``training.offers.response.offer_contacts``, offers by catalogue
family) with their features in a file, read a span at a time (:mod:`training.stored_rows`): at 100k
customers a window's offers hold ~1 M rows x ~110 float features, and the training, validation and final
fits each held a frame of them plus LightGBM's copy of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from features import columns as c
from features.batch_engine import BatchEngine
from features.customer_features.build import build_customer_features
from features.dataset import Dataset
from features.memory import give_back
from features.offers.response_model import catalogue_offer
from training.offers.response import ACCEPTED, OFFER_KEYS
from training.stored_rows import StoredRows, write_rows


def stored_response_rows(
    dataset: Dataset, start: pd.Timestamp, end: pd.Timestamp, work: Path, engine: BatchEngine | None = None
) -> StoredRows:
    """The rows of ``offer_contacts(dataset, start, end, engine)`` with offers by catalogue family (as
    ``training.offers.register.response_rows``), their features written under ``work``."""
    contacts = dataset.contacts
    sent = contacts[c.OFFER_ID].notna() & (contacts[c.SENT_AT] >= start) & (contacts[c.SENT_AT] < end)
    rows = contacts[[c.CUSTOMER_ID, *OFFER_KEYS, c.CONVERTED_ORDER_ID]][sent.to_numpy()]
    at_start = engine.features(start, keep=False) if engine else build_customer_features(dataset, start)
    numeric = at_start.select_dtypes(include=["number", "bool"]).astype("float64")
    names = tuple(numeric.columns)
    values = numeric.to_numpy(dtype="float64")
    where = pd.Index(at_start[c.CUSTOMER_ID]).get_indexer(rows[c.CUSTOMER_ID])
    del at_start, numeric
    # The join on the customer, less the rows without features (customers created later): those whose
    # first feature is missing, as offer_contacts' dropna on it.
    found = where >= 0
    found[found] = ~np.isnan(values[where[found], 0])
    rows = rows[found]
    keys = pd.DataFrame(
        {
            c.CUSTOMER_ID: rows[c.CUSTOMER_ID].reset_index(drop=True),  # Arrow text, not Python strings
            c.OFFER_ID: catalogue_offer(rows[c.OFFER_ID]).to_numpy(),
            c.CHANNEL: rows[c.CHANNEL].reset_index(drop=True),
            ACCEPTED: rows[c.CONVERTED_ORDER_ID].notna().to_numpy(),
        }
    )
    path = work / f"offers-{start:%Y%m%d}-{end:%Y%m%d}.f64"
    write_rows(path, values, where[found])
    del values
    give_back()  # the features build's working set, before the next window's or the fits
    return StoredRows.in_file(keys, names, path)
