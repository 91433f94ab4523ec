"""The recommendation columns of ``cible score``: top-k items and the next best offer per customer, from
the ``recommender`` and ``offer_response`` champions. A missing champion leaves its columns empty."""

from __future__ import annotations

import numpy as np
import pandas as pd
from mlflow.tracking import MlflowClient

from features import columns as c
from features.dataset import Dataset
from features.offers.best_offer import OFFER_COLUMNS, OFFER_EXPECTED_VALUE, best_offers
from features.offers.catalogue import DEFAULT_CATALOGUE, load_catalogue
from features.recommend.history import CustomerHistory
from features.recommend.recommender import Recommender
from training.offers.register import load_offer_champion
from training.recommend.train import load_champion
from training.uplift.train import load_uplift_champion

TOP_ITEMS = "top_items"
TOP_K = 3
RECOMMEND_COLUMNS = (TOP_ITEMS, *OFFER_COLUMNS)


def top_items(
    model: Recommender, dataset: Dataset, as_of: pd.Timestamp, ids: pd.Series, k: int
) -> np.ndarray:
    """Comma-joined skus, best first. Customers without a history Cible may use (no order, no profiling
    consent) all get the same non-personal list, computed once; the others are ranked in one batch."""
    history = CustomerHistory.build(dataset, as_of, model.catalogue_)
    served = model.with_history(history)
    anonymous = ",".join(r.sku for r in served.recommend(None, (), k))
    out = np.full(len(ids), anonymous, dtype=object)
    customer_ids = ids.astype(str).to_numpy()
    known = np.flatnonzero([history.position(cid) >= 0 for cid in customer_ids])
    out[known] = [",".join(skus) for skus in served.top_skus(customer_ids[known].tolist(), k)]
    return out


def recommendation_columns(
    client: MlflowClient, dataset: Dataset, as_of: pd.Timestamp, features: pd.DataFrame, k: int = TOP_K
) -> tuple[pd.DataFrame, list[str]]:
    """The columns of :data:`RECOMMEND_COLUMNS`, aligned with ``features``, and the champions missing."""
    out = pd.DataFrame(index=features.index, columns=list(RECOMMEND_COLUMNS), dtype=object)
    out[OFFER_EXPECTED_VALUE] = np.nan
    missing = []
    recommender = load_champion(client)
    if recommender is None:
        missing.append("recommender")
    else:
        out[TOP_ITEMS] = top_items(recommender, dataset, as_of, features[c.CUSTOMER_ID], k)
    response = load_offer_champion(client)
    if response is None:
        missing.append("offer_response")
    else:
        uplift = load_uplift_champion(client)  # incremental margin when the control groups taught one
        offers = best_offers(dataset, as_of, features, response, load_catalogue(DEFAULT_CATALOGUE), uplift)
        for column in OFFER_COLUMNS:
            out[column] = offers[column].to_numpy()
    return out, missing
