"""The segmentation model registered in MLflow: RFM scorer, behavioural clusters and value tiers."""

from __future__ import annotations

import pandas as pd
from sklearn.base import BaseEstimator

from features import columns as c
from features.segments.clusters import CLUSTER_ID, BehaviourClusters
from features.segments.rfm import RFMScorer
from features.segments.value_tiers import ValueTiers

SEGMENT_KINDS: dict[str, str] = {
    "rfm_segment": "RFM segment",
    "cluster_name": "behavioural cluster",
    "value_tier": "value tier",
}


class SegmentationModel(BaseEstimator):
    """Fitted on point-in-time customer features (feature set ``customer_v1``); ``predict`` returns one row
    of memberships per customer: RFM scores and segment, cluster id and name, value share and tier."""

    def __init__(
        self,
        rfm: RFMScorer | None = None,
        clusters: BehaviourClusters | None = None,
        tiers: ValueTiers | None = None,
        feature_set: str = "customer_v1",
    ):
        self.rfm = rfm
        self.clusters = clusters
        self.tiers = tiers
        self.feature_set = feature_set

    def fit(
        self, features: pd.DataFrame, y=None, champion: SegmentationModel | None = None
    ) -> SegmentationModel:
        self.rfm_ = (self.rfm or RFMScorer()).fit(features)
        self.clusters_ = (self.clusters or BehaviourClusters()).fit(features)
        self.stability_ = self.clusters_.align_to(champion.clusters_, features) if champion else None
        clusters = self.clusters_.predict(features)[CLUSTER_ID].to_numpy()
        self.tiers_ = (self.tiers or ValueTiers()).fit(features, clusters)
        return self

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        rfm = self.rfm_.transform(features)
        clusters = self.clusters_.predict(features)
        tiers = self.tiers_.predict(features, clusters[CLUSTER_ID].to_numpy())
        out = pd.concat([rfm, clusters, tiers], axis=1)
        out.insert(0, c.CUSTOMER_ID, features[c.CUSTOMER_ID].to_numpy())
        return out.reset_index(drop=True)
