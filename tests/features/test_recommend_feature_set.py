"""A ranker fitted on another feature set is refused with a clear message, never fed misaligned columns."""

from __future__ import annotations

import numpy as np
import pytest

from features.recommend.candidates import FEATURES
from features.recommend.recommender import RECOMMENDER_FEATURES_V3, Recommender
from tests.features.recommend_shop import AS_OF, shop


class OldRanker:
    n_features_ = len(FEATURES) - 7  # a v1 ranker: before the per-source ranks


def test_source_ranks_are_features_and_an_old_ranker_is_refused() -> None:
    model = Recommender().fit(shop(), AS_OF)
    assert model.feature_set_ == RECOMMENDER_FEATURES_V3
    cands = model.candidates(None, np.array([], dtype=np.int64))
    ranks = cands.features[:, FEATURES.index("rank_popular")]
    assert ranks.min() == 0 and cands.features.shape[1] == len(FEATURES)
    with pytest.raises(ValueError, match="retrain it with `cible train nbo`"):
        Recommender(model.config_, OldRanker()).fit(shop(), AS_OF).score(cands)
