"""The numpy groupings of a customer history equal the pandas groupbys they replaced, row for row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.recommend.history import MAX_VIEWED
from features.recommend.history_arrays import latest_views, purchase_stats
from features.recommend.runs import distinct, order_by, run_ends, run_starts

N_ITEMS = 7


def pandas_purchases(cust: np.ndarray, item: np.ndarray, day: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """How CustomerHistory.build grouped the purchase lines with pandas."""
    lines = pd.DataFrame({"cust": cust, "item": item, "day": day}).drop_duplicates()
    per_item = lines.groupby(["cust", "item"], sort=True)["day"].agg(["count", "min", "max"]).reset_index()
    gap = np.where(
        per_item["count"] > 1,
        (per_item["max"] - per_item["min"]) / (per_item["count"] - 1).clip(lower=1),
        np.nan,
    )
    per_cust = lines.groupby("cust")["day"].agg(["nunique", "min", "max"])
    orders = np.zeros(n, dtype=np.float64)
    since_last = np.full(n, np.nan)
    since_first = np.full(n, np.nan)
    orders[per_cust.index.to_numpy()] = per_cust["nunique"].to_numpy()
    since_last[per_cust.index.to_numpy()] = per_cust["min"].to_numpy()
    since_first[per_cust.index.to_numpy()] = per_cust["max"].to_numpy()
    return {
        "orders": orders,
        "since_last": since_last,
        "since_first": since_first,
        "owner": per_item["cust"].to_numpy(dtype=np.int64),
        "items": per_item["item"].to_numpy(dtype=np.int64),
        "days": per_item["count"].to_numpy(dtype=np.float64),
        "days_since": per_item["min"].to_numpy(dtype=np.float64),
        "gap": gap.astype(np.float64),
    }


def pandas_views(cust, item, session, carted, wished, day) -> dict[str, np.ndarray]:
    """How CustomerHistory.build grouped the (latest first) views with pandas."""
    views = pd.DataFrame(
        {"cust": cust, "item": item, "day": day, "carted": carted, "wished": wished, "session": session}
    )
    by_pair = views.groupby(["cust", "item"])
    views["carted"] = by_pair["carted"].transform("max")
    views["wished"] = by_pair["wished"].transform("max")
    views["sessions"] = by_pair["session"].transform("nunique")
    views = views.drop_duplicates(["cust", "item"])
    views = views[views.groupby("cust").cumcount() < MAX_VIEWED].sort_values("cust", kind="stable")
    return {
        "owner": views["cust"].to_numpy(dtype=np.int64),
        "items": views["item"].to_numpy(dtype=np.int64),
        "day": views["day"].to_numpy(dtype=np.float64),
        "carted": views["carted"].to_numpy(dtype=bool),
        "wished": views["wished"].to_numpy(dtype=bool),
        "sessions": views["sessions"].to_numpy(dtype=np.float64),
    }


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)  # nan equals nan here, and nothing else is tolerated


def generated(rows: int, customers: int, seed: int) -> dict[str, np.ndarray]:
    """Few items, days and sessions for many rows: repeated pairs, same-day purchases and ties abound."""
    rng = np.random.default_rng(seed)
    return {
        "cust": rng.integers(0, max(customers, 1), rows).astype(np.int64),
        "item": rng.integers(0, N_ITEMS, rows).astype(np.int64),
        "day": np.floor(rng.uniform(0, 40, rows)),
        "session": rng.integers(0, 12, rows).astype(np.int32),
        "carted": rng.random(rows) < 0.2,
        "wished": rng.random(rows) < 0.05,
    }


CASES = [(0, 0), (0, 5), (1, 1), (60, 1), (500, 30), (3000, 3), (4000, 400)]


@pytest.mark.parametrize(("rows", "customers"), CASES)
def test_purchases_equal_pandas(rows: int, customers: int) -> None:
    g = generated(rows, customers, seed=rows + customers)
    n = customers + 2  # customers without a purchase keep zero orders and nan days
    got = purchase_stats(g["cust"], g["item"], g["day"], n, N_ITEMS)
    want = pandas_purchases(g["cust"], g["item"], g["day"], n)
    for name, expected in want.items():
        assert_same(np.asarray(getattr(got, name)), expected)


@pytest.mark.parametrize(("rows", "customers"), CASES)
def test_views_equal_pandas(rows: int, customers: int) -> None:
    g = generated(rows, customers, seed=7 * rows + customers)
    got = latest_views(g["cust"], g["item"], g["session"], g["carted"], g["wished"], N_ITEMS, MAX_VIEWED)
    want = pandas_views(g["cust"], g["item"], g["session"], g["carted"], g["wished"], g["day"])
    for name in ("owner", "items", "carted", "wished", "sessions"):
        assert_same(np.asarray(getattr(got, name)), want[name])
    assert_same(g["day"][got.row], want["day"])  # the row of each pair's latest view


def test_one_customer_viewing_more_than_kept() -> None:
    """Only the latest MAX_VIEWED distinct items stay, latest first, whatever item codes they have."""
    items = np.arange(MAX_VIEWED + 5)[::-1].astype(np.int64)
    cust = np.zeros(len(items), dtype=np.int64)
    flags = np.zeros(len(items), dtype=bool)
    got = latest_views(
        cust, items, np.zeros(len(items), dtype=np.int32), flags, flags, len(items), MAX_VIEWED
    )
    assert_same(got.items, items[:MAX_VIEWED])
    assert_same(got.row, np.arange(MAX_VIEWED))


def test_run_starts() -> None:
    assert_same(run_starts(np.array([], dtype=np.int64)), np.zeros(0, dtype=np.int64))
    assert_same(run_starts(np.array([3, 3, 4, 9, 9, 9])), np.array([0, 2, 3]))
    assert_same(run_ends(np.array([0, 2, 3]), 6), np.array([2, 3, 6]))
    assert_same(run_ends(np.zeros(0, dtype=np.int64), 0), np.zeros(0, dtype=np.int64))


def test_distinct_and_order_by() -> None:
    rng = np.random.default_rng(5)
    keys = rng.integers(0, 50, 1000)
    assert_same(distinct(keys), np.unique(keys))
    assert_same(distinct(keys[:0]), np.unique(keys[:0]))
    minor = rng.integers(0, 9, 1000)
    order = order_by(keys, minor)
    assert_same(np.sort(order), np.arange(1000))
    assert_same(keys[order] * 9 + minor[order], np.sort(keys * 9 + minor))
    # keys too wide for one int64: sorted as pairs all the same
    huge = keys.astype(np.int64) << 40
    wide = order_by(huge, minor << 30)
    assert_same(huge[wide], np.sort(huge))
    assert (np.diff(minor[wide])[np.diff(huge[wide]) == 0] >= 0).all()
