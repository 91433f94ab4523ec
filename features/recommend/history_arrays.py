"""The per-customer sums of :class:`~features.recommend.history.CustomerHistory` over integer codes, in numpy.

Grouping millions of rows as pandas frames (a frame per window, its group codes, a transform column per
statistic) held ~0.3 GB per training window at 100,000 customers; one sort of the codes gives the same
groups, in the same order, from arrays a few bytes a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.recommend.runs import distinct, order_by, run_ends, run_starts


@dataclass(frozen=True)
class PurchaseStats:
    """Per customer (``n`` of them) and per (customer, item) pair, pairs by customer then item."""

    orders: np.ndarray  # distinct purchase days
    since_last: np.ndarray  # fewest days since a purchase, nan without one
    since_first: np.ndarray
    owner: np.ndarray  # customer of each pair
    items: np.ndarray
    days: np.ndarray  # distinct days the pair was bought
    days_since: np.ndarray  # days since its latest purchase
    gap: np.ndarray  # span between its first and last purchase over the gaps between, nan if bought once


def purchase_stats(
    cust: np.ndarray, item: np.ndarray, day: np.ndarray, n: int, n_items: int
) -> PurchaseStats:
    """``cust`` in [0, n), ``item`` in [0, n_items), ``day``: whole days before the cutoff (floats >= 0)."""
    whole = day.astype(np.int64)
    span = int(whole.max(initial=0)) + 1
    # one sorted key per distinct (customer, item, day): customer-major, as a sorted groupby numbers them
    keys = distinct((cust.astype(np.int64) * n_items + item) * span + whole)
    pair = keys // span
    pair_day = (keys % span).astype(np.float64)
    del keys
    starts = run_starts(pair)
    ends = run_ends(starts, len(pair))
    count = ends - starts
    first, last = pair_day[starts], pair_day[ends - 1]
    gap = np.where(count > 1, (last - first) / np.maximum(count - 1, 1), np.nan)
    # per customer: distinct days over all items
    by_day = distinct(cust.astype(np.int64) * span + whole)
    owner_of_day = by_day // span
    cust_starts = run_starts(owner_of_day)
    cust_ends = run_ends(cust_starts, len(by_day))
    who = owner_of_day[cust_starts]
    orders = np.zeros(n, dtype=np.float64)
    since_last = np.full(n, np.nan)
    since_first = np.full(n, np.nan)
    orders[who] = cust_ends - cust_starts
    since_last[who] = (by_day[cust_starts] % span).astype(np.float64)
    since_first[who] = (by_day[cust_ends - 1] % span).astype(np.float64)
    return PurchaseStats(
        orders=orders,
        since_last=since_last,
        since_first=since_first,
        owner=pair[starts] // n_items,
        items=pair[starts] % n_items,
        days=count.astype(np.float64),
        days_since=first,
        gap=gap.astype(np.float64),
    )


@dataclass(frozen=True)
class LatestViews:
    """Up to ``max_viewed`` distinct items per customer, by customer then latest first."""

    owner: np.ndarray
    items: np.ndarray
    row: np.ndarray  # the row of the item's latest view (the day is read from it)
    carted: np.ndarray  # any of the pair's rows carted
    wished: np.ndarray
    sessions: np.ndarray  # distinct sessions among the pair's rows


def latest_views(
    cust: np.ndarray,
    item: np.ndarray,
    session: np.ndarray,
    carted: np.ndarray,
    wished: np.ndarray,
    n_items: int,
    max_viewed: int,
) -> LatestViews:
    """Rows latest first (ties in row order); ``cust`` >= 0 and ``item`` in [0, n_items)."""
    pair = cust.astype(np.int64) * n_items + item
    # by pair, then session: a pair's distinct sessions are the changes of session within it
    order = order_by(pair, session)
    sorted_pair = pair[order]
    del pair
    starts = run_starts(sorted_pair)
    new_session = np.empty(len(order), dtype=bool)
    if len(order):
        sorted_session = session[order]
        new_session[0] = True
        np.not_equal(sorted_session[1:], sorted_session[:-1], out=new_session[1:])
        del sorted_session
        new_session[starts] = True
    if not len(starts):
        empty = np.zeros(0, dtype=np.int64)
        return LatestViews(empty, empty, empty, empty.astype(bool), empty.astype(bool), empty.astype(float))
    sessions = np.add.reduceat(new_session, starts, dtype=np.int64)
    del new_session
    # the smallest row of a pair is its latest view, whatever order the sort left its rows in
    row = np.minimum.reduceat(order, starts)
    any_carted = np.logical_or.reduceat(carted[order], starts)
    any_wished = np.logical_or.reduceat(wished[order], starts)
    del order
    pairs = sorted_pair[starts]
    del sorted_pair
    owner = pairs // n_items
    # each customer's pairs latest first (rows are distinct), the first ``max_viewed`` kept
    by_owner = order_by(owner, row)
    owner = owner[by_owner]
    owner_starts = run_starts(owner)
    rank = np.arange(len(owner)) - np.repeat(owner_starts, run_ends(owner_starts, len(owner)) - owner_starts)
    kept = by_owner[rank < max_viewed]
    return LatestViews(
        owner=owner[rank < max_viewed],
        items=pairs[kept] % n_items,
        row=row[kept],
        carted=any_carted[kept],
        wished=any_wished[kept],
        sessions=sessions[kept].astype(np.float64),
    )
