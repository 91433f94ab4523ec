"""Shopping segments for "popular in the customer's segment": customers grouped by the mix of categories
they buy, so a customer who buys mostly wine and cheese is shown what similar shoppers buy now.

The segment is a point-in-time quantity: centroids come from purchases strictly before the cutoff, and a
customer is placed from their own history alone, so the served recommender needs no stored membership.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

SEGMENT_SEED = 7


def category_shares(
    rows: np.ndarray, categories: np.ndarray, weights: np.ndarray, n_rows: int, n_categories: int
) -> np.ndarray:
    """(n_rows, n_categories): each row's purchases spread over categories, summing to 1 (0 if none)."""
    counts = np.zeros((n_rows, n_categories))
    np.add.at(counts, (rows, categories), weights)
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)


def fit_centroids(shares: np.ndarray, k: int) -> np.ndarray:
    """K-means centroids of the customers' category shares; fewer when there are fewer distinct mixes."""
    distinct = np.unique(shares.round(6), axis=0) if len(shares) else shares
    k = min(k, len(distinct))
    if k <= 1:
        return shares.mean(axis=0, keepdims=True) if len(shares) else np.zeros((0, shares.shape[1]))
    # one thread: on a shared machine the OpenMP workers of a fit this small mostly spin, and that CPU
    # counts against the other jobs (the centroids are the same)
    with threadpool_limits(limits=1):
        fitted = KMeans(n_clusters=k, n_init=3, random_state=SEGMENT_SEED).fit(shares)
    # ordered by their first coordinates so the same data give the same segment numbers
    centroids = fitted.cluster_centers_
    return centroids[np.lexsort(centroids.T[::-1])]


def assign(shares: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Nearest centroid of each row of ``shares`` (-1 when there are no centroids)."""
    if len(centroids) == 0:
        return np.full(len(shares), -1, dtype=np.int64)
    # a centroid at a time: the same sums as over a (rows, centroids, categories) cube, without the cube
    # (~130 MB at 100,000 customers, held twice while squared)
    d = np.empty((len(shares), len(centroids)))
    for j, centroid in enumerate(centroids):
        d[:, j] = ((shares - centroid) ** 2).sum(axis=1)
    return np.argmin(d, axis=1).astype(np.int64)
