"""Top-k ranking metrics with binary relevance, averaged over customers."""

from __future__ import annotations

import numpy as np

METRIC_K = 10


def _hits(ranked: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
    return np.isin(ranked[:k], relevant).astype(np.float64)


def recall_at_k(ranked: np.ndarray, relevant: np.ndarray, k: int) -> float:
    """Hits over the most a list of ``k`` could hit, min(k, relevant): 1.0 is a perfect list."""
    return float(_hits(ranked, relevant, k).sum() / min(k, len(relevant)))


def ndcg_at_k(ranked: np.ndarray, relevant: np.ndarray, k: int) -> float:
    hits = _hits(ranked, relevant, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(k, len(relevant))].sum()
    return float((hits * discounts[: len(hits)]).sum() / ideal)


def map_at_k(ranked: np.ndarray, relevant: np.ndarray, k: int) -> float:
    hits = _hits(ranked, relevant, k)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / min(k, len(relevant)))


def summarise(
    lists: list[np.ndarray], relevant: list[np.ndarray], n_products: int, k: int = METRIC_K
) -> dict[str, float]:
    """Recall@k, NDCG@k, MAP@k averaged over customers, and catalogue coverage of the top-k lists."""
    shown = np.unique(np.concatenate([r[:k] for r in lists])) if lists else np.array([])
    return {
        f"recall_at_{k}": float(
            np.mean([recall_at_k(r, t, k) for r, t in zip(lists, relevant, strict=True)])
        ),
        f"ndcg_at_{k}": float(np.mean([ndcg_at_k(r, t, k) for r, t in zip(lists, relevant, strict=True)])),
        f"map_at_{k}": float(np.mean([map_at_k(r, t, k) for r, t in zip(lists, relevant, strict=True)])),
        "coverage": len(shown) / max(n_products, 1),
    }
