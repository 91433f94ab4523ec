"""Business rules applied after ranking: hard filters, then diversity, then optional margin-aware order."""

from __future__ import annotations

import numpy as np

from features.recommend.catalogue import Catalogue
from features.recommend.config import RecommendConfig
from features.recommend.history import Purchases


def allowed_mask(
    catalogue: Catalogue, config: RecommendConfig, p: Purchases | None, excluded: np.ndarray
) -> np.ndarray:
    """Items that may be shown at all: products, in stock, not excluded, not a one-off just bought."""
    if p is None:
        return allowed_given(catalogue, config, excluded, np.zeros(0, dtype=np.int64), np.zeros(0))
    return allowed_given(catalogue, config, excluded, p.items, p.days_since)


def allowed_given(
    catalogue: Catalogue,
    config: RecommendConfig,
    excluded: np.ndarray,
    bought: np.ndarray,
    days_since_bought: np.ndarray,
) -> np.ndarray:
    """:func:`allowed_mask` from the items bought and the days since each (-1 items are ignored)."""
    ok = catalogue.is_product.copy()
    if config.exclude_out_of_stock:
        ok &= catalogue.in_stock
    ok[excluded[excluded >= 0]] = False
    recent = bought[(days_since_bought < config.recent_purchase_days) & (bought >= 0)]
    ok[recent[~catalogue.replenishable[recent]]] = False
    return ok


def margin_order(items: np.ndarray, probability: np.ndarray, catalogue: Catalogue) -> np.ndarray:
    """Positions of ``items`` by expected margin (probability x unit margin, losses count as 0), stable."""
    value = probability * np.maximum(catalogue.margin[items], 0.0)
    return np.argsort(-value, kind="stable")


def pick(
    items: np.ndarray, categories: np.ndarray, k: int, max_per_category: int | None, taken: list[int]
) -> list[int]:
    """Append to ``taken`` items in order, skipping any whose category is full, until ``k`` are taken."""
    counts: dict[int, int] = {}
    for i in taken:
        counts[int(categories[i])] = counts.get(int(categories[i]), 0) + 1
    chosen = set(taken)
    for item in items.tolist():
        if len(taken) >= k:
            break
        cat = int(categories[item])
        if item in chosen or (max_per_category is not None and counts.get(cat, 0) >= max_per_category):
            continue
        taken.append(item)
        chosen.add(item)
        counts[cat] = counts.get(cat, 0) + 1
    return taken
