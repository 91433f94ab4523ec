"""Candidate generation and ranking features, vectorised over the catalogue (numpy only): :func:`generate`
for one request. :mod:`features.recommend.candidate_batches` gives a batch of customers (training rows,
evaluation, ``cible score``) exactly the rows :func:`generate` gives each; it is a second implementation
because a batch of one costs a request twice the CPU (tests/features/test_recommend_batch.py holds them
equal). The feature layout (``*_COLUMNS``, ``UNSEEN``) and the item table are shared by both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.recommend.aggregates import Aggregates
from features.recommend.catalogue import Catalogue
from features.recommend.config import SOURCES, RecommendConfig
from features.recommend.history import Purchases
from features.recommend.neighbours import neighbour_scores

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
        segment = int(np.argmin(((agg.segment_centroids - share) ** 2).sum(axis=1)))
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


# Where groups of features sit in a row of FEATURES, so each group is written in one assignment.
N_SRC = len(SOURCES)
ITEM_COLUMNS = [
    FEATURES.index(f)
    for f in (
        "item_trend_ratio",
        "item_overall_popularity",
        "item_price",
        "item_replenishable",
        "item_repurchase_rate",
        "item_category_popularity",
    )
]
CUSTOMER_COLUMNS = [
    FEATURES.index(f)
    for f in (
        "customer_orders",
        "customer_days_since_last",
        "customer_days_per_order",
        "customer_orders_per_30d",
    )
]
PAIR_COLUMNS = [
    FEATURES.index(f)
    for f in (
        "bought_days",
        "days_since_bought",
        "usual_gap",
        "due_ratio",
        "days_since_viewed",
        "carted",
        "bought_since_viewed",
        "category_share",
        "item_order_share",
        "sources_count",
        "together_score",
        "category_days_since",
        "category_due_ratio",
        "category_affinity",
        "price_fit",
        "overdue_days",
        "item_buys_per_30d",
        "view_sessions",
        "wishlisted",
    )
]
RANK_COLUMNS = [FEATURES.index(f"rank_{s}") for s in SOURCES]
# What a customer's item table holds for an item they never bought nor viewed: bought days, days since
# bought, usual gap, due ratio, days since viewed, carted, visits, wished.
UNSEEN = np.array([0.0, np.nan, np.nan, np.nan, np.nan, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class ItemTable:
    """Per-item values that do not depend on the customer, computed once per fitted recommender."""

    aggregates: Aggregates
    catalogue: Catalogue
    columns: np.ndarray  # n_items x ITEM_COLUMNS
    log_price: np.ndarray


_TABLES: dict[int, ItemTable] = {}


def item_table(agg: Aggregates, catalogue: Catalogue) -> ItemTable:
    # keyed by identity: the live recommender's, and the previous one's while a new champion is loaded
    hit = _TABLES.get(id(agg))
    if hit is None or hit.aggregates is not agg or hit.catalogue is not catalogue:
        if len(_TABLES) >= 4:
            _TABLES.clear()
        columns = np.column_stack(
            [
                agg.trending / np.maximum(agg.popular, 1e-3),
                agg.overall,
                catalogue.price,
                catalogue.replenishable,
                agg.repurchase,
                agg.category_popular,
            ]
        )
        hit = ItemTable(agg, catalogue, columns, np.log1p(np.maximum(catalogue.price, 0.0)))
        _TABLES[id(agg)] = hit
    return hit


def generate(
    agg: Aggregates, catalogue: Catalogue, config: RecommendConfig, p: Purchases | None, context: np.ndarray
) -> Candidates:
    """The union of each source's top ``per_source`` items, with one feature row per candidate."""
    n_items = len(catalogue)
    cat_share = category_share(p, catalogue)
    s, due = source_scores(agg, n_items, p, context, cat_share)
    s *= catalogue.is_product
    s[:, context] = 0.0  # what is being viewed or in the cart is not proposed back
    items, ranks, k = _proposed_one(s, min(config.per_source, n_items))
    scores = s[:, items]
    source = np.argmin(ranks, axis=0)

    table = item_table(agg, catalogue)
    feats = np.empty((len(items), len(FEATURES)), dtype=np.float32)
    feats[:, :N_SRC] = scores.T
    feats[:, RANK_COLUMNS] = ranks.T
    feats[:, ITEM_COLUMNS] = table.columns[items]

    seen = np.empty((n_items, len(UNSEEN)))
    seen[:] = UNSEEN
    together = np.zeros(len(items))
    cat_since = np.full(len(catalogue.categories), np.nan)
    price_fit = np.full(len(items), np.nan)
    orders, since_last, per_order, since_first, lines_per_30d = 0.0, np.nan, np.nan, np.nan, 0.0
    if p is not None:
        seen[p.items, 0], seen[p.items, 1], seen[p.items, 2] = p.days, p.days_since, p.gap
        seen[p.items, 3] = due[p.items]
        orders, since_last = p.orders, p.days_since_last
        if len(p.items):
            together = neighbour_scores(agg.together_idx, agg.together_sim, p.items, np.log1p(p.days))[items]
            cat_since = np.full(len(catalogue.categories), np.inf)
            np.minimum.at(cat_since, catalogue.category[p.items], p.days_since)
            cat_since[np.isinf(cat_since)] = np.nan
            # how far the item's price is from what the customer usually pays, in log euros
            log_price = table.log_price
            price_fit = log_price[items] - (log_price[p.items] * p.days).sum() / p.days.sum()
        per_order = p.days_since_first / max(p.orders, 1.0)
        since_first = p.days_since_first
        lines_per_30d = 30.0 * float(p.days.sum()) / max(since_first, 30.0)
        seen[p.viewed, 4], seen[p.viewed, 5] = p.viewed_days_since, p.carted
        if len(p.view_sessions) == len(p.viewed):
            seen[p.viewed, 6] = p.view_sessions
        else:  # a history without visit counts (older callers): each viewed item seen once
            seen[p.viewed, 6] = 1.0
        if len(p.wishlisted) == len(p.viewed):
            seen[p.viewed, 7] = p.wishlisted
    bought, since, gap, due_ratio, viewed, carted, sessions, wished = seen[items].T
    item_cat = catalogue.category[items]
    item_cat_since = cat_since[item_cat]
    item_share = cat_share[item_cat]
    feats[:, CUSTOMER_COLUMNS] = (orders, since_last, per_order, 30.0 * orders / max(since_first, 30.0))
    feats[:, PAIR_COLUMNS] = np.array(
        [
            bought,
            since,
            gap,
            due_ratio,
            viewed,
            carted,
            since < viewed,  # bought after the last view: that interest was served
            item_share,
            bought / max(orders, 1.0),
            (ranks < k).sum(axis=0),
            together,
            item_cat_since,
            item_cat_since / max(per_order, 1.0),  # nan for visitors: per_order is nan
            # expected draws of the item in the next 30 days if the customer's purchases keep their pace
            # and category mix and the item its share of the category's buyers
            lines_per_30d * item_share * agg.category_buyer_share[items],
            price_fit,
            since - gap,
            # purchase rates on one scale for every customer (a count means little without the span)
            30.0 * bought / max(since_first, 30.0),
            sessions,
            wished,
        ]
    ).T
    heuristic = scores.T @ HEURISTIC_WEIGHTS
    return Candidates(items=items, features=feats, source=source, heuristic=heuristic)


def _proposed_one(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The items in any source's top ``k`` (positive scores only), ascending, and each source's rank of
    each of them (``k`` where the source did not propose it)."""
    n_src, n_items = s.shape
    rows = np.arange(n_src)[:, None]
    top = (
        np.argpartition(-s, k - 1, axis=1)[:, :k] if k < n_items else np.tile(np.arange(n_items), (n_src, 1))
    )
    top_scores = s[rows, top]
    order = np.argsort(-top_scores, axis=1, kind="stable")
    top = top[rows, order]
    src, rank = np.nonzero(top_scores[rows, order] > 0)
    proposed = top[src, rank]
    slot = np.zeros(n_items, dtype=np.intp)
    slot[proposed] = 1
    items = np.flatnonzero(slot)
    slot[items] = np.arange(len(items))
    ranks = np.full((n_src, len(items)), float(k))
    ranks[src, slot[proposed]] = rank
    return items, ranks, k
