"""Candidates made for a batch of customers are, customer by customer, exactly the request path's."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from features.dataset import Dataset
from features.recommend import candidate_batches
from features.recommend.candidate_batches import generate_many
from features.recommend.candidates import Candidates, generate
from features.recommend.history import CustomerHistory
from features.recommend.profiles import Profiles
from features.recommend.recommender import Recommender


def _same(a: Candidates, b: Candidates) -> None:
    np.testing.assert_array_equal(a.items, b.items)
    np.testing.assert_array_equal(a.features, b.features)  # nan where nan, every bit otherwise
    np.testing.assert_array_equal(a.source, b.source)
    np.testing.assert_array_equal(a.heuristic, b.heuristic)


@pytest.fixture(scope="module")
def fitted(small_synthetic: Dataset) -> tuple[Recommender, CustomerHistory]:
    as_of = small_synthetic.default_as_of() - np.timedelta64(30, "D")
    model = Recommender().fit(small_synthetic, as_of)
    return model, CustomerHistory.build(small_synthetic, as_of, model.catalogue_)


def test_a_batch_equals_the_request_path_customer_by_customer(
    fitted: tuple[Recommender, CustomerHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, history = fitted
    agg, cat, config = model.aggregates_, model.catalogue_, model.config_
    # every customer, visitors (-1) among them, in small batches so that several are made
    positions = np.insert(np.arange(len(history.customer_ids)), [0, 5, 5], -1)
    monkeypatch.setattr(candidate_batches, "BATCH_CELLS", 37 * len(cat) * 8)
    none = np.array([], dtype=np.int64)
    seen = 0
    for start, batch in model.candidate_batches(Profiles.gather(history, positions)):
        for b in range(len(batch.offsets) - 1):
            pos = positions[start + b]
            p = history.of(str(history.customer_ids[pos])) if pos >= 0 else None
            _same(batch.of(b), generate(agg, cat, config, p, none))
            seen += 1
    assert seen == len(positions) > 40


def test_loose_histories_and_contexts_batch_as_one_request_each(
    fitted: tuple[Recommender, CustomerHistory],
) -> None:
    model, history = fitted
    agg, cat, config = model.aggregates_, model.catalogue_, model.config_
    rng = np.random.default_rng(3)
    profiles = [history.of(str(cid)) for cid in history.customer_ids[:60]] + [None, None]
    # a history from an older caller, without visit counts nor wishes
    old = next(p for p in profiles if p is not None and len(p.viewed))
    profiles.append(replace(old, view_sessions=np.zeros(0), wishlisted=np.zeros(0, dtype=bool), region="?"))
    contexts = [rng.choice(len(cat), size=rng.integers(0, 4), replace=False) for _ in profiles]
    batch = generate_many(agg, cat, config, Profiles.of(profiles), contexts)
    for b, (p, context) in enumerate(zip(profiles, contexts, strict=True)):
        _same(batch.of(b), generate(agg, cat, config, p, context))
