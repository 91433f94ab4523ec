"""The behavioural features clusters are built on: what a customer buys, where, how much and how often."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import vocab
from features.customer_features import names as n

# Amounts and counts are heavy-tailed: log1p keeps one big spender from owning a cluster.
LOG_COLUMNS: tuple[str, ...] = (n.AVG_ORDER_VALUE, n.orders_in(365), n.web_count("sessions", 30))
SHARE_COLUMNS: tuple[str, ...] = (
    *(n.order_share(ch) for ch in vocab.ORDER_CHANNELS),
    n.DISCOUNT_SHARE,
    n.campaign_measure("open_rate"),
)


def behaviour_columns(frame_columns: list[str] | pd.Index) -> list[str]:
    categories = sorted(col for col in frame_columns if col.startswith(n.CATEGORY_SHARE_PREFIX))
    return [*SHARE_COLUMNS, *categories, *LOG_COLUMNS]


def behaviour_matrix(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Columns in the given order; a missing rate (no contact, no order on a channel) counts as 0."""
    out = np.empty((len(frame), len(columns)))
    for j, col in enumerate(columns):
        values = frame[col].to_numpy(dtype=float) if col in frame else np.zeros(len(frame))
        values = np.nan_to_num(values, nan=0.0)
        out[:, j] = np.log1p(np.clip(values, 0, None)) if col in LOG_COLUMNS else values
    return out


def is_buyer(frame: pd.DataFrame) -> np.ndarray:
    return frame[n.N_ORDERS].to_numpy(dtype=float) > 0
