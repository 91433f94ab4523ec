"""Behavioural clusters: scaled behaviour, k-means with k chosen by silhouette, names stable over retrains."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from features.customer_features import names as n
from features.segments.behaviour import behaviour_columns, behaviour_matrix, is_buyer
from features.segments.naming import cluster_names, unique_names

CLUSTER_ID, CLUSTER_NAME = "cluster_id", "cluster_name"
NO_CLUSTER_ID, NO_CLUSTER_NAME = -1, "no purchase yet"
# Two clusters are "the same group of customers" when their overlap (Jaccard) reaches this.
SAME_GROUP_JACCARD = 0.5


class BehaviourClusters(BaseEstimator):
    """k-means on standardised behaviour; k is the silhouette-best in ``k_range`` among the solutions
    whose smallest cluster holds at least ``min_share`` of the customers it is fitted on.

    Profiles are learnt from customers with at least ``min_orders`` orders: one order says little about
    a channel mix or a taste, and such noisy points blur the clusters for everyone. Every buyer is then
    assigned to the nearest profile.
    """

    def __init__(
        self,
        k_range: tuple[int, int] = (3, 9),
        min_share: float = 0.06,
        random_state: int = 0,
        silhouette_sample: int = 8000,
        n_init: int = 10,
        min_orders: int = 2,
    ):
        self.k_range = k_range
        self.min_share = min_share
        self.random_state = random_state
        self.silhouette_sample = silhouette_sample
        self.n_init = n_init
        self.min_orders = min_orders

    def _fit_k(self, x: np.ndarray, k: int, sample: np.ndarray) -> tuple[KMeans, float, float]:
        model = KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state).fit(x)
        smallest = np.bincount(model.labels_, minlength=k).min() / len(x)
        score = silhouette_score(x[sample], model.labels_[sample]) if k > 1 else -1.0
        return model, float(score), float(smallest)

    def fit(self, frame: pd.DataFrame, y=None) -> BehaviourClusters:
        lo, hi = self.k_range
        buyers = is_buyer(frame)
        established = frame[n.N_ORDERS].to_numpy(dtype=float) >= self.min_orders
        if established.sum() < 20 * hi:
            established = buyers  # too little history: learn from every buyer
        if established.sum() < 10 * hi:
            raise ValueError(f"clustering needs at least {10 * hi} buyers, got {int(established.sum())}")
        self.fitted_on_ = int(established.sum())
        buyers = established
        self.columns_ = behaviour_columns(frame.columns)
        raw = behaviour_matrix(frame[buyers], self.columns_)
        self.scaler_ = StandardScaler().fit(raw)
        x = self.scaler_.transform(raw)
        rng = np.random.default_rng(self.random_state)
        sample = rng.choice(len(x), size=min(self.silhouette_sample, len(x)), replace=False)
        self.silhouette_by_k_: dict[int, float] = {}
        best: tuple[float, KMeans] | None = None
        for k in range(lo, hi + 1):
            model, score, smallest = self._fit_k(x, k, sample)
            self.silhouette_by_k_[k] = score
            if smallest >= self.min_share and (best is None or score > best[0]):
                best = (score, model)
        if best is None:
            raise ValueError(
                f"no k in {self.k_range} gives clusters of at least {self.min_share:.0%} of buyers"
            )
        self.silhouette_, self.kmeans_ = best
        self.k_ = int(self.kmeans_.n_clusters)
        labels = self.kmeans_.labels_
        self.profiles_ = pd.DataFrame(
            {
                col: pd.Series(frame.loc[buyers, col].to_numpy(dtype=float)).fillna(0).groupby(labels).mean()
                for col in self.columns_
            }
        )
        base = frame.loc[buyers, self.columns_].astype(float).fillna(0).mean()
        self.ids_ = np.arange(self.k_)
        self.names_ = cluster_names(self.profiles_, base)
        return self

    def labels(self, frame: pd.DataFrame) -> np.ndarray:
        """Internal k-means label of each customer; -1 for customers without a purchase."""
        out = np.full(len(frame), -1, dtype=np.int64)
        buyers = is_buyer(frame)
        if buyers.any():
            x = self.scaler_.transform(behaviour_matrix(frame[buyers], self.columns_))
            out[buyers] = self.kmeans_.predict(x)
        return out

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        labels = self.labels(frame)
        ids = np.where(labels >= 0, self.ids_[labels.clip(0)], NO_CLUSTER_ID)
        names = np.array([*self.names_, NO_CLUSTER_NAME], dtype=object)[np.where(labels >= 0, labels, -1)]
        return pd.DataFrame({CLUSTER_ID: ids, CLUSTER_NAME: names}, index=frame.index)

    def align_to(self, champion: BehaviourClusters, frame: pd.DataFrame) -> float:
        """Give each cluster that is the same group of customers as a champion cluster that cluster's id and
        name; return the share of buyers who keep their name. New groups get new ids and names."""
        mine, theirs = self.labels(frame), champion.labels(frame)
        buyers = mine >= 0
        mine, theirs = mine[buyers], theirs[buyers]
        overlap = np.zeros((self.k_, champion.k_))
        np.add.at(overlap, (mine, theirs), 1)
        sizes_mine, sizes_theirs = overlap.sum(axis=1), overlap.sum(axis=0)
        jaccard = overlap / (sizes_mine[:, None] + sizes_theirs[None, :] - overlap)
        rows, cols = linear_sum_assignment(-jaccard)
        ids, names = np.full(self.k_, -1), [""] * self.k_
        for r, c in zip(rows, cols, strict=True):
            if jaccard[r, c] >= SAME_GROUP_JACCARD:
                ids[r], names[r] = champion.ids_[c], champion.names_[c]
        fresh = [i for i in range(self.k_) if ids[i] < 0]
        next_id = int(max(champion.ids_.max(), -1)) + 1
        new_names = unique_names([self.names_[i] for i in fresh], taken={n for n in names if n})
        for offset, (i, name) in enumerate(zip(fresh, new_names, strict=True)):
            ids[i], names[i] = next_id + offset, name
        self.ids_, self.names_ = ids, names
        kept = np.array(names, dtype=object)[mine] == np.array(champion.names_, dtype=object)[theirs]
        return float(kept.mean()) if len(kept) else 1.0
