"""Candidates for a batch of customers at once: the same sources, features and order as
:func:`features.recommend.candidates.generate` (bit for bit: tests/features/test_recommend_batch.py) as
whole-array operations over many customers' histories (:class:`~features.recommend.profiles.Profiles`),
for training rows, evaluation and batch scoring. The service keeps the per-customer function, cheaper for
one request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from features.recommend.aggregates import Aggregates
from features.recommend.candidates import (
    CUSTOMER_COLUMNS,
    FEATURES,
    HEURISTIC_WEIGHTS,
    ITEM_COLUMNS,
    N_SRC,
    ONE_OFF_FADE_DAYS,
    PAIR_COLUMNS,
    RANK_COLUMNS,
    UNSEEN,
    Candidates,
    item_table,
)
from features.recommend.catalogue import Catalogue
from features.recommend.config import SOURCES, RecommendConfig
from features.recommend.neighbours import neighbour_scores_many
from features.recommend.profiles import Profiles


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

    table = item_table(agg, catalogue)
    feats = np.empty((len(item), len(FEATURES)), dtype=np.float32)
    feats[:, :N_SRC] = scores
    feats[:, RANK_COLUMNS] = ranks
    feats[:, ITEM_COLUMNS] = table.columns[item]

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

    bought = pick(bought_row, was_bought, profiles.days, UNSEEN[0])
    since = pick(bought_row, was_bought, profiles.days_since, UNSEEN[1])
    gap = pick(bought_row, was_bought, profiles.gap, UNSEEN[2])
    due_ratio = pick(bought_row, was_bought, due, UNSEEN[3])
    viewed = pick(viewed_row, was_viewed, profiles.viewed_days_since, UNSEEN[4])
    carted = pick(viewed_row, was_viewed, profiles.carted.astype(np.float64), UNSEEN[5])
    sessions = pick(viewed_row, was_viewed, profiles.view_sessions, UNSEEN[6])
    wished = pick(viewed_row, was_viewed, profiles.wishlisted.astype(np.float64), UNSEEN[7])

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
    feats[:, CUSTOMER_COLUMNS] = np.column_stack(
        (orders, since_last, per_order, 30.0 * orders / np.maximum(since_first, 30.0))
    )[cand]
    item_cat = catalogue.category[item]
    item_cat_since = cat_since[cand, item_cat]
    item_share = cat_share[cand, item_cat]
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
