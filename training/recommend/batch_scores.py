"""The recommendation columns of ``cible score``: top-k items and the next best offer per customer, from
the ``recommender`` and ``offer_response`` champions. A missing champion leaves its columns empty."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features import columns as c
from features.dataset import Dataset
from features.offers.best_offer import OFFER_COLUMNS, OFFER_EXPECTED_VALUE, best_offers
from features.offers.catalogue import DEFAULT_CATALOGUE, load_catalogue
from features.recommend.history import CustomerHistory
from features.recommend.recommender import Recommender

if TYPE_CHECKING:
    from training.predictive.champions import ScoringChampions

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
    champions: ScoringChampions, dataset: Dataset, as_of: pd.Timestamp, features: pd.DataFrame, k: int = TOP_K
) -> pd.DataFrame:
    """The columns of :data:`RECOMMEND_COLUMNS`, aligned with ``features`` (a model without a champion
    leaves its columns empty)."""
    out = pd.DataFrame(index=features.index, columns=list(RECOMMEND_COLUMNS), dtype=object)
    out[OFFER_EXPECTED_VALUE] = np.nan
    if champions.recommender is not None:
        out[TOP_ITEMS] = top_items(champions.recommender, dataset, as_of, features[c.CUSTOMER_ID], k)
    if champions.offer_response is not None:
        # the uplift champion (when the control groups taught one) ranks by incremental margin
        catalogue = load_catalogue(DEFAULT_CATALOGUE)
        offers = best_offers(dataset, as_of, features, champions.offer_response, catalogue, champions.uplift)
        for column in OFFER_COLUMNS:
            out[column] = offers[column].to_numpy()
    return out
