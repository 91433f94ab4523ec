"""Candidate generation and ranking features for one request, vectorised over the catalogue (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.recommend.aggregates import Aggregates
from features.recommend.catalogue import Catalogue
from features.recommend.config import SOURCES, RecommendConfig
from features.recommend.history import Purchases
from features.recommend.neighbours import neighbour_scores
from features.recommend.segments import assign

# Ranking features, in column order: customer x item x candidate-source.
FEATURES: tuple[str, ...] = (
    *(f"src_{s}" for s in SOURCES),
    "bought_days",
    "days_since_bought",
    "usual_gap",
    "due_ratio",
    "days_since_viewed",
    "carted",
    "bought_since_viewed",
    "item_trend_ratio",
    "item_overall_popularity",
    "item_price",
    "item_replenishable",
    "category_share",
    "customer_orders",
    "customer_days_since_last",
    "customer_days_per_order",
    "item_order_share",
    "item_repurchase_rate",
    "sources_count",
    # v3: category affinity, co-purchase with the customer's own items, category timing, price fit
    "together_score",
    "category_days_since",
    "category_due_ratio",
    "item_category_popularity",
    "category_affinity",
    "price_fit",
    "overdue_days",
    "item_buys_per_30d",
    "customer_orders_per_30d",
    "view_sessions",
    "wishlisted",
    # where the item stands in each source's own list (per_source when the source did not propose it): a
    # score's meaning differs from customer to customer, its rank much less
    *(f"rank_{s}" for s in SOURCES),
)
# Without a trained ranker, candidates are ordered by this weighted sum of their source scores.
HEURISTIC_WEIGHTS = np.array([3.0, 1.0, 1.0, 2.0, 0.3, 0.3, 0.5, 0.3])
# Repeat purchases of items bought once fade over about this many days.
ONE_OFF_FADE_DAYS = 90.0


@dataclass(frozen=True)
class Candidates:
    items: np.ndarray
    features: np.ndarray  # float32, one row per item, columns FEATURES
    source: np.ndarray  # index into SOURCES of the source that ranked the item highest
    heuristic: np.ndarray


def repeat_scores(p: Purchases, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """How due each bought item is: frequency x closeness of the time since last purchase to the usual gap."""
    due = np.full(n_items, np.nan)
    scores = np.zeros(n_items)
    ratio = (p.days_since + 1.0) / (p.gap + 1.0)
    timing = np.where(
        np.isnan(p.gap), 1.0 / (1.0 + p.days_since / ONE_OFF_FADE_DAYS), np.exp(-np.abs(np.log(ratio)))
    )
    scores[p.items] = p.days * timing
    due[p.items] = ratio
    return scores, due


def category_share(p: Purchases | None, catalogue: Catalogue) -> np.ndarray:
    """The customer's purchases (distinct item-days) spread over the catalogue's categories, sum 1."""
    share = np.zeros(len(catalogue.categories))
    if p is not None and len(p.items):
        share = np.bincount(catalogue.category[p.items], weights=p.days, minlength=len(share))
        share = share / max(share.sum(), 1.0)
    return share


def source_scores(
    agg: Aggregates, n_items: int, p: Purchases | None, context: np.ndarray, share: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(len(SOURCES), n_items) scores, 0 where a source proposes nothing; and each item's due ratio.

    ``share`` is the customer's category share (:func:`category_share`), which places them in a segment.
    """
    s = np.zeros((len(SOURCES), n_items))
    due = np.full(n_items, np.nan)
    if p is not None and share is not None and share.sum() > 0 and len(agg.segment_centroids):
        segment = int(assign(share[None, :], agg.segment_centroids)[0])
        s[7] = agg.segment_popular[segment]
    if p is not None:
        s[0], due = repeat_scores(p, n_items)
        s[1] = neighbour_scores(agg.similar_idx, agg.similar_sim, p.items, np.log1p(p.days))
        s[2] = neighbour_scores(agg.coview_idx, agg.coview_sim, p.viewed)
        s[2][p.viewed] += 1.0  # viewed but not bought is a candidate in itself
        if p.region in agg.regions:
            s[4] = agg.region_popular[agg.regions.index(p.region)]
    if len(context):
        s[3] = neighbour_scores(agg.together_idx, agg.together_sim, context) + neighbour_scores(
            agg.coview_idx, agg.coview_sim, context
        )
        s[3] /= max(s[3].max(), 1e-12)
    s[5] = agg.trending
    s[6] = agg.popular
    return s, due


