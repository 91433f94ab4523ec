"""The products a follow-up shows, chosen as the batch retargeting plan chooses them: what the visitor left
in the cart, wished or viewed, then what the batch recommended to the customer, then popular products.

An ad bid needs them in well under a millisecond: no candidate generation, no ranker, only list lookups
and the recommender's rules (products in stock, nothing just bought)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from features.recommend.recommender import Recommender
from features.recommend.rules import allowed_given
from serving import schemas as s
from serving.session import Session

if TYPE_CHECKING:
    from serving.engine import Visit

# source and reason of each kind of follow-up item, best first
CART = ("cart", "left in the cart")
WISHED = ("wishlist", "on the wish list")
VIEWED = ("viewed", "viewed recently")
RECOMMENDED = ("recommended", "recommended for you")
POPULAR = "popular"


def follow_up_items(model: Recommender, visit: Visit, session: Session, k: int) -> list[s.Item]:
    """``k`` items when the catalogue allows, best first; the score is 1 / (1 + position)."""
    cat = model.catalogue_
    history = (visit.record or {}).get("history") if visit.personal else None
    if history:
        bought = cat.positions(history["items"])
        since = np.array(history["days_since"], dtype=np.float64) + visit.age_days
    else:
        bought, since = np.zeros(0, dtype=np.int64), np.zeros(0)
    excluded = cat.positions(session.bought)
    allowed = allowed_given(cat, model.config_, excluded, bought, since)
    scores = (visit.record or {}).get("scores") or {}
    lists = [(CART, session.cart), (WISHED, session.wished), (VIEWED, session.viewed)]
    if visit.personal:
        lists.append((RECOMMENDED, recommended_skus(scores)))
    chosen: dict[int, tuple[str, str]] = {}
    for why, skus in lists:
        for item in cat.positions(skus).tolist():
            if len(chosen) < k and item >= 0 and allowed[item] and item not in chosen:
                chosen[item] = why
    if len(chosen) < k:
        popular = f"popular over the last {model.config_.popular_days} days"
        for item in model.fill_order_[allowed[model.fill_order_]][: k + len(chosen)].tolist():
            if len(chosen) < k and item not in chosen:
                chosen[item] = (POPULAR, popular)
    skus = cat.skus[list(chosen)].tolist()
    return [
        s.Item(sku=sku, score=round(1.0 / (1 + j), 6), source=source, reason=reason)
        for j, (sku, (source, reason)) in enumerate(zip(skus, chosen.values(), strict=True))
    ]


def recommended_skus(scores: Mapping[str, Any]) -> list[str]:
    """The batch's top items of a customer's scores: `cible score` writes them comma-joined."""
    value = scores.get("top_items")
    if isinstance(value, str):
        return [sku for sku in value.split(",") if sku]
    return [str(sku) for sku in value] if isinstance(value, list) else []
