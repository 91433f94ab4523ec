"""The served recommender: precomputed catalogue arrays, neighbour lists and popularity vectors, plus an
optional learning-to-rank model over the candidates. Per request it touches numpy arrays only."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from features.dataset import Dataset
from features.recommend.aggregates import Aggregates, build_aggregates
from features.recommend.candidate_batches import CandidateBatch, batch_size, generate_many
from features.recommend.candidates import FEATURES, Candidates, generate
from features.recommend.catalogue import Catalogue
from features.recommend.config import PERSONAL_SOURCES, POPULAR, SOURCES, RecommendConfig
from features.recommend.history import CustomerHistory, Purchases
from features.recommend.profiles import Profiles
from features.recommend.reasons import Reasons
from features.recommend.rules import allowed_mask, margin_order, pick

# v2 added each candidate's rank in every source's list; v3 adds the "popular in the customer's segment"
# source and category-affinity, co-purchase, category-timing and price-fit features. A ranker fitted on
# another set cannot score these rows.
RECOMMENDER_FEATURES_V3 = "recommender_features_v3"
CONTEXT_WEIGHT = 1.0
_CONTEXT_COLUMN = FEATURES.index("src_context")


class Recommendation(NamedTuple):
    sku: str
    score: float
    source: str
    reason: str


class Recommender:
    """Fit on a data set before ``as_of``; bind customer histories with :meth:`with_history` to serve.

    The fitted object holds aggregates only (what sells with what, what is popular where), so it can be
    logged to MLflow; histories stay with the data they come from.
    """

    def __init__(self, config: RecommendConfig | None = None, ranker: Any = None) -> None:
        self.config = config
        self.ranker = ranker  # a fitted lgb.LGBMRanker over candidates.FEATURES, or None for the heuristic

    def fit(self, dataset: Dataset, as_of: pd.Timestamp) -> Recommender:
        config = self.config or RecommendConfig()
        self.config_ = config
        self.as_of_ = pd.Timestamp(as_of)
        self.catalogue_ = Catalogue.from_products(dataset.products)
        self.aggregates_: Aggregates = build_aggregates(dataset, self.as_of_, self.catalogue_, config)
        agg = self.aggregates_
        # fallback order: recent popularity, then all-time, then the catalogue order
        self.fill_order_ = np.lexsort((np.arange(len(self.catalogue_)), -agg.overall, -agg.popular))
        self.feature_set_ = RECOMMENDER_FEATURES_V3
        self.history_: CustomerHistory | None = None
        return self

    def with_history(self, history: CustomerHistory | None) -> Recommender:
        bound = copy.copy(self)
        bound.history_ = history
        return bound

    def candidates(self, p: Purchases | None, context: np.ndarray) -> Candidates:
        self._check_feature_set()
        return generate(self.aggregates_, self.catalogue_, self.config_, p, context)

    def candidate_batches(self, profiles: Profiles) -> Iterator[tuple[int, CandidateBatch]]:
        """:meth:`candidates` without context for every customer of ``profiles``, a batch at a time:
        (the batch's first customer, its candidates)."""
        self._check_feature_set()
        size = batch_size(len(self.catalogue_))
        for start in range(0, len(profiles), size):
            part = profiles.select(np.arange(start, min(start + size, len(profiles))))
            yield start, generate_many(self.aggregates_, self.catalogue_, self.config_, part)

    def _check_feature_set(self) -> None:
        if getattr(self, "feature_set_", None) != RECOMMENDER_FEATURES_V3:
            # an older pickled model lacks the aggregates today's candidates are built from
            raise ValueError(
                f"this recommender was fitted on {getattr(self, 'feature_set_', 'an older feature set')}, "
                f"Cible now builds {RECOMMENDER_FEATURES_V3}: retrain it with `cible train nbo`"
            )

    def score(self, cands: Candidates) -> np.ndarray:
        if self.ranker is None or len(cands.items) == 0:
            return cands.heuristic
        self._check_ranker()
        raw = self.ranker.booster_.predict(cands.features, num_threads=1)  # threads cost more than a request
        # The ranker learns from purchase histories, which carry no request context: the page being viewed
        # or the cart adds a fixed bonus so "goes with what you look at" shows for visitors and customers.
        context = cands.features[:, _CONTEXT_COLUMN]
        bonus = CONTEXT_WEIGHT * context / context.max() if context.max() > 0 else 0.0
        return 1.0 / (1.0 + np.exp(-raw)) + bonus

    def _check_ranker(self) -> None:
        if self.ranker.n_features_ != len(FEATURES):
            raise ValueError(
                f"this recommender's ranker reads {self.ranker.n_features_} features, the candidates have "
                f"{len(FEATURES)} ({RECOMMENDER_FEATURES_V3}): retrain it with `cible train nbo`"
            )

    def rank(
        self, p: Purchases | None, context: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The top ``n`` candidates before business rules: (items, scores, source indices). For evaluation."""
        cands = self.candidates(p, context)
        scores = self.score(cands)
        order = np.argsort(-scores, kind="stable")[:n]
        return cands.items[order], scores[order], cands.source[order]

    def rank_many(self, profiles: Profiles, n: int) -> list[np.ndarray]:
        """:meth:`rank`'s items for many customers without context, candidates made a batch at a time with
        one ranker call per batch (the same scores: a tree ensemble scores each row on its own). For
        evaluation."""
        out: list[np.ndarray] = []
        for _, batch in self.candidate_batches(profiles):
            scores = self._batch_scores(batch)
            for b in range(len(batch.offsets) - 1):
                lo, hi = batch.offsets[b], batch.offsets[b + 1]
                out.append(batch.items[lo:hi][np.argsort(-scores[lo:hi], kind="stable")[:n]])
        return out

    def _batch_scores(self, batch: CandidateBatch) -> np.ndarray:
        """:meth:`score` of every candidate of a batch made without context (the context bonus is 0)."""
        if self.ranker is None or len(batch.items) == 0:
            return batch.heuristic
        self._check_ranker()
        raw = self.ranker.booster_.predict(batch.features, num_threads=1)
        return 1.0 / (1.0 + np.exp(-raw))

    def recommend(
        self,
        customer_id: str | None,
        context_skus: Sequence[str] = (),
        k: int = 10,
        exclude: Sequence[str] = (),
        personal: bool = True,
    ) -> list[Recommendation]:
        """``k`` items for a customer or visitor (``None``), best first, after business rules.

        ``personal=False`` (consent refused at request time) serves as for an anonymous visitor. Falls
        back to popular items, then the whole in-stock catalogue, so the answer has ``k`` items whenever
        the rules leave that many.
        """
        cat = self.catalogue_
        history = self.history_ if personal else None
        p = history.of(customer_id) if history is not None else None
        context = cat.positions(list(context_skus))
        context = context[context >= 0]
        cands = self.candidates(p, context)
        taken, scored = self._apply_rules(p, cands, self.score(cands), context, exclude, k)
        reason = Reasons(cat, self.aggregates_, self.config_, p, context)
        skus = cat.skus[taken].tolist()
        out = []
        for sku, item in zip(skus, taken, strict=True):
            score, src = scored.get(item, (0.0, POPULAR))
            out.append(Recommendation(sku, score, src, reason(src, item)))
        return out

    def _apply_rules(
        self,
        p: Purchases | None,
        cands: Candidates,
        scores: np.ndarray,
        context: np.ndarray,
        exclude: Sequence[str],
        k: int,
    ) -> tuple[list[int], dict[int, tuple[float, str]]]:
        """Business rules over scored candidates: the ``k`` item indices kept, and the (score, source) of
        those among them that were candidates (the others fill from popularity)."""
        cat, config = self.catalogue_, self.config_
        allowed = allowed_mask(cat, config, p, np.concatenate([cat.positions(list(exclude)), context]))
        keep = allowed[cands.items]
        if p is None:
            keep &= ~_PERSONAL[cands.source]
        items, scores, source = cands.items[keep], scores[keep], cands.source[keep]
        order = (
            margin_order(items, scores, cat) if config.margin_aware else np.argsort(-scores, kind="stable")
        )
        items, scores, source = items[order], scores[order], source[order]
        taken = pick(items, cat.category, k, config.max_per_category, [])
        fill = self.fill_order_[allowed[self.fill_order_]]
        taken = pick(fill, cat.category, k, config.max_per_category, taken)
        # diversity is a preference: relaxed only when the catalogue cannot otherwise fill k
        taken = pick(fill, cat.category, k, None, taken)
        # a popular fill may also be a candidate: it keeps its own score and source
        candidate = dict(zip(items.tolist(), zip(scores.tolist(), source.tolist(), strict=True), strict=True))
        scored = {i: (candidate[i][0], SOURCES[candidate[i][1]]) for i in taken if i in candidate}
        return taken, scored

    def top_skus(self, customer_ids: Sequence[str], k: int) -> list[list[str]]:
        """Batch :meth:`recommend` without context or reasons (for ``cible score``): the same candidates,
        scores and rules, but candidates made a batch at a time with one ranker call per batch, since a
        call's overhead dominates."""
        cat, history = self.catalogue_, self.history_
        no_context = np.array([], dtype=np.int64)
        if history is None:
            positions = np.full(len(customer_ids), -1, dtype=np.int64)
            profiles = Profiles.of([None] * len(customer_ids))
        else:
            positions = np.array([history.position(cid) for cid in customer_ids], dtype=np.int64)
            profiles = Profiles.gather(history, positions)
        out = []
        for start, batch in self.candidate_batches(profiles):
            scores = self._batch_scores(batch)
            for b in range(len(batch.offsets) - 1):
                lo, hi = batch.offsets[b], batch.offsets[b + 1]
                cands = Candidates(
                    batch.items[lo:hi], batch.features[lo:hi], batch.source[lo:hi], batch.heuristic[lo:hi]
                )
                p = history.of(customer_ids[start + b]) if history is not None else None
                taken, _ = self._apply_rules(p, cands, scores[lo:hi], no_context, (), k)
                out.append([str(cat.skus[i]) for i in taken])
        return out

    def _related(self, idx: np.ndarray, sim: np.ndarray, sku: str, k: int) -> list[tuple[str, float]]:
        item = int(self.catalogue_.index_of([sku])[0])
        if item < 0:
            return []
        nbrs, sims = idx[item], sim[item]
        ok = (nbrs >= 0) & self.catalogue_.is_product[np.maximum(nbrs, 0)]
        return [
            (str(self.catalogue_.skus[i]), float(s)) for i, s in zip(nbrs[ok][:k], sims[ok][:k], strict=True)
        ]

    def similar_items(self, sku: str, k: int = 10) -> list[tuple[str, float]]:
        """Items bought by the same customers (cosine on the customer x item matrix)."""
        return self._related(self.aggregates_.similar_idx, self.aggregates_.similar_sim, sku, k)

    def bought_together(self, sku: str, k: int = 10) -> list[tuple[str, float]]:
        """Items found in the same orders (cosine on the order x item matrix)."""
        return self._related(self.aggregates_.together_idx, self.aggregates_.together_sim, sku, k)


_PERSONAL = np.array([s in PERSONAL_SOURCES for s in SOURCES])  # by source index
