"""One-line, human reasons for a recommended item, from the source that proposed it."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from features.recommend.aggregates import Aggregates
from features.recommend.catalogue import Catalogue
from features.recommend.config import (
    BOUGHT_WITH,
    CO_VIEWED,
    CONTEXT,
    POPULAR,
    REGION_POPULAR,
    REPEAT,
    SEGMENT_POPULAR,
    TRENDING,
    RecommendConfig,
)
from features.recommend.history import Purchases


class _Seeds:
    """The neighbour lists of an answer's seed items, gathered once; :meth:`strongest` then finds, for an
    item, the seed whose list gives it its highest similarity (the first such seed on ties, -1 if none)."""

    def __init__(self, idx: np.ndarray, sim: np.ndarray, seeds: np.ndarray) -> None:
        self.seeds, self.idx, self.sim = seeds, idx[seeds], sim[seeds]

    def strongest(self, item: int) -> int:
        if len(self.seeds) == 0:
            return -1
        hits = np.where(self.idx == item, self.sim, 0.0).max(axis=1)
        best = int(np.argmax(hits))
        return int(self.seeds[best]) if hits[best] > 0 else -1


class Reasons:
    """The reasons of one answer's items. What they share (where each bought item sits in the history,
    the favourite category) is worked out once per answer, on first use."""

    def __init__(
        self,
        catalogue: Catalogue,
        agg: Aggregates,
        config: RecommendConfig,
        p: Purchases | None,
        context: np.ndarray,
    ) -> None:
        self.catalogue, self.agg, self.config, self.p, self.context = catalogue, agg, config, p, context

    @cached_property
    def _bought(self) -> dict[int, tuple[float, float]]:
        p = self.p
        assert p is not None
        return dict(
            zip(p.items.tolist(), zip(p.days_since.tolist(), p.gap.tolist(), strict=True), strict=True)
        )

    # an answer shows one or two items per source: the seeds' lists are gathered once, on first use
    @cached_property
    def _bought_with(self) -> _Seeds:
        assert self.p is not None
        return _Seeds(self.agg.similar_idx, self.agg.similar_sim, self.p.items)

    @cached_property
    def _viewed_with(self) -> _Seeds:
        assert self.p is not None
        return _Seeds(self.agg.coview_idx, self.agg.coview_sim, self.p.viewed)

    @cached_property
    def _goes_with(self) -> tuple[_Seeds, _Seeds]:
        agg = self.agg
        return (
            _Seeds(agg.together_idx, agg.together_sim, self.context),
            _Seeds(agg.coview_idx, agg.coview_sim, self.context),
        )

    @cached_property
    def _favourite(self) -> int:
        p = self.p
        if p is None or len(p.items) == 0:
            return -1
        return int(np.argmax(np.bincount(self.catalogue.category[p.items], weights=p.days)))

    def __call__(self, source: str, item: int) -> str:
        p, names = self.p, self.catalogue.names
        if source == REPEAT and p is not None and item in self._bought:
            days_since, gap = self._bought[item]
            last = f"last {days_since:.0f} days ago"
            return f"bought once, {last}" if np.isnan(gap) else f"bought every ~{gap:.0f} days, {last}"
        if source == BOUGHT_WITH and p is not None:
            seed = self._bought_with.strongest(item)
            return (
                f"often bought with {names[seed]}"
                if seed >= 0
                else "bought by customers with a similar history"
            )
        if source == CO_VIEWED and p is not None:
            if item in p.viewed.tolist():
                return "viewed recently"
            seed = self._viewed_with.strongest(item)
            return f"often viewed with {names[seed]}" if seed >= 0 else "viewed with your recent views"
        if source == CONTEXT:
            together, viewed = self._goes_with
            seed = together.strongest(item)
            if seed < 0:
                seed = viewed.strongest(item)
            return f"goes with {names[seed]}" if seed >= 0 else "goes with what you are looking at"
        if source == REGION_POPULAR and p is not None:
            return f"popular in {p.region}"
        if source == SEGMENT_POPULAR and p is not None:
            if self._favourite >= 0:
                category = self.catalogue.categories[self._favourite]
                return f"popular with shoppers who, like you, buy {category}"
            return "popular with shoppers like you"
        if source == TRENDING:
            return f"trending over the last {self.config.trending_days} days"
        if source == POPULAR:
            return f"popular over the last {self.config.popular_days} days"
        return "popular"
