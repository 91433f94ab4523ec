"""Candidate generation and ranking features, vectorised over the catalogue (numpy only): :func:`generate`
for one request, :func:`generate_many` for a batch of customers (training rows, evaluation, ``cible
score``). The batch gives every customer exactly the rows :func:`generate` gives them; it is a second
implementation because a batch of one costs a request twice the CPU (tests/features/test_recommend_batch.py
holds them equal)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from features.recommend.aggregates import Aggregates
from features.recommend.catalogue import Catalogue
from features.recommend.config import SOURCES, RecommendConfig
from features.recommend.history import Purchases
from features.recommend.neighbours import neighbour_scores, neighbour_scores_many
from features.recommend.profiles import Profiles

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


@dataclass(frozen=True)
class CandidateBatch:
    """The candidates of a batch of customers, one after the other: customer b's are the rows
    ``offsets[b]:offsets[b + 1]`` of each array."""

    offsets: np.ndarray
    items: np.ndarray
    features: np.ndarray
    source: np.ndarray
    heuristic: np.ndarray

    def of(self, b: int) -> Candidates:
        s, e = self.offsets[b], self.offsets[b + 1]
        return Candidates(self.items[s:e], self.features[s:e], self.source[s:e], self.heuristic[s:e])


# Customers x sources x catalogue scores are held for this many cells at most: bounds a batch's memory
# (about 32 MB of float64) on large catalogues.
BATCH_CELLS = 1 << 22


def batch_size(n_items: int) -> int:
    """How many customers :func:`generate_many` takes at once for a catalogue of ``n_items``."""
    return max(1, BATCH_CELLS // (len(SOURCES) * max(n_items, 1)))


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
_N_SRC = len(SOURCES)
_ITEM_COLUMNS = [
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
_CUSTOMER_COLUMNS = [
    FEATURES.index(f)
    for f in (
        "customer_orders",
        "customer_days_since_last",
        "customer_days_per_order",
        "customer_orders_per_30d",
    )
]
_PAIR_COLUMNS = [
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
_RANK_COLUMNS = [FEATURES.index(f"rank_{s}") for s in SOURCES]
# What a customer's item table holds for an item they never bought nor viewed: bought days, days since
# bought, usual gap, due ratio, days since viewed, carted, visits, wished.
_UNSEEN = np.array([0.0, np.nan, np.nan, np.nan, np.nan, 0.0, 0.0, 0.0])


@dataclass(frozen=True)
class _ItemTable:
    """Per-item values that do not depend on the customer, computed once per fitted recommender."""

    aggregates: Aggregates
    catalogue: Catalogue
    columns: np.ndarray  # n_items x _ITEM_COLUMNS
    log_price: np.ndarray


_TABLES: dict[int, _ItemTable] = {}


def _item_table(agg: Aggregates, catalogue: Catalogue) -> _ItemTable:
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
        hit = _ItemTable(agg, catalogue, columns, np.log1p(np.maximum(catalogue.price, 0.0)))
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

    table = _item_table(agg, catalogue)
    feats = np.empty((len(items), len(FEATURES)), dtype=np.float32)
    feats[:, :_N_SRC] = scores.T
    feats[:, _RANK_COLUMNS] = ranks.T
    feats[:, _ITEM_COLUMNS] = table.columns[items]

    seen = np.empty((n_items, len(_UNSEEN)))
    seen[:] = _UNSEEN
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
    feats[:, _CUSTOMER_COLUMNS] = (orders, since_last, per_order, 30.0 * orders / max(since_first, 30.0))
    feats[:, _PAIR_COLUMNS] = np.array(
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


def generate_many(
    agg: Aggregates,
    catalogue: Catalogue,
    config: RecommendConfig,
    profiles: Profiles,
    contexts: Sequence[np.ndarray] | None = None,
) -> CandidateBatch:
    """:func:`generate` for every customer of ``profiles`` (with their request's context items, if any),
    in one pass; size batches with :func:`batch_size`."""
    n_items, n_cust = len(catalogue), len(profiles)
    owner, view_owner = profiles.owner(), profiles.view_owner()
    cat_share = _category_shares(profiles, catalogue, owner)
    s, due = _source_scores(agg, catalogue, profiles, owner, view_owner, cat_share, contexts)
    k = min(config.per_source, n_items)
    cand, item, ranks = _proposed(s, k)
    offsets = np.searchsorted(cand, np.arange(n_cust + 1)).astype(np.int64)
    scores = s[cand, :, item]
    source = np.argmin(ranks, axis=1)

    table = _item_table(agg, catalogue)
    feats = np.empty((len(item), len(FEATURES)), dtype=np.float32)
    feats[:, :_N_SRC] = scores
    feats[:, _RANK_COLUMNS] = ranks
    feats[:, _ITEM_COLUMNS] = table.columns[item]

    # where each candidate sits among its customer's purchases and views (-1: never bought / viewed)
    at = np.full((n_cust, n_items), -1, dtype=np.int64)
    at[owner, profiles.items] = np.arange(len(owner))
    bought_row = at[cand, item]
    at[:] = -1
    at[view_owner, profiles.viewed] = np.arange(len(view_owner))
    viewed_row = at[cand, item]
    was_bought, was_viewed = bought_row >= 0, viewed_row >= 0

    def pick(rows: np.ndarray, hit: np.ndarray, values: np.ndarray, missing: float) -> np.ndarray:
        return np.where(hit, values[np.maximum(rows, 0)] if len(values) else missing, missing)

    bought = pick(bought_row, was_bought, profiles.days, _UNSEEN[0])
    since = pick(bought_row, was_bought, profiles.days_since, _UNSEEN[1])
    gap = pick(bought_row, was_bought, profiles.gap, _UNSEEN[2])
    due_ratio = pick(bought_row, was_bought, due, _UNSEEN[3])
    viewed = pick(viewed_row, was_viewed, profiles.viewed_days_since, _UNSEEN[4])
    carted = pick(viewed_row, was_viewed, profiles.carted.astype(np.float64), _UNSEEN[5])
    sessions = pick(viewed_row, was_viewed, profiles.view_sessions, _UNSEEN[6])
    wished = pick(viewed_row, was_viewed, profiles.wishlisted.astype(np.float64), _UNSEEN[7])

    known = profiles.known
    has_items = np.diff(profiles.offsets) > 0
    weights = np.log1p(profiles.days)
    together = neighbour_scores_many(
        agg.together_idx, agg.together_sim, profiles.items, owner, n_cust, weights
    )[cand, item]
    cat_since = np.full((n_cust, len(catalogue.categories)), np.inf)
    np.minimum.at(cat_since, (owner, catalogue.category[profiles.items]), profiles.days_since)
    cat_since[np.isinf(cat_since)] = np.nan
    # how far the item's price is from what the customer usually pays, in log euros
    log_price = table.log_price
    usual_price = _segment_sums(log_price[profiles.items] * profiles.days, profiles.offsets) / np.where(
        has_items, _segment_sums(profiles.days, profiles.offsets), 1.0
    )
    price_fit = np.where(has_items[cand], log_price[item] - usual_price[cand], np.nan)
    orders = np.where(known, profiles.orders, 0.0)
    since_last = np.where(known, profiles.days_since_last, np.nan)
    since_first = np.where(known, profiles.days_since_first, np.nan)
    per_order = since_first / np.maximum(orders, 1.0)
    lines_per_30d = np.where(
        known, 30.0 * _segment_sums(profiles.days, profiles.offsets) / np.maximum(since_first, 30.0), 0.0
    )
    feats[:, _CUSTOMER_COLUMNS] = np.column_stack(
        (orders, since_last, per_order, 30.0 * orders / np.maximum(since_first, 30.0))
    )[cand]
    item_cat = catalogue.category[item]
    item_cat_since = cat_since[cand, item_cat]
    item_share = cat_share[cand, item_cat]
    feats[:, _PAIR_COLUMNS] = np.array(
        [
            bought,
            since,
            gap,
            due_ratio,
            viewed,
            carted,
            since < viewed,  # bought after the last view: that interest was served
            item_share,
            bought / np.maximum(orders, 1.0)[cand],
            (ranks < k).sum(axis=1),
            together,
            item_cat_since,
            item_cat_since / np.maximum(per_order, 1.0)[cand],  # nan for visitors: per_order is nan
            # expected draws of the item in the next 30 days if the customer's purchases keep their pace
            # and category mix and the item its share of the category's buyers
            lines_per_30d[cand] * item_share * agg.category_buyer_share[item],
            price_fit,
            since - gap,
            # purchase rates on one scale for every customer (a count means little without the span)
            30.0 * bought / np.maximum(since_first, 30.0)[cand],
            sessions,
            wished,
        ]
    ).T
    return CandidateBatch(offsets, item, feats, source, _heuristic(scores, offsets))


def _category_shares(profiles: Profiles, catalogue: Catalogue, owner: np.ndarray | None = None) -> np.ndarray:
    """Customers x categories: each one's purchases (distinct item-days) over the categories, sum 1."""
    n_cat = len(catalogue.categories)
    owner = profiles.owner() if owner is None else owner
    share = np.bincount(
        owner * n_cat + catalogue.category[profiles.items],
        weights=profiles.days,
        minlength=len(profiles) * n_cat,
    ).reshape(len(profiles), n_cat)
    return share / np.maximum(share.sum(axis=1, keepdims=True), 1.0)


def _source_scores(
    agg: Aggregates,
    catalogue: Catalogue,
    profiles: Profiles,
    owner: np.ndarray,
    view_owner: np.ndarray,
    share: np.ndarray,
    contexts: Sequence[np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(customers, len(SOURCES), n_items) scores, 0 where a source proposes nothing, the context items and
    non-products zeroed; and the due ratio of each purchase row.

    ``share`` (:func:`_category_shares`) places each customer in a segment.
    """
    n_cust, n_items = len(profiles), len(catalogue)
    s = np.zeros((n_cust, len(SOURCES), n_items))
    known = profiles.known
    if len(agg.segment_centroids):
        placed = np.flatnonzero(known & (share.sum(axis=1) > 0))
        distance = ((agg.segment_centroids[None, :, :] - share[placed, None, :]) ** 2).sum(axis=2)
        s[placed, 7] = agg.segment_popular[np.argmin(distance, axis=1)]
    # repeat: how due each bought item is, frequency x closeness of the time since last purchase to the
    # usual gap
    days_since, gap = profiles.days_since, profiles.gap
    due = (days_since + 1.0) / (gap + 1.0)
    with np.errstate(invalid="ignore"):
        timing = np.where(
            np.isnan(gap), 1.0 / (1.0 + days_since / ONE_OFF_FADE_DAYS), np.exp(-np.abs(np.log(due)))
        )
    s[owner, 0, profiles.items] = profiles.days * timing
    s[:, 1] = neighbour_scores_many(
        agg.similar_idx, agg.similar_sim, profiles.items, owner, n_cust, np.log1p(profiles.days)
    )
    s[:, 2] = neighbour_scores_many(agg.coview_idx, agg.coview_sim, profiles.viewed, view_owner, n_cust)
    s[view_owner, 2, profiles.viewed] += 1.0  # viewed but not bought is a candidate in itself
    # the batch's region names as rows of region_popular ("" for a customer without one)
    rows = [agg.regions.index(r) if r in agg.regions else -1 for r in (*profiles.regions, "")]
    region = np.where(known, np.array(rows, dtype=np.int64)[profiles.region], -1)
    in_region = np.flatnonzero(region >= 0)
    s[in_region, 4] = agg.region_popular[region[in_region]]
    ctx_owner, ctx = _contexts(contexts, n_cust)
    if len(ctx):
        s[:, 3] = neighbour_scores_many(
            agg.together_idx, agg.together_sim, ctx, ctx_owner, n_cust
        ) + neighbour_scores_many(agg.coview_idx, agg.coview_sim, ctx, ctx_owner, n_cust)
        s[:, 3] /= np.maximum(s[:, 3].max(axis=1, keepdims=True), 1e-12)
    s[:, 5] = agg.trending
    s[:, 6] = agg.popular
    s *= catalogue.is_product
    s[ctx_owner, :, ctx] = 0.0  # what is being viewed or in the cart is not proposed back
    return s, due


def _contexts(contexts: Sequence[np.ndarray] | None, n_cust: int) -> tuple[np.ndarray, np.ndarray]:
    """Each request's context items, flat, and the customer of each."""
    if contexts is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = [len(x) for x in contexts]
    flat = np.concatenate([np.asarray(x, dtype=np.int64) for x in contexts]) if sum(lengths) else np.zeros(0)
    return np.repeat(np.arange(n_cust), lengths), flat.astype(np.int64)


def _proposed(s: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (customer, item) pairs in any of the customer's sources' top ``k`` (positive scores only), by
    customer then item, and each source's rank of each pair's item (``k`` where the source did not
    propose it)."""
    n_cust, n_src, n_items = s.shape
    flat = s.reshape(n_cust * n_src, n_items)
    rows = np.arange(len(flat))[:, None]
    top = (
        np.argpartition(-flat, k - 1, axis=1)[:, :k]
        if k < n_items
        else np.tile(np.arange(n_items), (len(flat), 1))
    )
    top_scores = flat[rows, top]
    order = np.argsort(-top_scores, axis=1, kind="stable")
    top = top[rows, order]
    row, rank = np.nonzero(top_scores[rows, order] > 0)
    cust, src, proposed = row // n_src, row % n_src, top[row, rank]
    slot = np.zeros((n_cust, n_items), dtype=np.int64)
    slot[cust, proposed] = 1
    cand, item = np.nonzero(slot)
    slot[cand, item] = np.arange(len(cand))
    ranks = np.full((len(cand), n_src), float(k))
    ranks[slot[cust, proposed], src] = rank
    return cand, item, ranks


def _segment_sums(x: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``x[offsets[b]:offsets[b + 1]].sum()`` for every b, bit for bit: numpy sums pairwise, so a batch
    sums its segments of one length as the rows of a matrix, the way one segment alone is summed."""
    lengths = np.diff(offsets)
    out = np.zeros(len(lengths))
    for n in np.unique(lengths[lengths > 0]):
        rows = np.flatnonzero(lengths == n)
        out[rows] = x[offsets[rows, None] + np.arange(n)].sum(axis=1)
    return out


def _heuristic(scores: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The weighted sum of each candidate's source scores, bit for bit as one customer's candidates x
    sources block times the weights gives it: a matrix product's rounding depends on the number of rows,
    so customers with as many candidates are stacked and multiplied a matrix each."""
    counts = np.diff(offsets)
    out = np.empty(len(scores))
    for n in np.unique(counts[counts > 0]):
        rows = offsets[np.flatnonzero(counts == n), None] + np.arange(n)
        out[rows] = scores[rows] @ HEURISTIC_WEIGHTS
    return out


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
