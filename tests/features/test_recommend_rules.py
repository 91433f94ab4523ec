"""The served recommender on a hand-made shop: sources, reasons, business rules, visitors and consent."""

from __future__ import annotations

import pytest

from features.recommend.config import PERSONAL_SOURCES, REPEAT, RecommendConfig
from features.recommend.history import CustomerHistory
from features.recommend.recommender import Recommender
from tests.features.recommend_shop import AS_OF, PRODUCTS, shop

MARGIN = {sku: margin for sku, _name, _cat, _price, margin, _stock, _rep in PRODUCTS}
CATEGORY = {sku: cat for sku, _name, cat, *_rest in PRODUCTS}


def served(**config) -> Recommender:
    data = shop()
    model = Recommender(RecommendConfig(**config)).fit(data, AS_OF)
    return model.with_history(CustomerHistory.build(data, AS_OF, model.catalogue_))


def skus(recs) -> list[str]:
    return [r.sku for r in recs]


def test_never_out_of_stock_nor_non_products() -> None:
    recs = served(max_per_category=None).recommend(None, k=10)
    # 7 skus: W2 is out of stock and FEE is postage, so 5 remain, all shown
    assert sorted(skus(recs)) == ["A1", "A2", "B1", "B2", "W1"]


def test_out_of_stock_allowed_when_the_rule_is_off() -> None:
    recs = served(max_per_category=None, exclude_out_of_stock=False).recommend(None, k=10)
    assert "W2" in skus(recs) and "FEE" not in skus(recs)


def test_non_replenishable_items_just_bought_are_not_recommended() -> None:
    recs = served(max_per_category=None).recommend("C1", k=10)
    # C1 bought the Comté and the Riesling (one-offs) 6 days ago; coffee is bought again and again
    assert skus(recs) == ["A1", "A2", "B2"]
    again = served(max_per_category=None, recent_purchase_days=5).recommend("C1", k=10)
    assert {"B1", "W1"} <= set(skus(again))


def test_repeat_purchase_carries_its_rhythm() -> None:
    first = served().recommend("C1", k=1)[0]
    # bought on days 60, 30 and 10 before the cutoff: every (60 - 10) / 2 = 25 days
    assert (first.sku, first.source, first.reason) == (
        "A1",
        REPEAT,
        "bought every ~25 days, last 10 days ago",
    )


def test_at_most_n_per_category_until_the_catalogue_runs_out() -> None:
    model = served(max_per_category=1)
    three = model.recommend(None, k=3)
    assert len({CATEGORY[s] for s in skus(three)}) == 3
    # five eligible items in three categories: the cap yields to filling k
    assert len(model.recommend(None, k=5)) == 5


def test_a_candidate_taken_once_the_cap_yields_keeps_its_score_and_source() -> None:
    model = served(max_per_category=1)
    capped = {r.sku: r for r in model.recommend("C1", k=10)}
    uncapped = {r.sku: r for r in served(max_per_category=None).recommend("C1", k=10)}
    assert capped.keys() == uncapped.keys()  # every eligible item, once the cap yields
    for sku, rec in capped.items():
        assert (rec.score, rec.source, rec.reason) == (
            uncapped[sku].score,
            uncapped[sku].source,
            uncapped[sku].reason,
        )


def test_margin_aware_order() -> None:
    recs = served(max_per_category=None, margin_aware=True).recommend(None, k=5)
    values = [r.score * MARGIN[r.sku] for r in recs]
    assert values == sorted(values, reverse=True)
    assert recs[0].sku == "W1"  # as popular as the Comté, with a larger margin


def test_caller_exclusions_are_respected() -> None:
    recs = served(max_per_category=None).recommend(None, k=10, exclude=["B1", "A2", "unknown"])
    assert sorted(skus(recs)) == ["A1", "B2", "W1"]


def test_unknown_visitor_gets_k_non_personal_items() -> None:
    for who in (None, "never-seen"):
        recs = served().recommend(who, k=3)
        assert len(recs) == 3
        assert not {r.source for r in recs} & PERSONAL_SOURCES


def test_context_leads_for_a_visitor_and_is_not_proposed_back() -> None:
    recs = served().recommend(None, context_skus=["B1"], k=3)
    assert (recs[0].sku, recs[0].source, recs[0].reason) == ("W1", "context", "goes with Comté")
    assert "B1" not in skus(recs)


def test_refused_profiling_gets_non_personal_items_only() -> None:
    model = served()
    # C6 bought coffee twice but withdrew profiling: the consent gate keeps it out of the histories
    assert model.history_.position("C6") == -1
    assert skus(model.recommend("C6", k=5)) == skus(model.recommend(None, k=5))
    # a refusal known only at request time (personal=False) is honoured the same way
    personal = model.recommend("C1", k=3)
    generic = model.recommend("C1", k=3, personal=False)
    assert personal[0].source == REPEAT
    assert not {r.source for r in generic} & PERSONAL_SOURCES


def test_related_items_lists() -> None:
    model = served()
    # Comté and Riesling share 3 orders; the Riesling is in 4: 3 / sqrt(3 x 4)
    assert model.bought_together("B1") == [("W1", pytest.approx(0.8660254))]
    assert model.similar_items("B1") == [("W1", pytest.approx(0.8660254))]
    assert model.bought_together("nope") == []


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="max_per_category"):
        RecommendConfig(max_per_category=0)
