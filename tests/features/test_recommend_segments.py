"""Popular in the customer's segment: segments from category mixes before the cutoff, placed per request."""

from __future__ import annotations

import numpy as np
import pytest

from features.recommend.candidates import FEATURES, category_share
from features.recommend.config import SEGMENT_POPULAR, SOURCES, RecommendConfig
from features.recommend.history import CustomerHistory
from features.recommend.recommender import Recommender
from features.recommend.segments import assign, category_shares, fit_centroids
from tests.features.recommend_shop import AS_OF, shop


def test_category_shares_and_nearest_centroid() -> None:
    shares = category_shares(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), np.ones(4), 4, 2)
    np.testing.assert_allclose(shares, [[0.5, 0.5], [0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    centroids = fit_centroids(shares[:3], 2)
    assert len(centroids) == 2
    assert assign(np.array([[0.1, 0.9], [0.9, 0.1]]), centroids).tolist() != [0, 0]
    assert fit_centroids(np.ones((3, 2)) / 2, 5).shape == (1, 2)  # one distinct mix, one segment


def test_segment_popular_items_come_from_similar_shoppers_before_the_cutoff() -> None:
    data = shop()
    model = Recommender(RecommendConfig(segments=2)).fit(data, AS_OF)
    agg, cat = model.aggregates_, model.catalogue_
    assert agg.segment_centroids.shape == (2, len(cat.categories))
    history = CustomerHistory.build(data, AS_OF, cat)
    c1 = history.of("C1")  # 3 coffee days, one cheese, one wine: the coffee drinkers' segment
    segment = int(assign(category_share(c1, cat)[None, :], agg.segment_centroids)[0])
    coffee = cat.categories.index("coffee")
    assert agg.segment_centroids[segment, coffee] == agg.segment_centroids[:, coffee].max()
    # the coffee drinkers (C1, C5, C6) bought the Moka most (2 of them); what was bought at or after the
    # cutoff (the Sancerre of May 1) counts for nothing
    popular = agg.segment_popular[segment]
    assert popular[cat.index_of(["A1"])[0]] == 1.0 and popular[cat.index_of(["W2"])[0]] == 0.0
    cands = model.candidates(c1, np.array([], dtype=np.int64))
    column = FEATURES.index(f"src_{SEGMENT_POPULAR}")
    np.testing.assert_allclose(cands.features[:, column], popular[cands.items])

    served = model.with_history(history)
    recs = {r.sku: r for r in served.recommend("C1", k=7)}
    assert recs["B2"].source == SEGMENT_POPULAR
    assert recs["B2"].reason == "popular with shoppers who, like you, buy coffee"
    # a visitor has no segment: the source is personal
    visitor = model.candidates(None, np.array([], dtype=np.int64))
    assert not visitor.features[:, column].any()
    assert SEGMENT_POPULAR not in {r.source for r in served.recommend(None, k=5)}
    assert SOURCES[-1] == SEGMENT_POPULAR


def test_a_model_fitted_on_an_older_feature_set_is_refused() -> None:
    model = Recommender().fit(shop(), AS_OF)
    model.feature_set_ = "recommender_features_v2"  # as unpickled from an older champion
    with pytest.raises(ValueError, match="retrain it with `cible train nbo`"):
        model.with_history(None).recommend("C1", k=3)
