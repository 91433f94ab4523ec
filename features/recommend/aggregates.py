"""What the recommender is fitted on: neighbour lists and popularity vectors, never per-customer rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.dataset import Dataset
from features.recommend.catalogue import Catalogue
from features.recommend.config import RecommendConfig
from features.recommend.encoded import days_before, encoded
from features.recommend.neighbours import binary_matrix, item_knn
from features.recommend.runs import distinct, run_ends, run_starts
from features.recommend.segments import assign, category_shares, fit_centroids


@dataclass(frozen=True)
class Aggregates:
    similar_idx: np.ndarray  # customer x item cosine: "similar items", item-kNN candidates
    similar_sim: np.ndarray
    together_idx: np.ndarray  # order x item cosine: "frequently bought together"
    together_sim: np.ndarray
    coview_idx: np.ndarray  # session x item cosine on views and carts
    coview_sim: np.ndarray
    popular: np.ndarray  # distinct buyers in the last ``popular_days``, scaled to max 1
    trending: np.ndarray  # distinct buyers in the last ``trending_days``, scaled to max 1
    overall: np.ndarray  # distinct buyers over the whole history, scaled to max 1
    repurchase: np.ndarray  # share of an item's buyers who bought it on two days or more
    regions: tuple[str, ...]
    region_popular: np.ndarray  # region x item, each row scaled to max 1
    # popularity of an item among its category's items (recent distinct buyers, scaled to max 1 per category)
    category_popular: np.ndarray
    category_buyer_share: np.ndarray  # the item's share of its category's recent (item, buyer) pairs
    segment_centroids: np.ndarray  # segment x category: mean category shares of the segment's customers
    segment_popular: np.ndarray  # segment x item, recent distinct buyers of the segment, each row max 1


def _scaled(counts: np.ndarray) -> np.ndarray:
    top = counts.max(axis=-1, keepdims=True) if counts.size else np.ones(1)
    return np.divide(counts, top, out=np.zeros_like(counts, dtype=np.float64), where=top > 0)


def _pairs(item: np.ndarray, buyer: np.ndarray) -> np.ndarray:
    """One int64 key per (item, buyer): a hash of one integer column is much cheaper than of a frame."""
    return item.astype(np.int64) * (int(buyer.max(initial=-1)) + 1) + buyer


def _buyers(item: np.ndarray, buyer: np.ndarray, mask: np.ndarray, n_items: int) -> np.ndarray:
    pairs = pd.unique(_pairs(item, buyer)[mask])
    return np.bincount(pairs // (int(buyer.max(initial=-1)) + 1), minlength=n_items).astype(np.float64)


def build_aggregates(
    dataset: Dataset, as_of: pd.Timestamp, catalogue: Catalogue, config: RecommendConfig
) -> Aggregates:
    """Statistics of everything bought and viewed strictly before ``as_of`` (guests included, by order)."""
    enc = encoded(dataset, catalogue)
    n_items = len(catalogue)
    rows = enc.order_rows(as_of) & (enc.quantity > 0) & (enc.order_item >= 0)
    item = enc.order_item[rows].astype(np.int64)
    # codes as a factorisation of the rows before ``as_of`` would number them (first seen, first)
    buyer = pd.factorize(enc.buyer[rows])[0]
    order = pd.factorize(enc.order_code[rows])[0]
    customer = enc.order_customer[rows]
    age = days_before(as_of, enc.ordered_at[rows])

    n = config.neighbours
    similar = item_knn(
        binary_matrix(buyer, item, buyer.max(initial=-1) + 1, n_items), n, config.min_co_buyers
    )
    together = item_knn(
        binary_matrix(order, item, order.max(initial=-1) + 1, n_items), n, config.min_co_buyers
    )

    viewed = enc.event_rows(as_of) & enc.interest & (enc.event_item >= 0)
    session = pd.factorize(enc.session[viewed])[0]
    coview = item_knn(
        binary_matrix(session, enc.event_item[viewed], session.max(initial=-1) + 1, n_items),
        n,
        config.min_co_buyers,
    )

    region_of = enc.customer_region(customer, as_of)
    region_codes = distinct(region_of)
    codes = np.searchsorted(region_codes, region_of)  # as np.unique's inverse, without its cost
    del region_of
    regions = enc.region_names[region_codes]
    region_counts = np.zeros((len(regions), n_items))
    everything = np.ones(len(item), dtype=bool)
    for r in range(len(regions)):
        region_counts[r] = _buyers(item, buyer, codes == r, n_items)
    segment_centroids, segment_popular = _segments(customer, item, age, catalogue, config)
    recent = _buyers(item, buyer, age < config.popular_days, n_items)
    top_in_category = np.zeros(len(catalogue.categories))
    np.maximum.at(top_in_category, catalogue.category, recent)
    category_popular = np.divide(
        recent,
        top_in_category[catalogue.category],
        out=np.zeros(n_items),
        where=top_in_category[catalogue.category] > 0,
    )
    in_category = np.bincount(catalogue.category, weights=recent, minlength=len(catalogue.categories))
    category_buyer_share = np.divide(
        recent,
        in_category[catalogue.category],
        out=np.zeros(n_items),
        where=in_category[catalogue.category] > 0,
    )
    # distinct (item, buyer, day) rows, sorted: the days of each (item, buyer) pair are runs of them (a
    # sort of one int64 key rather than a hash table of millions of them: ~100 MB less at 100,000 customers)
    day = np.floor(age).astype(np.int64)
    days = int(day.max(initial=0)) + 1
    pair = distinct(_pairs(item, buyer) * days + day) // days
    starts = run_starts(pair)
    per_pair = run_ends(starts, len(pair)) - starts
    pair_item = pair[starts] // (int(buyer.max(initial=-1)) + 1)
    del pair, starts
    repeaters = np.bincount(pair_item[per_pair > 1], minlength=n_items)
    all_buyers = np.bincount(pair_item, minlength=n_items)
    repurchase = np.divide(repeaters, all_buyers, out=np.zeros(n_items), where=all_buyers > 0)
    return Aggregates(
        similar_idx=similar[0],
        similar_sim=similar[1],
        together_idx=together[0],
        together_sim=together[1],
        coview_idx=coview[0],
        coview_sim=coview[1],
        popular=_scaled(recent),
        trending=_scaled(_buyers(item, buyer, age < config.trending_days, n_items)),
        overall=_scaled(_buyers(item, buyer, everything, n_items)),
        repurchase=repurchase,
        regions=tuple(regions.tolist()),
        region_popular=_scaled(region_counts),
        category_popular=category_popular,
        category_buyer_share=category_buyer_share,
        segment_centroids=segment_centroids,
        segment_popular=segment_popular,
    )


def _segments(
    customer: np.ndarray, item: np.ndarray, age: np.ndarray, catalogue: Catalogue, config: RecommendConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Segment centroids from known customers' product purchases (distinct item-days), and each
    segment's recent distinct buyers per item."""
    n_items, n_cat = len(catalogue), len(catalogue.categories)
    known = (customer >= 0) & catalogue.is_product[item]
    cust = pd.factorize(customer[known])[0]  # first seen, first: the rows of the shares k-means reads
    # distinct (customer, item, day) purchases as one sorted int64 key each (the shares and counts below
    # are sums of ones, whatever the order of the rows): no frame of them, nor pandas' hash tables
    day = np.floor(age[known]).astype(np.int64)
    days = int(day.max(initial=0)) + 1
    lines = distinct((cust * n_items + item[known]) * days + day)
    del known, day
    n_cust = int(cust.max(initial=-1)) + 1
    b, i = lines // (n_items * days), lines // days % n_items
    shares = category_shares(b, catalogue.category[i], np.ones(len(lines)), n_cust, n_cat)
    centroids = fit_centroids(shares, config.segments)
    segment = assign(shares, centroids)
    recent = lines % days < config.segment_days
    counts = np.zeros((len(centroids), n_items))
    pairs = distinct(b[recent] * n_items + i[recent])
    if len(centroids):
        np.add.at(counts, (segment[pairs // n_items], pairs % n_items), 1.0)
    return centroids, _scaled(counts)
