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
    ok = catalogue.is_product.copy()
    if config.exclude_out_of_stock:
        ok &= catalogue.in_stock
    ok[excluded[excluded >= 0]] = False
    if p is not None:
        recent = p.items[p.days_since < config.recent_purchase_days]
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
