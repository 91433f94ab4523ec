"""The baselines Cible must beat, from the same fitted aggregates and histories as the ranker."""

from __future__ import annotations

import numpy as np

from features.recommend.history import Purchases
from features.recommend.neighbours import neighbour_scores
from features.recommend.recommender import Recommender

POPULARITY = "popularity_30d"
REPEAT_POPULAR = "repeat_then_popular"
ITEM_KNN = "item_knn"
BASELINES: tuple[str, ...] = (POPULARITY, REPEAT_POPULAR, ITEM_KNN)


def _top(scores: np.ndarray, fill: np.ndarray, n: int) -> np.ndarray:
    """Items by ``scores`` (positive only), then ``fill`` order for the rest, ``n`` in all."""
    first = np.flatnonzero(scores > 0)
    first = first[np.argsort(-scores[first], kind="stable")][:n]
    rest = fill[~np.isin(fill, first)][: n - len(first)]
    return np.concatenate([first, rest])


def baseline_list(name: str, model: Recommender, p: Purchases, n: int) -> np.ndarray:
    agg, cat = model.aggregates_, model.catalogue_
    fill = model.fill_order_[cat.is_product[model.fill_order_]]
    scores = np.zeros(len(cat))
    if name == REPEAT_POPULAR:
        # most often bought first, the latest purchase breaking ties
        scores[p.items] = p.days + 1.0 / (2.0 + p.days_since)
    elif name == ITEM_KNN:
        scores = neighbour_scores(agg.similar_idx, agg.similar_sim, p.items, np.log1p(p.days))
    elif name != POPULARITY:
        raise ValueError(f"unknown baseline {name!r}; use one of {', '.join(BASELINES)}")
    scores[~cat.is_product] = 0.0
    return _top(scores, fill, n)
