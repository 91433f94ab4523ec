"""RFM scores 1-5 by quintile, and the named RFM segment of each customer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from features.customer_features import names as n
from features.segments.rfm_map import GRID, PROSPECTS

R_SCORE, F_SCORE, M_SCORE, FM_SCORE = "rfm_r", "rfm_f", "rfm_m", "rfm_fm"
RFM_SEGMENT = "rfm_segment"
QUINTILES = np.array([0.2, 0.4, 0.6, 0.8])


def _frequency_key(n_orders: np.ndarray, spend: np.ndarray, scale: float) -> np.ndarray:
    """Order count with spend as a tie-breaker in [0, 1): equal counts no longer pile into one quintile,
    and the key of a new customer can be placed against the fitted edges (a rank could not)."""
    positive = np.clip(spend, 0, None)
    return n_orders + positive / (positive + scale)


def _score(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return (np.searchsorted(edges, values, side="right") + 1).astype(np.int64)


class RFMScorer(BaseEstimator, TransformerMixin):
    """Learns quintile edges of recency, frequency and monetary value on the buyers it is fitted on.

    Recency is reversed (5 = most recent). ``transform`` returns the three scores, FM = ceil((F+M)/2) and
    the segment from :data:`features.segments.rfm_map.GRID`; customers without a purchase are prospects.
    """

    def __init__(
        self,
        recency: str = n.DAYS_SINCE_LAST_ORDER,
        frequency: str = n.N_ORDERS,
        monetary: str = n.TOTAL_SPEND,
    ):
        self.recency = recency
        self.frequency = frequency
        self.monetary = monetary

    def _columns(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        buyers = frame[self.frequency].to_numpy(dtype=float) > 0
        return (
            buyers,
            frame[self.recency].to_numpy(dtype=float),
            frame[self.frequency].to_numpy(dtype=float),
            frame[self.monetary].to_numpy(dtype=float),
        )

    def fit(self, frame: pd.DataFrame, y=None) -> RFMScorer:
        buyers, recency, frequency, monetary = self._columns(frame)
        if buyers.sum() < 5:
            raise ValueError("RFM scoring needs at least 5 customers with a purchase")
        self.spend_scale_ = float(max(np.median(monetary[buyers]), 1.0))
        key = _frequency_key(frequency[buyers], monetary[buyers], self.spend_scale_)
        # Recency is scored on its negation so that a higher score always means better.
        self.recency_edges_ = np.quantile(-recency[buyers], QUINTILES)
        self.frequency_edges_ = np.quantile(key, QUINTILES)
        self.monetary_edges_ = np.quantile(monetary[buyers], QUINTILES)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        buyers, recency, frequency, monetary = self._columns(frame)
        r = _score(-recency, self.recency_edges_)
        f = _score(_frequency_key(frequency, monetary, self.spend_scale_), self.frequency_edges_)
        m = _score(monetary, self.monetary_edges_)
        fm = np.ceil((f + m) / 2).astype(np.int64)
        lookup = np.array([GRID[ri] for ri in range(1, 6)], dtype=object)  # [r-1, fm-1]
        segment = lookup[r - 1, fm - 1]
        segment[~buyers] = PROSPECTS
        scores = pd.DataFrame(
            {R_SCORE: r, F_SCORE: f, M_SCORE: m, FM_SCORE: fm, RFM_SEGMENT: segment}, index=frame.index
        )
        scores.loc[~buyers, [R_SCORE, F_SCORE, M_SCORE, FM_SCORE]] = 0
        return scores
