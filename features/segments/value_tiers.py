"""Value tiers: how much of their potential customers realise, against similar customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from features.customer_features import names as n

VALUE_SHARE, VALUE_TIER = "value_share", "value_tier"
TIERS: tuple[str, str, str] = ("conquer", "develop", "retain")
TENURE_BANDS_DAYS = (365.0, 3 * 365.0)


def tenure_band(frame: pd.DataFrame) -> np.ndarray:
    tenure = frame[n.TENURE_DAYS].to_numpy(dtype=float)
    return np.searchsorted(np.array(TENURE_BANDS_DAYS), np.nan_to_num(tenure), side="right")


class ValueTiers(BaseEstimator):
    """Realised share = spend of the last 365 days ÷ the ``percentile`` spend of the customer's peer group
    (behavioural cluster × tenure band; the cluster alone, then everyone, when the group is under
    ``min_group`` buyers). Tiers: under 30% conquer, 30-60% develop, over 60% retain."""

    def __init__(
        self,
        percentile: float = 0.9,
        min_group: int = 30,
        bounds: tuple[float, float] = (0.3, 0.6),
        spend: str = n.spend_in(365),
    ):
        self.percentile = percentile
        self.min_group = min_group
        self.bounds = bounds
        self.spend = spend

    def fit(self, frame: pd.DataFrame, clusters: np.ndarray) -> ValueTiers:
        spend = np.clip(frame[self.spend].to_numpy(dtype=float), 0, None)
        bands = tenure_band(frame)
        buyers = spend > 0
        self.overall_ = float(np.quantile(spend[buyers], self.percentile)) if buyers.any() else 1.0
        self.by_cluster_: dict[int, float] = {}
        self.by_group_: dict[tuple[int, int], float] = {}
        for cluster in np.unique(clusters):
            in_cluster = buyers & (clusters == cluster)
            if in_cluster.sum() >= self.min_group:
                self.by_cluster_[int(cluster)] = float(np.quantile(spend[in_cluster], self.percentile))
            for band in np.unique(bands):
                group = in_cluster & (bands == band)
                if group.sum() >= self.min_group:
                    self.by_group_[(int(cluster), int(band))] = float(
                        np.quantile(spend[group], self.percentile)
                    )
        return self

    def potential(self, frame: pd.DataFrame, clusters: np.ndarray) -> np.ndarray:
        bands = tenure_band(frame)
        return np.array(
            [
                self.by_group_.get((int(c), int(b)), self.by_cluster_.get(int(c), self.overall_))
                for c, b in zip(clusters, bands, strict=True)
            ]
        )

    def predict(self, frame: pd.DataFrame, clusters: np.ndarray) -> pd.DataFrame:
        spend = np.clip(frame[self.spend].to_numpy(dtype=float), 0, None)
        potential = self.potential(frame, clusters)
        share = np.clip(np.divide(spend, potential, out=np.zeros_like(spend), where=potential > 0), 0, 1)
        tier = np.array(TIERS, dtype=object)[np.searchsorted(np.array(self.bounds), share, side="right")]
        return pd.DataFrame({VALUE_SHARE: share, VALUE_TIER: tier}, index=frame.index)
