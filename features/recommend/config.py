"""Settings of the recommender and the names of its candidate sources, as one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

# Candidate sources, in the order of the source columns of the ranking features.
REPEAT = "repeat"
BOUGHT_WITH = "bought_with"
CO_VIEWED = "co_viewed"
CONTEXT = "context"
REGION_POPULAR = "region_popular"
TRENDING = "trending"
POPULAR = "popular"
SEGMENT_POPULAR = "segment_popular"
SOURCES: tuple[str, ...] = (
    REPEAT,
    BOUGHT_WITH,
    CO_VIEWED,
    CONTEXT,
    REGION_POPULAR,
    TRENDING,
    POPULAR,
    SEGMENT_POPULAR,
)
# Sources that use what Cible knows about the person: withheld when `profiling` is not granted.
PERSONAL_SOURCES: frozenset[str] = frozenset(
    {REPEAT, BOUGHT_WITH, CO_VIEWED, REGION_POPULAR, SEGMENT_POPULAR}
)


@dataclass(frozen=True)
class RecommendConfig:
    neighbours: int = 30  # kept per item for "similar items" / "bought together" and item-kNN scoring
    min_co_buyers: int = 2  # pairs bought together by fewer customers are noise, not neighbours
    # candidates taken from each source before ranking: 30 rather than 50 ranked as well on both development
    # windows (+6.8/+8.2% against +7.0/+7.3% relative NDCG@10) with a third fewer rows for the ranker to score
    per_source: int = 30
    popular_days: int = 30
    trending_days: int = 7
    # "popular in the customer's segment": customers are grouped by the mix of categories they buy
    # (k-means on category shares, before the cutoff); an item's popularity in a segment counts its
    # distinct buyers of the segment over the last ``segment_days``.
    segments: int = 8
    segment_days: int = 90
    # A non-replenishable item bought within this many days is not recommended again.
    recent_purchase_days: int = 60
    max_per_category: int | None = 4  # diversity: at most this many items of one category per answer
    margin_aware: bool = False  # order by score x unit margin instead of score
    exclude_out_of_stock: bool = True

    def __post_init__(self) -> None:
        for name in ("neighbours", "per_source", "popular_days", "trending_days", "segments", "segment_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_per_category is not None and self.max_per_category < 1:
            raise ValueError("max_per_category must be at least 1 (or None for no limit)")
