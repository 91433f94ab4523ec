"""A ranker fitted on another feature set is refused with a clear message, never fed misaligned columns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from features.recommend.candidates import FEATURES
from features.recommend.history import Purchases
from features.recommend.recommender import RECOMMENDER_FEATURES_V3, Recommender
from tests.features.recommend_shop import AS_OF, shop


class OldRanker:
    n_features_ = 32  # a v2 ranker: before the segment source and the v3 features


def test_source_ranks_are_features_and_an_old_ranker_is_refused() -> None:
    model = Recommender().fit(shop(), AS_OF)
    assert model.feature_set_ == RECOMMENDER_FEATURES_V3
    cands = model.candidates(None, np.array([], dtype=np.int64))
    ranks = cands.features[:, FEATURES.index("rank_popular")]
    assert ranks.min() == 0 and cands.features.shape[1] == len(FEATURES)
    with pytest.raises(ValueError, match="retrain it with `cible train nbo`"):
        Recommender(model.config_, OldRanker()).fit(shop(), AS_OF).score(cands)


def test_purchases_built_without_the_v3_fields_still_rank() -> None:
    """The service builds Purchases from online-store records, which may not carry the visit counts."""
    model = Recommender().fit(shop(), AS_OF)
    a1, b2 = model.catalogue_.index_of(["A1", "B2"])
    old_style = Purchases(
        items=np.array([a1]),
        days=np.array([2.0]),
        days_since=np.array([5.0]),
        gap=np.array([20.0]),
        viewed=np.array([b2]),
        viewed_days_since=np.array([1.0]),
        carted=np.array([True]),
        region="Nord",
        orders=2.0,
        days_since_last=5.0,
        days_since_first=25.0,
    )
    cands = model.candidates(old_style, np.array([], dtype=np.int64))
    row = int(np.flatnonzero(cands.items == b2)[0])
    assert cands.features[row, FEATURES.index("view_sessions")] == 1.0  # seen, visits unknown: once
    assert cands.features[row, FEATURES.index("wishlisted")] == 0.0
    full = replace(old_style, view_sessions=np.array([3.0]), wishlisted=np.array([True]))
    cands = model.candidates(full, np.array([], dtype=np.int64))
    row = int(np.flatnonzero(cands.items == b2)[0])
    assert cands.features[row, FEATURES.index("view_sessions")] == 3.0
    assert cands.features[row, FEATURES.index("wishlisted")] == 1.0
