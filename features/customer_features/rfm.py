"""Recency, frequency, monetary value and purchase rhythm."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.customer_features import names as n
from features.customer_features.grouping import DAY, CustomerIndex, days_between, ratio
from features.customer_features.order_summary import OrderSummary


def _gaps(summary: OrderSummary, index: CustomerIndex) -> dict[str, np.ndarray]:
    """Mean, std and last of the days between a customer's consecutive purchases."""
    buy = summary.is_purchase
    customer, time = summary.customer[buy], summary.time[buy]
    same = customer[1:] == customer[:-1]
    gap_days = ((time[1:] - time[:-1]) / DAY).astype(np.float64)[same]
    owner = customer[1:][same]
    count = index.count(owner)
    mean = ratio(index.total(owner, gap_days), count)
    mean_sq = ratio(index.total(owner, gap_days**2), count)
    std = np.sqrt(np.clip(mean_sq - mean**2, 0, None))
    std[count < 2] = np.nan
    last = np.full(len(index), np.nan)
    # Entries are time-sorted within a customer, so the last write per customer is the latest gap.
    last[owner] = gap_days
    return {n.GAP_MEAN_DAYS: mean, n.GAP_STD_DAYS: std, n.GAP_LAST_DAYS: last}


def rfm_features(summary: OrderSummary, index: CustomerIndex, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    now = np.datetime64(as_of.to_datetime64(), "us")
    codes, buy = summary.customer, summary.is_purchase
    n_orders = index.count(codes, buy)
    days_since_last = days_between(now, index.latest(codes, summary.time, buy))
    out: dict[str, np.ndarray] = {
        n.DAYS_SINCE_LAST_ORDER: days_since_last,
        n.DAYS_SINCE_FIRST_ORDER: days_between(now, index.earliest(codes, summary.time, buy)),
        n.N_ORDERS: n_orders,
        n.TOTAL_SPEND: index.total(codes, summary.amount),
        n.AVG_ORDER_VALUE: ratio(index.total(codes, summary.amount, buy), n_orders),
    }
    out.update(_gaps(summary, index))
    out[n.RECENCY_GAP_RATIO] = ratio(days_since_last, out[n.GAP_MEAN_DAYS])
    age_days = ((now - summary.time) / DAY).astype(np.float64)
    for days in n.WINDOWS_DAYS:
        recent = age_days <= days
        out[n.orders_in(days)] = index.count(codes, buy & recent)
        out[n.spend_in(days)] = index.total(codes, summary.amount, recent)
    previous = (age_days > 90) & (age_days <= 180)
    out[n.ORDERS_TREND_90D] = out[n.orders_in(90)] - index.count(codes, buy & previous)
    out[n.SPEND_TREND_90D] = out[n.spend_in(90)] - index.total(codes, summary.amount, previous)
    return out
