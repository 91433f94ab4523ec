"""Segment profiles for marketers and for MLflow: aggregates only, never a row per customer."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from features import vocab
from features.consent_gate import CHANNEL_PURPOSE
from features.customer_features import names as n

TOP_CATEGORIES = 3


def profile_columns(columns: Iterable[str]) -> list[str]:
    """The feature columns a profile reads, of ``columns`` (what a caller holding many customers keeps)."""
    columns = list(columns)
    read = [
        n.spend_in(365),
        n.orders_in(365),
        n.DAYS_SINCE_LAST_ORDER,
        *(n.avg_basket(channel) for channel in vocab.ORDER_CHANNELS),
        *(col for col in columns if col.startswith(n.CATEGORY_SHARE_PREFIX)),
        n.consent("profiling"),
        *(n.consent(purpose) for purpose in CHANNEL_PURPOSE.values()),
    ]
    return list(dict.fromkeys(read))


def segment_profile(features: pd.DataFrame, memberships: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One row per value of ``kind`` (e.g. ``rfm_segment``): size, revenue share, basket per channel, top
    categories and the share of members reachable on each channel (consent and profiling granted)."""
    frame = features[profile_columns(features.columns)].reset_index(drop=True)
    frame = frame.assign(_segment=memberships[kind].to_numpy())
    spend = frame[n.spend_in(365)].clip(lower=0)
    total_revenue = spend.sum()
    grouped = frame.groupby("_segment", sort=True)
    out = pd.DataFrame(
        {
            "customers": grouped.size(),
            "share": grouped.size() / len(frame),
            "revenue_share_365d": spend.groupby(frame["_segment"]).sum() / total_revenue
            if total_revenue
            else 0.0,
            "orders_365d_mean": grouped[n.orders_in(365)].mean(),
            "days_since_last_order_median": grouped[n.DAYS_SINCE_LAST_ORDER].median(),
        }
    )
    for channel in vocab.ORDER_CHANNELS:
        out[f"avg_basket_{channel}"] = grouped[n.avg_basket(channel)].mean()
    categories = [col for col in frame.columns if col.startswith(n.CATEGORY_SHARE_PREFIX)]
    if categories:
        means = grouped[categories].mean()
        out["top_categories"] = [
            ", ".join(col.removeprefix(n.CATEGORY_SHARE_PREFIX) for col in row.nlargest(TOP_CATEGORIES).index)
            for _, row in means.iterrows()
        ]
    profiling = frame[n.consent("profiling")].astype(bool)
    for channel, purpose in CHANNEL_PURPOSE.items():
        reachable = frame[n.consent(purpose)].astype(bool) & profiling
        out[f"reach_{channel}"] = reachable.groupby(frame["_segment"]).mean()
    out.index.name = kind
    return out.reset_index().replace({np.inf: np.nan})
