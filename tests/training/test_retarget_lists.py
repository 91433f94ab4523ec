"""The retargeting lists on a hand-made shop: one channel per customer plus the ads audience, consent at
the second, hashed ads ids, the call list, delivery rounds, left-out counts and atomic files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from features.dataset import Dataset
from features.privacy.hashing import hash_id
from features.retarget.config import load_config
from training.retarget.lists import build_lists, write_lists

AS_OF = pd.Timestamp("2024-05-01 10:00:00")
SALT = "test-salt"
CONFIG = load_config()
EVERYTHING = ("email_marketing", "sms_marketing", "retargeting_ads", "profiling")


def shop(extra_consents: list[tuple] = ()) -> Dataset:
    ids = ["A", "B", "C", "D", "F"]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": "2024-01-01 09:00",
            "region": ["Grand Est", "Bretagne", "Bretagne", "Occitanie", "Occitanie"],
            "postcode": ["67000", "35000", "29200", "31000", "34000"],
            "acquisition_channel": "web",
            "has_web_account": True,
        }
    )
    products = pd.DataFrame(
        {"sku": ["P1", "P2"], "name": ["Comté", "Riesling"], "category": ["cheese", "wines"],
         "unit_price": [25.0, 20.0], "unit_margin": [8.0, 7.0], "in_stock": True, "is_replenishable": False}
    )  # fmt: skip
    lines = [  # one 100 EUR order each in March; D and F ordered on the delivery round 3 days ago
        *[(f"O{cid}", cid, "2024-03-01 14:00", "web", "P1", 4) for cid in ids],
        ("OD2", "D", "2024-04-28 11:00", "delivery", "P2", 1),
        ("OF2", "F", "2024-04-28 12:00", "delivery", "P2", 1),
    ]
    orders = pd.DataFrame(
        lines, columns=["order_id", "customer_id", "ordered_at", "channel", "sku", "quantity"]
    )
    orders = orders.assign(unit_price=lambda d: d["sku"].map({"P1": 25.0, "P2": 20.0}), discount=0.0)
    contacts = pd.DataFrame(  # C has had two contacts this week: the cap (2 a week) is reached
        [(f"K{i}", "C", "CAMP", "mail", f"2024-04-2{i + 6} 10:00") for i in range(2)],
        columns=["contact_id", "customer_id", "campaign_id", "channel", "sent_at"],
    )
    consents = [
        (cid, purpose, True, "2024-01-01 09:00", "web_form", "form:v1")
        for cid in "ABC"
        for purpose in EVERYTHING
    ]
    consents += [("D", "profiling", True, "2024-01-01 09:00", "web_form", "form:v1")]
    consents += list(extra_consents)
    consents = pd.DataFrame(
        consents, columns=["customer_id", "purpose", "granted", "recorded_at", "source", "proof"]
    )
    return Dataset.from_frames(
        {
            "customers": customers,
            "products": products,
            "orders": orders,
            "contacts": contacts,
            "consents": consents,
        }
    )


def intent() -> pd.DataFrame:
    cart = AS_OF - pd.Timedelta(hours=2)
    rows = [(f"V{cid}", cid, 0.6, "carted 1 item; returning visitor", cart, ["P1"]) for cid in "ABC"]
    frame = pd.DataFrame(
        rows,
        columns=[
            "visitor_id",
            "customer_id",
            "intent_probability",
            "intent_reasons",
            "last_cart_at",
            "carted_skus",
        ],
    )
    return frame.assign(last_wishlist_at=pd.NaT, wishlist_skus=[[]] * 3, last_event_at=cart)


def scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "F"],
            "churn_probability": 0.1,
            "purchase_propensity": 0.2,
            "predicted_value": 100.0,
            "reasons": [["bought 1 order"]] * 5,
            "top_items": "P2,P1",
            "next_best_offer": "WEB5",
        }
    )


def where(lists, customer: str) -> set[str]:
    found = {
        name
        for name, frame in lists.lists.items()
        if "customer_id" in frame and customer in set(frame["customer_id"])
    }
    if hash_id(customer, SALT) in set(lists.lists["ads"]["hashed_id"]):
        found.add("ads")
    return found


def test_one_message_channel_each_plus_the_ads_audience_with_hashed_ids() -> None:
    lists = build_lists(shop(), AS_OF, CONFIG, SALT, intent(), scores())
    # A and B: same history and consents: SMS is worth most (0.014 x 0.6/0.08 x 35 EUR - 0.06)
    assert where(lists, "A") == {"sms", "ads"} and where(lists, "B") == {"sms", "ads"}
    assert where(lists, "C") == set()  # two contacts this week already
    assert list(lists.lists["ads"].columns) == ["hashed_id"]
    assert set(lists.lists["ads"]["hashed_id"]) == {hash_id("A", SALT), hash_id("B", SALT)}
    assert lists.left_out["sms"]["pressure_cap"] == 1 and lists.left_out["ads"]["pressure_cap"] == 1
    assert lists.triggers == {"cart_abandonment": 3}
    sms = lists.lists["sms"].set_index("customer_id")
    assert sms.loc["A", "skus"] == "P1" and sms.loc["A", "next_best_offer"] == "WEB5"


def test_a_withdrawal_a_second_before_removes_that_channel_only() -> None:
    second_before = (AS_OF - pd.Timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    withdrawn = shop([("A", "sms_marketing", False, second_before, "email_link", None)])
    lists = build_lists(withdrawn, AS_OF, CONFIG, SALT, intent(), scores())
    assert "sms" not in where(lists, "A")
    assert where(lists, "A") == {"push", "ads"}  # the next best consented channel, and still the ads audience
    assert lists.left_out["sms"]["no_consent"] == 1
    assert lists.left_out["sms"]["no_consent_by_purpose"] == {"sms_marketing": 1}
    # recorded exactly at the cutoff: not yet in force (the ledger is read strictly before as_of)
    at_cutoff = shop([("A", "sms_marketing", False, str(AS_OF), "email_link", None)])
    assert "sms" in where(build_lists(at_cutoff, AS_OF, CONFIG, SALT, intent(), scores()), "A")


def test_without_profiling_consent_nobody_is_retargeted() -> None:
    second_before = (AS_OF - pd.Timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    refused = shop([("B", "profiling", False, second_before, "web_form", None)])
    lists = build_lists(refused, AS_OF, CONFIG, SALT, intent(), scores())
    assert where(lists, "B") == set() and where(lists, "A") == {"sms", "ads"}


def test_delivery_rounds_and_call_list(tmp_path: Path) -> None:
    phone = [(cid, "phone_marketing", True, "2024-01-01 09:00", "phone_call", "rec:1") for cid in "AB"]
    lists = build_lists(shop(phone), AS_OF, CONFIG, SALT, intent(), scores())
    # with phone consent, the adviser's call is worth most (0.057 x 7.5 x 35 - 1.5 = 13.46 EUR)
    calls = lists.lists["calls"]
    assert set(calls["customer_id"]) == {"A", "B"}
    assert calls["conversion_probability"].tolist() == [0.057 * 0.6 / 0.08] * 2
    assert (
        calls.loc[0, "top_reasons"] == "carted 1 item; returning visitor" and calls.loc[0, "products"] == "P1"
    )
    # both usually order at 14:00: called today at 14:00, inside adviser hours
    assert (calls["call_at"] == pd.Timestamp("2024-05-01 14:00")).all()
    # the round: D's order is delivered today (3 days after); F has not granted profiling
    delivery = lists.lists["delivery"]
    assert delivery[["region", "round", "customer_id", "propose_items"]].values.tolist() == [
        ["Occitanie", "31", "D", "P2,P1"]
    ]
    assert lists.left_out["delivery"] == {
        "no_consent": 1,
        "no_consent_by_purpose": {"profiling": 1},
        "pressure_cap": 0,
    }

    written = write_lists(lists, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["email.csv", "sms.csv", "push.csv", "calls.csv", "ads.csv", "delivery.csv", "summary.json"]
    )
    summary = json.loads(written["summary"].read_text())
    assert summary["lists"]["calls"]["rows"] == 2 and summary["lists"]["sms"]["pressure_cap"] == 1
    assert pd.read_csv(written["calls"])["call_at"].tolist() == ["2024-05-01 14:00:00"] * 2
