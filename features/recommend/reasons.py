"""One-line, human reasons for a recommended item, from the source that proposed it."""

from __future__ import annotations

import numpy as np

from features.recommend.aggregates import Aggregates
from features.recommend.catalogue import Catalogue
from features.recommend.config import (
    BOUGHT_WITH,
    CO_VIEWED,
    CONTEXT,
    POPULAR,
    REGION_POPULAR,
    REPEAT,
    SEGMENT_POPULAR,
    TRENDING,
    RecommendConfig,
)
from features.recommend.history import Purchases


def strongest_seed(idx: np.ndarray, sim: np.ndarray, seeds: np.ndarray, item: int) -> int:
    """The seed item whose neighbour list gives ``item`` its highest similarity, -1 if none."""
    if len(seeds) == 0:
        return -1
    hits = np.where(idx[seeds] == item, sim[seeds], 0.0).max(axis=1)
    return int(seeds[np.argmax(hits)]) if hits.max() > 0 else -1


def reason(
    source: str,
    item: int,
    catalogue: Catalogue,
    agg: Aggregates,
    config: RecommendConfig,
    p: Purchases | None,
    context: np.ndarray,
) -> str:
    if source == REPEAT and p is not None:
        at = int(np.flatnonzero(p.items == item)[0])
        last = f"last {p.days_since[at]:.0f} days ago"
        if np.isnan(p.gap[at]):
            return f"bought once, {last}"
        return f"bought every ~{p.gap[at]:.0f} days, {last}"
    if source == BOUGHT_WITH and p is not None:
        seed = strongest_seed(agg.similar_idx, agg.similar_sim, p.items, item)
        if seed >= 0:
            return f"often bought with {catalogue.names[seed]}"
        return "bought by customers with a similar history"
    if source == CO_VIEWED and p is not None:
        if item in p.viewed:
            return "viewed recently"
        seed = strongest_seed(agg.coview_idx, agg.coview_sim, p.viewed, item)
        return f"often viewed with {catalogue.names[seed]}" if seed >= 0 else "viewed with your recent views"
    if source == CONTEXT:
        seed = strongest_seed(agg.together_idx, agg.together_sim, context, item)
        if seed < 0:
            seed = strongest_seed(agg.coview_idx, agg.coview_sim, context, item)
        return f"goes with {catalogue.names[seed]}" if seed >= 0 else "goes with what you are looking at"
    if source == REGION_POPULAR and p is not None:
        return f"popular in {p.region}"
    if source == SEGMENT_POPULAR and p is not None:
        favourite = (
            int(np.argmax(np.bincount(catalogue.category[p.items], weights=p.days))) if len(p.items) else -1
        )
        if favourite >= 0:
            return f"popular with shoppers who, like you, buy {catalogue.categories[favourite]}"
        return "popular with shoppers like you"
    if source == TRENDING:
        return f"trending over the last {config.trending_days} days"
    if source == POPULAR:
        return f"popular over the last {config.popular_days} days"
    return "popular"