def generate(
    agg: Aggregates, catalogue: Catalogue, config: RecommendConfig, p: Purchases | None, context: np.ndarray
) -> Candidates:
    """The union of each source's top ``per_source`` items, with one feature row per candidate."""
    n_items = len(catalogue)
    cat_share = category_share(p, catalogue)
    s, due = source_scores(agg, n_items, p, context, cat_share)
    s[:, ~catalogue.is_product] = 0.0
    s[:, context] = 0.0  # what is being viewed or in the cart is not proposed back
    k = min(config.per_source, n_items)
    ranks = np.full(s.shape, np.inf)
    top = (
        np.argpartition(-s, k - 1, axis=1)[:, :k] if k < n_items else np.tile(np.arange(n_items), (len(s), 1))
    )
    top_scores = np.take_along_axis(s, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    rows = np.repeat(np.arange(len(s)), k)
    rank_values = np.tile(np.arange(k, dtype=np.float64), len(s))
    chosen = np.take_along_axis(s, top, axis=1).ravel() > 0
    ranks[rows[chosen], top.ravel()[chosen]] = rank_values[chosen]
    items = np.flatnonzero(np.isfinite(ranks).any(axis=0))
    source = np.argmin(ranks[:, items], axis=0)

    feats = np.zeros((len(items), len(FEATURES)), dtype=np.float32)
    n_src = len(SOURCES)
    feats[:, :n_src] = s[:, items].T
    bought = np.zeros(n_items)
    since = np.full(n_items, np.nan)
    viewed = np.full(n_items, np.nan)
    carted = np.zeros(n_items)
    gap = np.full(n_items, np.nan)
    together = np.zeros(n_items)
    sessions = np.zeros(n_items)
    wished = np.zeros(n_items)
    cat_since = np.full(len(catalogue.categories), np.nan)
    log_price = np.log1p(np.maximum(catalogue.price, 0.0))
    price_fit = np.full(n_items, np.nan)
    orders, since_last, per_order, since_first, lines_per_30d = 0.0, np.nan, np.nan, np.nan, 0.0
    if p is not None:
        bought[p.items], since[p.items], gap[p.items] = p.days, p.days_since, p.gap
        orders, since_last = p.orders, p.days_since_last
        if len(p.items):
            together = neighbour_scores(agg.together_idx, agg.together_sim, p.items, np.log1p(p.days))
            cat_since = np.full(len(catalogue.categories), np.inf)
            np.minimum.at(cat_since, catalogue.category[p.items], p.days_since)
            cat_since[np.isinf(cat_since)] = np.nan
            # how far the item's price is from what the customer usually pays, in log euros
            price_fit = log_price - np.average(log_price[p.items], weights=p.days)
        per_order = p.days_since_first / max(p.orders, 1.0)
        since_first = p.days_since_first
        lines_per_30d = 30.0 * float(p.days.sum()) / max(since_first, 30.0)
        viewed[p.viewed] = p.viewed_days_since
        carted[p.viewed] = p.carted
        if len(p.view_sessions) == len(p.viewed):
            sessions[p.viewed] = p.view_sessions
        else:  # a history without visit counts (older callers): each viewed item seen once
            sessions[p.viewed] = 1.0
        if len(p.wishlisted) == len(p.viewed):
            wished[p.viewed] = p.wishlisted
    item_cat = catalogue.category[items]
    feats[:, n_src:] = np.column_stack(
        [
            bought[items],
            since[items],
            gap[items],
            due[items],
            viewed[items],
            carted[items],
            since[items] < viewed[items],  # bought after the last view: that interest was served
            agg.trending[items] / np.maximum(agg.popular[items], 1e-3),
            agg.overall[items],
            catalogue.price[items],
            catalogue.replenishable[items],
            cat_share[item_cat],
            np.full(len(items), orders),
            np.full(len(items), since_last),
            np.full(len(items), per_order),
            bought[items] / max(orders, 1.0),
            agg.repurchase[items],
            np.isfinite(ranks[:, items]).sum(axis=0),
            together[items],
            cat_since[item_cat],
            cat_since[item_cat] / max(per_order, 1.0),  # nan for visitors: per_order is nan
            agg.category_popular[items],
            # expected draws of the item in the next 30 days if the customer's purchases keep their pace
            # and category mix and the item its share of the category's buyers
            lines_per_30d * cat_share[item_cat] * agg.category_buyer_share[items],
            price_fit[items],
            since[items] - gap[items],
            # purchase rates on one scale for every customer (a count means little without the span)
            30.0 * bought[items] / max(since_first, 30.0),
            np.full(len(items), 30.0 * orders / max(since_first, 30.0)),
            sessions[items],
            wished[items],
            *np.where(np.isfinite(ranks[:, items]), ranks[:, items], float(k)),
        ]
    )
    heuristic = s[:, items].T @ HEURISTIC_WEIGHTS
    return Candidates(items=items, features=feats, source=source, heuristic=heuristic)
