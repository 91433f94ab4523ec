"""Audience rules: what they select, and the errors that name the unknown field or operator."""

from __future__ import annotations

import pandas as pd
import pytest

from features.segments.audience_store import AudienceStore, rule_fields
from features.segments.audiences import Audience, AudienceRule, AudienceRuleError

FIELDS = rule_fields()


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "rfm_segment": ["at_risk", "cannot_lose_them", "champions", "at_risk"],
            "region": ["Grand Est", "Grand Est", "Grand Est", "Bretagne"],
            "age": [70.0, None, 40.0, 66.0],
            "consent.email_marketing": [True, True, True, False],
            "category_share_cheese": [0.5, 0.1, 0.0, 0.9],
        }
    )


def test_the_example_rule_selects_the_right_customers(frame) -> None:
    rule = AudienceRule.parse(
        'rfm_segment in [at_risk, cannot_lose_them] and region == "Grand Est" and consent.email_marketing',
        FIELDS,
    )
    assert rule.evaluate(frame).tolist() == [True, True, False, False]
    assert rule.needs_profiling  # RFM segments are profiling
    assert rule.fields == {"rfm_segment", "region", "consent.email_marketing"}


def test_comparisons_negation_and_missing_values(frame) -> None:
    rule = AudienceRule.parse("not (age >= 65) or category_share_cheese > 0.8", FIELDS)
    # B has no age: unknown is not >= 65, so "not" selects B.
    assert rule.evaluate(frame).tolist() == [False, True, True, True]
    assert AudienceRule.parse("rfm_segment not in ['at_risk']", FIELDS).evaluate(frame).tolist() == [
        False,
        True,
        True,
        False,
    ]


def test_negative_numbers_are_values(frame) -> None:
    assert AudienceRule.parse("age > -1", FIELDS).evaluate(frame).tolist() == [True, False, True, True]


def test_declared_data_only_is_not_profiling() -> None:
    assert not AudienceRule.parse('region == "Bretagne" and consent.sms_marketing', FIELDS).needs_profiling


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('regoin == "Grand Est"', "unknown field 'regoin'"),
        ("consent.telepathy", "unknown field 'consent.telepathy'"),
        ("age + 1 > 3", "operator '+' is not allowed"),
        ("__import__('os').system('x')", "operator 'a function call' is not allowed"),
        ("age is None", "operator 'is' is not allowed"),
        ("age >", "cannot read the rule"),
    ],
)
def test_invalid_rules_name_the_problem(text, message) -> None:
    with pytest.raises(AudienceRuleError, match=message.replace("(", r"\(").replace("+", r"\+")):
        AudienceRule.parse(text, FIELDS)


def test_audiences_are_saved_and_loaded_by_name(tmp_path) -> None:
    audience = Audience.from_mapping(
        {
            "name": "grand_est_at_risk",
            "rule": 'rfm_segment == "at_risk" and region == "Grand Est"',
            "description": "reactivation",
        },
        FIELDS,
    )
    store = AudienceStore(tmp_path)
    store.save(audience)
    assert store.names() == ["grand_est_at_risk"]
    assert store.load("grand_est_at_risk") == audience
    with pytest.raises(AudienceRuleError, match="no saved audience 'nope'"):
        store.load("nope")
    with pytest.raises(AudienceRuleError, match="must be lower case"):
        Audience.from_mapping({"name": "Bad Name", "rule": "age > 3"}, FIELDS)
    with pytest.raises(AudienceRuleError, match="unknown key"):
        Audience.from_mapping({"name": "ok_name", "rule": "age > 3", "channel": "fax"}, FIELDS)
