"""Offer catalogue validation, eligibility rules with the weekly cap, and the next-best-offer decision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.dataset import Dataset
from features.offers.catalogue import DEFAULT_CATALOGUE, OfferCatalogueError, load_catalogue, parse_catalogue
from features.offers.decision import NO_OFFER, next_best_offer
from features.offers.eligible import customer_flags, eligibility, favourite_categories
from tests.tiny_data import AS_OF, tiny_frames


def offer(**fields) -> dict:
    return {"id": "X", "channels": ["email"], "cost": 0.1, "value": 10.0, **fields}


def test_default_catalogue_is_valid() -> None:
    ids = [o.id for o in load_catalogue(DEFAULT_CATALOGUE).offers]
    assert ids == [
        "WELCOME",
        "WEB5",
        "CAT15",
        "FREE_DELIVERY",
        "NEWSLETTER",
        "LOYALTY_CARD",
        "CLICK_COLLECT",
        "WEB_ACCOUNT",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "needs an `offers:` list"),
        ({"offers": [offer(channels=["fax"])]}, r"offer 'X'\.channels: unknown \['fax'\]"),
        ({"offers": [offer(eligibility=["rich"])]}, r"offer 'X'\.eligibility"),
        ({"offers": [offer(cost=-1)]}, r"offer 'X'\.cost: -1 must be a number >= 0"),
        ({"offers": [offer(valid_from="2024-02-01", valid_to="2024-01-01")]}, "is not after valid_from"),
        ({"offers": [offer(valid_to="soon")]}, r"valid_to: 'soon' is not a date"),
        ({"offers": [offer(), offer()]}, r"duplicate offer ids \['X'\]"),
        ({"offers": [offer(colour="red")]}, r"unknown field\(s\) \['colour'\]"),
        ({"offers": [{"id": "X", "channels": ["email"], "value": 1.0}]}, "needs `cost`"),
        ({"offers": [offer()], "max_offers_per_week": 0}, "max_offers_per_week"),
        (
            {"offers": [offer(categories=["wines"])]},
            r"offer 'X'\.categories: only with `category: favourite`",
        ),
        ({"offers": [offer(category="favourite", categories="wines")]}, r"offer 'X'\.categories"),
        ({"offers": [offer(category=3)]}, r"offer 'X'\.category: 3 must be a category name"),
    ],
)
def test_invalid_catalogues_get_a_clear_error(raw: dict, message: str) -> None:
    with pytest.raises(OfferCatalogueError, match=message):
        parse_catalogue(raw)


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "offers.yaml"
    path.write_text("offers: [unclosed")
    with pytest.raises(OfferCatalogueError, match="is not valid YAML"):
        load_catalogue(path)


def test_eligibility_rules_dates_and_weekly_cap() -> None:
    data = Dataset.from_frames(tiny_frames())
    flags = customer_flags(data, AS_OF)
    catalogue = parse_catalogue(
        {
            "offers": [
                offer(id="WEB5", eligibility=["has_ordered", "no_web_order"]),
                offer(id="WELCOME", eligibility=["new_customer"]),
                offer(id="CARD", eligibility=["no_loyalty_card"]),
                offer(id="OLD", valid_to="2024-04-01"),
            ]
        }
    )
    table = eligibility(flags, catalogue, AS_OF)
    # C1 ordered on the web and got offer WEB5 on 2024-04-15 (> 7 days ago); C2 ordered in store only;
    # C3 was created after AS_OF and is not a customer yet
    assert table.index.tolist() == ["C1", "C2"]
    assert table.to_dict("index") == {
        "C1": {"WEB5": False, "WELCOME": False, "CARD": False, "OLD": False},
        "C2": {"WEB5": True, "WELCOME": False, "CARD": True, "OLD": False},
    }
    # the offer contact of 2024-04-15 counts against the weekly cap a week later
    capped = eligibility(
        customer_flags(data, pd.Timestamp("2024-04-20")), catalogue, pd.Timestamp("2024-04-20")
    )
    assert not capped.loc["C1"].any()


def test_next_best_offer_maximises_expected_value_or_offers_nothing() -> None:
    catalogue = parse_catalogue(
        {
            "offers": [
                {"id": "A", "channels": ["email"], "cost": 0.1, "value": 10.0},
                {"id": "B", "channels": ["email", "sms"], "cost": 0.2, "value": 20.0},
            ]
        }
    )
    channels = ("email", "sms")
    # customers x offers x channels
    p = np.array(
        [
            [[0.05, 0.0], [0.02, 0.03]],  # A by email 0.5 - 0.1 = 0.4 ties B by sms 0.6 - 0.2: first wins
            [[0.05, 0.0], [0.02, 0.03]],  # same, but refused email: only B by sms, 0.4
            [[0.001, 0.0], [0.001, 0.001]],  # nothing pays: no offer
            [[0.05, 0.0], [0.05, 0.05]],  # B not eligible: A by email, 0.4
        ]
    )
    eligible = np.array([[True, True], [True, True], [True, True], [True, False]])
    consented = np.array([[True, True], [False, True], [True, True], [True, True]])
    choice = next_best_offer(catalogue, p, eligible, consented, channels)
    assert choice.offer.tolist() == ["A", "B", NO_OFFER, "A"]
    assert choice.channel.tolist() == ["email", "sms", "", "email"]
    np.testing.assert_allclose(choice.expected_value, [0.4, 0.4, 0.0, 0.4])


def test_favourite_category_is_the_most_spent_before_the_date_among_the_allowed() -> None:
    data = Dataset.from_frames(tiny_frames())
    ids = pd.Index(["C1", "C2", "C9"])
    # C1 before AS_OF: cheese 2 x 10 + 10 x 50% = 25 EUR; wines 20 + 3 x 20 - 20 returned = 60 EUR
    # (postage is not a category); C2: a 50 EUR gift box; C9 is unknown
    assert favourite_categories(data, AS_OF, ids).tolist() == ["wines", "gift_boxes", ""]
    assert favourite_categories(data, AS_OF, ids, ("cheese", "gift_boxes")).tolist() == [
        "cheese",
        "gift_boxes",
        "",
    ]
    # nothing bought in the allowed categories: no favourite, so no personal coupon
    assert favourite_categories(data, AS_OF, ids, ("coffee",)).tolist() == ["", "", ""]
    # without profiling consent, the shop's category of most spend (wines: 60 EUR), not their own
    personal = np.array([True, False, True])
    assert favourite_categories(data, AS_OF, ids, (), personal).tolist() == ["wines", "wines", ""]
    # point in time: before C1's April order, cheese (25) beat wines (20)
    assert favourite_categories(data, pd.Timestamp("2024-03-01"), ids).tolist()[0] == "cheese"


def test_the_default_category_coupon_is_personal() -> None:
    coupon = load_catalogue(DEFAULT_CATALOGUE).by_id("CAT15")
    assert coupon.per_customer_category and coupon.categories == ()
