"""Ranking metrics by hand; the time split: nothing at or after the cutoff feeds candidates or features."""

from __future__ import annotations

import numpy as np
import pytest

from features.dataset import Dataset
from features.recommend.history import CustomerHistory
from features.recommend.recommender import Recommender
from tests.features.recommend_shop import AS_OF, shop
from training.recommend.baselines import ITEM_KNN, POPULARITY, REPEAT_POPULAR, baseline_list
from training.recommend.metrics import map_at_k, ndcg_at_k, recall_at_k
from training.recommend.split import Cutoffs, window_labels


def test_metrics_worked_out_by_hand() -> None:
    ranked, relevant = np.array([1, 2, 3]), np.array([2, 5])
    assert recall_at_k(ranked, relevant, 3) == 0.5  # 1 hit of at most min(3, 2)
    # hit at rank 2: (1 / log2 3) / (1 + 1 / log2 3)
    assert ndcg_at_k(ranked, relevant, 3) == pytest.approx(0.63092975 / 1.63092975)
    assert map_at_k(ranked, relevant, 3) == 0.25  # precision 1/2 at the hit, over 2
    assert ndcg_at_k(np.array([2, 5]), relevant, 3) == pytest.approx(1.0)


def test_cutoffs() -> None:
    cut = Cutoffs.before(AS_OF, 10)
    assert (str(cut.train.date()), str(cut.validation.date()), str(cut.end.date())) == (
        "2024-04-11",
        "2024-04-21",
        "2024-05-01",
    )


def _same(a, b) -> None:
    for name in a.__dataclass_fields__:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right, err_msg=name)
        else:
            assert left == right, name


def test_nothing_at_or_after_the_cutoff_feeds_the_model(small_synthetic: Dataset) -> None:
    cutoff = small_synthetic.default_as_of() - np.timedelta64(60, "D")
    full = Recommender().fit(small_synthetic, cutoff)
    past = Recommender().fit(small_synthetic.before(cutoff), cutoff)
    _same(full.aggregates_, past.aggregates_)
    h_full = CustomerHistory.build(small_synthetic, cutoff, full.catalogue_)
    h_past = CustomerHistory.build(small_synthetic.before(cutoff), cutoff, past.catalogue_)
    _same(h_full, h_past)
    empty = np.array([], dtype=np.int64)
    for cid in h_full.customer_ids[:50]:
        a = full.candidates(h_full.of(str(cid)), empty)
        b = past.candidates(h_past.of(str(cid)), empty)
        np.testing.assert_array_equal(a.items, b.items)
        np.testing.assert_array_equal(a.features, b.features)


def test_labels_come_from_the_window_only() -> None:
    data = shop()
    model = Recommender().fit(data, AS_OF)
    history = CustomerHistory.build(data, AS_OF, model.catalogue_)
    labels = window_labels(data, history, model.catalogue_, AS_OF, AS_OF + np.timedelta64(2, "D"))
    # O11 (C2, at the cutoff itself) is a label; O12 (C5, 2 days later) is outside the window
    assert [history.customer_ids[i] for i in labels.customers] == ["C2"]
    assert model.catalogue_.skus[labels.items[0]].tolist() == ["A2", "W2"]
    # and the cutoff-day order is not in C2's history (postage is no purchase history)
    assert sorted(model.catalogue_.skus[history.of("C2").items].tolist()) == ["B1", "W1"]


def test_baselines_on_the_shop() -> None:
    data = shop()
    model = Recommender().fit(data, AS_OF)
    p = CustomerHistory.build(data, AS_OF, model.catalogue_).of("C1")
    sku = model.catalogue_.skus
    # popular over 30 days: Riesling and Comté (3 buyers; the Riesling has 4 in all), then coffee (2)
    assert sku[baseline_list(POPULARITY, model, p, 3)].tolist() == ["W1", "B1", "A1"]
    # C1's coffee (3 days) first, then its one-offs, then popularity (Brie: 2 buyers in all, Java 1)
    assert sku[baseline_list(REPEAT_POPULAR, model, p, 4)].tolist() == ["A1", "B1", "W1", "B2"]
    assert sku[baseline_list(ITEM_KNN, model, p, 2)].tolist() == ["B1", "W1"]
