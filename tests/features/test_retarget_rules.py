"""Retargeting rules on hand-made inputs: settings, timing per trigger, quiet hours, pressure cap, consent,
the real-time decision and the campaign-plan arithmetic."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
import yaml

from features.consent_gate import CHANNEL_PURPOSE, check_consent, refused_purpose
from features.retarget.config import (
    CART,
    DEFAULT_CONFIG,
    LAPSING,
    POST_PURCHASE,
    WISHLIST,
    Hours,
    RetargetConfigError,
    load_config,
    parse_config,
)
from features.retarget.decide import CONTACT, NO_CONSENT, NOT_WORTH_IT, PRESSURE_CAP, decide
from features.retarget.plan import Capacity, plan_calls
from features.retarget.realtime import follow_up
from features.retarget.timing import call_hour, call_times, next_allowed, next_allowed_series
from features.retarget.triggers import TRIGGER, find_triggers

CONFIG = load_config()
AS_OF = pd.Timestamp("2024-05-01 10:00")
ALL = {
    "email_marketing": True,
    "sms_marketing": True,
    "phone_marketing": True,
    "retargeting_ads": True,
    "profiling": True,
}


def intent_row(customer: str, probability: float = 0.6, **facts: object) -> dict[str, object]:
    row: dict[str, object] = {
        "visitor_id": f"V{customer}",
        "customer_id": customer,
        "intent_probability": probability,
        "intent_reasons": "carted 2 items; returning visitor",
        "last_cart_at": pd.NaT,
        "carted_skus": [],
        "last_wishlist_at": pd.NaT,
        "wishlist_skus": [],
        "last_event_at": AS_OF - pd.Timedelta(minutes=5),
    }
    row.update(facts)
    return row


def no_scores() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "customer_id",
            "churn_probability",
            "purchase_propensity",
            "predicted_value",
            "reasons",
            "top_items",
        ]
    )


def no_orders() -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": pd.Series([], dtype=str), "ordered_at": pd.Series([], dtype="datetime64[us]"),
         "quantity": pd.Series([], dtype="int64")}
    )  # fmt: skip


# --- settings ------------------------------------------------------------------------------------------


def test_the_shipped_settings_load_with_the_issue_rules() -> None:
    assert CONFIG.triggers[CART].after_hours == 1 and CONFIG.triggers[WISHLIST].after_hours == 96
    assert CONFIG.pressure.max_contacts == 2 and CONFIG.pressure.days == 7
    assert (CONFIG.quiet_hours.start, CONFIG.quiet_hours.end) == (21, 9)
    assert set(CONFIG.channel_names) == {"email", "sms", "push", "phone", "ads"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["channels"]["sms"].update(cost="cheap"), "channels.sms.cost: expected a number"),
        (lambda d: d["channels"]["sms"].update(response=1.5), "channels.sms.response: not in 0-1"),
        (
            lambda d: d["channels"].update(fax={"cost": 1, "response": 0.1}),
            "channels.fax: no consent purpose",
        ),
        (lambda d: d["triggers"][CART].update(after_minutes=5), "triggers.cart_abandonment: unknown field"),
        (lambda d: d.update(pressure_cap=3), "unknown field(s) pressure_cap"),
        (lambda d: d.update(primary_channels=["email", "pigeon"]), "'pigeon' not in channels"),
        (lambda d: d["triggers"].pop(WISHLIST), "triggers.wishlist: missing"),
        (lambda d: d.update(reference_probability=0), "reference_probability: expected a probability"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(change, message: str, tmp_path) -> None:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    change(data)
    path = tmp_path / "retarget.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RetargetConfigError) as caught:
        load_config(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_settings_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(RetargetConfigError, match="expected a mapping"):
        parse_config(["email"])


# --- consent gate: push ---------------------------------------------------------------------------------


def test_push_is_gated_by_its_ledger_purpose() -> None:
    assert CHANNEL_PURPOSE["push"] == "email_marketing"
    consents = pd.DataFrame(
        {"customer_id": ["A", "B"], "purpose": ["email_marketing", "sms_marketing"], "granted": [True, True],
         "recorded_at": pd.to_datetime(["2024-01-01", "2024-01-01"])}
    )  # fmt: skip
    assert check_consent(consents, pd.Index(["A", "B"]), AS_OF, channel="push").allowed.tolist() == [
        True,
        False,
    ]
    assert refused_purpose({"email_marketing": True}, "push") == ""
    assert refused_purpose({"email_marketing": True}, "push", needs_profiling=True) == "profiling"
    assert refused_purpose({}, "sms") == "sms_marketing"  # no record, no consent


# --- timing ---------------------------------------------------------------------------------------------


def test_cart_abandonment_waits_an_hour_and_wishlist_four_days() -> None:
    intent = pd.DataFrame(
        [
            intent_row("A", last_cart_at=AS_OF - pd.Timedelta(minutes=30), carted_skus=["P1"]),  # too early
            intent_row("B", last_cart_at=AS_OF - pd.Timedelta(hours=2), carted_skus=["P1", "P1", "P2"]),
            intent_row("C", last_cart_at=AS_OF - pd.Timedelta(days=4)),  # stale: the moment has passed
            intent_row("D", last_wishlist_at=AS_OF - pd.Timedelta(days=3), wishlist_skus=["P3"]),  # too early
            intent_row("E", last_wishlist_at=AS_OF - pd.Timedelta(days=4, hours=1), wishlist_skus=["P3"]),
            intent_row("F", last_cart_at=AS_OF - pd.Timedelta(hours=3)),  # ordered since: not abandoned
            intent_row(None, last_cart_at=AS_OF - pd.Timedelta(hours=2)),  # anonymous: nobody to contact
        ]
    )
    orders = pd.DataFrame(
        {"customer_id": ["F"], "ordered_at": [AS_OF - pd.Timedelta(hours=1)], "quantity": [1]}
    )
    found = find_triggers(intent, no_scores(), orders, AS_OF, CONFIG).set_index("customer_id")
    assert found[TRIGGER].to_dict() == {"B": CART, "E": WISHLIST}
    assert found.loc["B", "skus"] == "P1,P2"  # each item once
    assert found.loc["B", "due_at"] == AS_OF - pd.Timedelta(hours=1)


def test_post_purchase_after_delivery_and_lapsing_high_value() -> None:
    scores = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "churn_probability": [0.1, 0.1, 0.8, 0.8],
            "purchase_propensity": [0.3, 0.3, 0.2, 0.2],
            "predicted_value": [10.0, 10.0, 900.0, 20.0],
            "reasons": [["r"]] * 4,
            "top_items": ["P1,P2"] * 4,
        }
    )
    # delivered 3 days after the order; cross-sell from 1 day after delivery, for 3 days
    orders = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "ordered_at": [AS_OF - pd.Timedelta(days=5), AS_OF - pd.Timedelta(days=3, hours=12),
                           AS_OF - pd.Timedelta(days=200), AS_OF - pd.Timedelta(days=200)],
            "quantity": [1, 1, 1, 1],
        }
    )  # fmt: skip
    found = find_triggers(pd.DataFrame([intent_row("Z")]), scores, orders, AS_OF, CONFIG)
    # A: delivered 2 days ago -> cross-sell; B: delivered 12 h ago -> not yet; C lapsing and valuable; D not
    assert dict(zip(found["customer_id"], found[TRIGGER], strict=True)) == {"A": POST_PURCHASE, "C": LAPSING}
    # a 30-day propensity of 0.3 is a weekly probability of 1 - 0.7^(7/30)
    assert found.set_index("customer_id").loc["A", "probability"] == pytest.approx(1 - 0.7 ** (7 / 30))


def test_quiet_hours_move_a_contact_to_the_next_allowed_time() -> None:
    quiet = Hours(21, 9)
    assert next_allowed(datetime(2024, 5, 1, 21, 30), quiet) == datetime(2024, 5, 2, 9, 0)
    assert next_allowed(datetime(2024, 5, 1, 7, 15), quiet) == datetime(2024, 5, 1, 9, 0)
    assert next_allowed(datetime(2024, 5, 1, 20, 59), quiet) == datetime(2024, 5, 1, 20, 59)
    assert next_allowed(datetime(2024, 5, 1, 13, 0), Hours(12, 14)) == datetime(2024, 5, 1, 14, 0)
    times = pd.Series(pd.to_datetime(["2024-05-01 21:30", "2024-05-01 07:15", "2024-05-01 12:00"]))
    assert next_allowed_series(times, quiet).tolist() == [
        pd.Timestamp("2024-05-02 09:00"),
        pd.Timestamp("2024-05-01 09:00"),
        pd.Timestamp("2024-05-01 12:00"),
    ]


def test_calls_go_at_the_usual_hour_inside_adviser_hours() -> None:
    advisers, quiet = Hours(9, 18), Hours(21, 9)
    assert [call_hour(h, advisers, quiet) for h in (14.0, 20.0, 6.0, np.nan)] == [14, 17, 9, 9]
    not_before = pd.Series(pd.to_datetime(["2024-05-01 10:00", "2024-05-01 15:00"]))
    assert call_times(not_before, pd.Series([14, 14])).tolist() == [
        pd.Timestamp("2024-05-01 14:00"),
        pd.Timestamp("2024-05-02 14:00"),
    ]


# --- the batch decision ---------------------------------------------------------------------------------


def gate(allowed: list[bool], purpose: str):
    from features.consent_gate import ConsentCheck

    allowed_ = np.array(allowed)
    return ConsentCheck(allowed=allowed_, refused_purpose=np.where(allowed_, "", purpose).astype(object))


def test_decision_consent_first_then_cap_then_value() -> None:
    names = CONFIG.channel_names  # email, sms, push, phone, ads
    candidates = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "E"],
            "probability": [0.6, 0.6, 0.6, 0.6, 0.001],
            "due_at": [AS_OF - pd.Timedelta(hours=13)] * 5,
        }
    )
    consent = {ch: gate([True, True, False, True, True], CHANNEL_PURPOSE[ch]) for ch in names}
    consent["sms"] = gate([False, True, False, True, True], "sms_marketing")  # A refused SMS
    response = np.tile([[0.006, 0.014, 0.008, 0.0, 0.004]], (5, 1))  # phone never answers: never chosen
    recent = np.array([0, 0, 0, 2, 0])  # D has had two contacts this week
    value = np.array([100.0, 100.0, 100.0, 100.0, 100.0])
    out = decide(candidates, consent, response, recent, value, AS_OF, CONFIG).frame.set_index("customer_id")
    assert out["status"].to_dict() == {
        "A": CONTACT, "B": CONTACT, "C": NO_CONSENT, "D": PRESSURE_CAP, "E": NOT_WORTH_IT
    }  # fmt: skip
    # B: SMS is worth most (0.014 x 0.6/0.08 x 35 EUR - 0.06); A refused it: push, the next best
    assert out.loc["B", "channel"] == "sms" and out.loc["A", "channel"] == "push"
    assert out.loc["B", "expected_value"] == pytest.approx(0.014 * 0.6 / 0.08 * 35 - 0.06)
    assert out.loc["D", "channel"] == ""
    assert (out["send_at"] == pd.Timestamp(AS_OF)).all()  # due already, not in quiet hours: now


def test_ads_audience_comes_on_top_only_when_the_cap_leaves_room() -> None:
    names = CONFIG.channel_names
    candidates = pd.DataFrame(
        {"customer_id": ["A", "B"], "probability": [0.9, 0.9], "due_at": [AS_OF, AS_OF]}
    )
    consent = {ch: gate([True, True], CHANNEL_PURPOSE[ch]) for ch in names}
    response = np.tile([[0.006, 0.014, 0.008, 0.0, 0.01]], (2, 1))
    decisions = decide(
        candidates, consent, response, np.array([0, 1]), np.array([100.0, 100.0]), AS_OF, CONFIG
    )
    # A: one contact now, one ad: 2 in the week; B had one already: the message takes the last slot
    assert decisions.additive["ads"].tolist() == [True, False]
    assert decisions.left_out["ads"]["pressure_cap"] == 1


def test_a_contact_due_in_quiet_hours_waits_for_morning() -> None:
    names = CONFIG.channel_names
    late = pd.Timestamp("2024-05-01 22:00")
    candidates = pd.DataFrame(
        {"customer_id": ["A"], "probability": [0.6], "due_at": [late - pd.Timedelta(hours=1)]}
    )
    consent = {ch: gate([True], CHANNEL_PURPOSE[ch]) for ch in names}
    response = np.array([[0.006, 0.014, 0.008, 0.0, 0.004]])
    out = decide(candidates, consent, response, np.array([0]), np.array([100.0]), late, CONFIG).frame
    assert out["send_at"].tolist() == [pd.Timestamp("2024-05-02 09:00")]


# --- real time ------------------------------------------------------------------------------------------


def test_follow_up_in_real_time() -> None:
    now = datetime(2024, 5, 1, 20, 30)
    decision = follow_up(0.6, ALL, 0, 100.0, now, CONFIG)
    # cart abandonment: an hour later is 21:30, inside quiet hours: 09:00 the next morning
    assert decision.allowed and decision.reason == CONTACT and decision.send_at == datetime(2024, 5, 2, 9, 0)
    # with every channel at its base rate: phone 0.057 x 0.6/0.08 x 35 - 1.5 beats SMS 0.014 x 7.5 x 35 - 0.06
    assert decision.channel == "phone"
    assert decision.expected_value == pytest.approx(0.057 * 7.5 * 35 - 1.5)
    no_phone = {**ALL, "phone_marketing": False}
    assert follow_up(0.6, no_phone, 0, 100.0, now, CONFIG).channel == "sms"
    assert follow_up(0.6, {**ALL, "profiling": False}, 0, 100.0, now, CONFIG).reason == NO_CONSENT
    assert follow_up(0.6, {"profiling": True}, 0, 100.0, now, CONFIG).reason == NO_CONSENT
    assert follow_up(0.6, ALL, 2, 100.0, now, CONFIG).reason == PRESSURE_CAP
    assert follow_up(0.6, ALL, 1, 100.0, now, CONFIG).allowed
    assert follow_up(0.001, ALL, 0, None, now, CONFIG).reason == NOT_WORTH_IT
    wish = follow_up(0.6, ALL, 0, 100.0, datetime(2024, 5, 1, 12, 0), CONFIG, trigger=WISHLIST)
    assert wish.send_at == datetime(2024, 5, 5, 12, 0)


def test_follow_up_takes_well_under_a_millisecond() -> None:
    now = datetime(2024, 5, 1, 12, 0)
    runs = 2000
    start = time.perf_counter()
    for i in range(runs):
        follow_up(0.3 + i % 5 / 10, ALL, i % 3, 80.0, now, CONFIG)
    assert (time.perf_counter() - start) / runs < 0.001


def test_a_custom_cap_applies_in_real_time() -> None:
    strict = replace(CONFIG, pressure=replace(CONFIG.pressure, max_contacts=1))
    assert follow_up(0.6, ALL, 1, 100.0, datetime(2024, 5, 1, 12), strict).reason == PRESSURE_CAP


# --- plan -----------------------------------------------------------------------------------------------


def test_plan_arithmetic_by_hand() -> None:
    capacity = Capacity(advisers=12, hours_per_day=1, days=5, minutes_per_call=2, pickup_rate=0.8)
    # 12 x 60 min x 5 days / 2 min = 1,800 calls
    probabilities = np.array([0.5] * 1000 + [0.1] * 2000)
    plan = plan_calls(probabilities, capacity, target=200)
    assert plan.calls_possible == 1800 and plan.calls_made == 1800
    assert plan.answered == pytest.approx(1440)
    # most likely first: 0.8 x (1000 x 0.5 + 800 x 0.1) = 464
    assert plan.expected_conversions == pytest.approx(464)
    assert plan.reachable and plan.calls_needed == 500  # 0.8 x 500 x 0.5 = 200


def test_plan_says_what_an_unreachable_target_needs() -> None:
    capacity = Capacity(advisers=2, hours_per_day=1, days=5, minutes_per_call=2, pickup_rate=0.5)
    plan = plan_calls(np.full(1000, 0.2), capacity, target=60)
    # 300 calls x 0.5 x 0.2 = 30 < 60; 60 needs 600 calls = 1,200 min: 4 advisers over 5 days, or 10 days
    assert plan.calls_possible == 300 and plan.expected_conversions == pytest.approx(30)
    assert not plan.reachable
    assert (plan.calls_needed, plan.advisers_needed, plan.days_needed) == (600, 4, 10)
    beyond = plan_calls(np.full(10, 0.2), capacity, target=60)  # the whole list gives 1
    assert beyond.calls_needed is None and beyond.calls_made == 10
