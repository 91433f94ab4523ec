"""Item-to-item neighbours: cosine similarity of item columns of a sparse user x item matrix, top n kept."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# Rows of the item x item product computed at once: bounds memory on large catalogues.
BLOCK_ITEMS = 2048


def binary_matrix(rows: np.ndarray, items: np.ndarray, n_rows: int, n_items: int) -> sp.csr_matrix:
    """1 where a row (customer, session) touched an item, whatever the number of times."""
    m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, items)), shape=(n_rows, n_items))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def item_knn(matrix: sp.csr_matrix, n: int, min_common: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """For each item, its ``n`` most cosine-similar items (indices, similarities), best first.

    Slots without a neighbour hold index -1 and similarity 0. An item is never its own neighbour; pairs
    shared by fewer than ``min_common`` rows are dropped (one shared basket is chance, not affinity).
    """
    x = sp.csc_matrix(matrix, dtype=np.float32)
    n_items = x.shape[1]
    counts = np.asarray(x.sum(axis=0)).ravel()
    norms = np.sqrt(counts)
    idx = np.full((n_items, n), -1, dtype=np.int32)
    sim = np.zeros((n_items, n), dtype=np.float32)
    xt = x.T.tocsr()
    for start in range(0, n_items, BLOCK_ITEMS):
        stop = min(start + BLOCK_ITEMS, n_items)
        common = (xt[start:stop] @ x).toarray()  # co-occurrence counts of the block's items with all
        common[np.arange(stop - start), np.arange(start, stop)] = 0.0
        common[common < min_common] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = common / np.outer(norms[start:stop], norms)
        cos = np.nan_to_num(cos, nan=0.0, posinf=0.0)
        k = min(n, n_items)
        top = (
            np.argpartition(-cos, k - 1, axis=1)[:, :k]
            if k < n_items
            else np.tile(np.arange(n_items), (stop - start, 1))
        )
        top_sim = np.take_along_axis(cos, top, axis=1)
        order = np.lexsort((top, -top_sim), axis=1)  # ties broken by item index: the same lists every run
        top = np.take_along_axis(top, order, axis=1)
        top_sim = np.take_along_axis(top_sim, order, axis=1)
        keep = top_sim > 0
        idx[start:stop, :k] = np.where(keep, top, -1)
        sim[start:stop, :k] = np.where(keep, top_sim, 0.0)
    return idx, sim


def neighbour_scores(
    idx: np.ndarray, sim: np.ndarray, seeds: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Sum over the seed items of their neighbours' similarities: one score per item (vectorised)."""
    if len(seeds) == 0:
        return np.zeros(idx.shape[0], dtype=np.float64)
    nbr = idx[seeds]
    contrib = sim[seeds].astype(np.float64)
    if weights is not None:
        contrib *= weights[:, None]
    ok = nbr >= 0
    # bincount adds in input order like np.add.at (the same sums), in a fraction of its time per request
    return np.bincount(nbr[ok], weights=contrib[ok], minlength=idx.shape[0])


def neighbour_scores_many(
    idx: np.ndarray,
    sim: np.ndarray,
    seeds: np.ndarray,
    owner: np.ndarray,
    n_owners: int,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`neighbour_scores` of each owner's seeds (``owner`` gives each seed's): owners x items."""
    n_items = idx.shape[0]
    if len(seeds) == 0:
        return np.zeros((n_owners, n_items), dtype=np.float64)
    nbr = idx[seeds]
    contrib = sim[seeds].astype(np.float64)
    if weights is not None:
        contrib *= weights[:, None]
    ok = nbr >= 0
    # bincount adds in input order like np.add.at (the same sums, seed by seed within an owner), in a
    # fraction of its time
    keys = (owner[:, None] * n_items + nbr)[ok]
    return np.bincount(keys, weights=contrib[ok], minlength=n_owners * n_items).reshape(n_owners, n_items)
