"""Cible and the baselines scored on the same validation window, from the same fitted aggregates."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.dataset import Dataset
from features.recommend.config import RecommendConfig
from features.recommend.history import CustomerHistory
from features.recommend.profiles import Profiles
from features.recommend.recommender import Recommender
from training.recommend.baselines import BASELINES, baseline_list
from training.recommend.errors import RecommenderDataError
from training.recommend.metrics import METRIC_K, summarise
from training.recommend.split import window_labels

CIBLE = "cible"
NDCG = f"ndcg_at_{METRIC_K}"


@dataclass(frozen=True)
class Evaluation:
    customers: int
    scores: dict[str, dict[str, float]]  # method -> metric -> value

    def best_baseline(self) -> tuple[str, float]:
        name = max(BASELINES, key=lambda b: self.scores[b][NDCG])
        return name, self.scores[name][NDCG]


def evaluate(
    dataset: Dataset,
    models: dict[str, Recommender],
    start: pd.Timestamp,
    end: pd.Timestamp,
    require_profiling_consent: bool,
    baselines: bool = True,
) -> Evaluation:
    """Fit each (unfitted) model's aggregates before ``start`` and score its top-k against [start, end).

    Lists are compared before business rules (stock today, diversity caps), which are shop policy, not
    prediction.
    """
    # models of one config share the aggregates: fitted once, each bound to its own ranker
    by_config: dict[RecommendConfig | None, Recommender] = {}
    fitted = {}
    for name, m in models.items():
        if m.config not in by_config:
            by_config[m.config] = Recommender(m.config).fit(dataset, start)
        fitted[name] = copy.copy(by_config[m.config])
        fitted[name].ranker = m.ranker
    reference = next(iter(fitted.values()))
    cat = reference.catalogue_
    history = CustomerHistory.build(dataset, start, cat, require_profiling_consent)
    labels = window_labels(dataset, history, cat, start, end)
    if len(labels.customers) == 0:
        raise RecommenderDataError(
            f"no known customer bought anything between {start:%Y-%m-%d} and {end:%Y-%m-%d}"
        )
    lists: dict[str, list[np.ndarray]] = {name: [] for name in fitted}
    if baselines:
        lists.update({b: [] for b in BASELINES})
    batch = Profiles.gather(history, labels.customers)
    for name, model in fitted.items():
        lists[name] = model.rank_many(batch, METRIC_K)
    if baselines:
        profiles = [history.of(str(history.customer_ids[pos])) for pos in labels.customers]
        for p in profiles:
            for b in BASELINES:
                lists[b].append(baseline_list(b, reference, p, METRIC_K))
    n_products = int(cat.is_product.sum())
    scores = {name: summarise(ranked, labels.items, n_products) for name, ranked in lists.items()}
    return Evaluation(customers=len(labels.customers), scores=scores)
