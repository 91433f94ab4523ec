"""Campaign results worked out by hand on a small campaign, and checked against the synthetic truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.campaigns.results import Z95, campaign_results, window_outcomes
from features.dataset import Dataset
from features.synth.config import SynthConfig
from features.synth.generate import generate

AS_OF = pd.Timestamp("2024-04-01")
SENT = "2024-03-01 10:00"  # an e-mail: its window is 7 days, to 2024-03-08 10:00


def small_campaign() -> Dataset:
    ids = ["T1", "T2", "T3", "K1", "K2"]
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "created_at": "2023-01-01",
            "region": "Bretagne",
            "acquisition_channel": "web",
            "has_web_account": True,
        }
    )
    products = pd.DataFrame(
        {
            "sku": ["P1"],
            "name": ["Comté"],
            "category": ["cheese"],
            "unit_price": [10.0],
            "unit_margin": [4.0],
            "in_stock": [True],
            "is_replenishable": [True],
        }
    )
    orders = pd.DataFrame(
        [  # order, customer, when, quantity, discount
            ("O1", "T1", "2024-01-15 09:00", 1, 0.0),  # 90 days before: pre-period spend 10
            ("O2", "T1", "2024-03-02 09:00", 2, 0.15),  # in the window: 17 EUR, margin 2 x (4 - 1.5) = 5
            ("O3", "T2", "2024-03-09 09:00", 1, 0.0),  # after the window
            ("O4", "T3", "2024-03-05 09:00", 1, 0.0),  # converted ...
            ("R1", "T3", "2024-03-06 09:00", -1, 0.0),  # ... then returned it: revenue and margin 0
            ("O5", "K1", "2023-11-01 09:00", 1, 0.0),  # more than 90 days before: not pre-period
            ("O6", "K1", "2024-02-01 09:00", 3, 0.0),  # pre-period spend 30
            ("O7", "K1", "2024-03-03 09:00", 1, 0.0),  # control converts: 10 EUR, margin 4
        ],
        columns=["order_id", "customer_id", "ordered_at", "quantity", "discount"],
    ).assign(channel="web", sku="P1", unit_price=10.0)
    assignments = pd.DataFrame(
        {
            "campaign_id": "NL1",
            "customer_id": ids,
            "assigned_at": SENT,
            "group": ["treated", "treated", "treated", "control", "control"],
            "channel": "email",
            "offer_id": "CAT15_cheese",
        }
    )
    contacts = pd.DataFrame(
        {
            "contact_id": ["K1", "K2", "K3", "K4"],
            "customer_id": ["T1", "T2", "T3", "T1"],
            "campaign_id": ["NL1", "NL1", "NL1", "SMS0"],
            "offer_id": "CAT15_cheese",
            "channel": ["email", "email", "email", "sms"],
            "sent_at": [SENT, SENT, SENT, "2024-02-20 12:00"],
        }
    )
    return Dataset.from_frames(
        {
            "customers": customers,
            "products": products,
            "orders": orders,
            "assignments": assignments,
            "contacts": contacts,
        }
    )


def test_a_small_campaign_worked_out_by_hand() -> None:
    result = campaign_results(small_campaign(), AS_OF).set_index(c.CAMPAIGN_ID)
    nl1 = result.loc["NL1"]
    assert (nl1["treated"], nl1["control"], nl1["has_control"]) == (3, 2, True)
    assert nl1["window_start"] == pd.Timestamp(SENT)
    assert nl1["window_end"] == pd.Timestamp("2024-03-08 10:00")
    assert nl1["treated_conversion_rate"] == pytest.approx(2 / 3)
    assert nl1["control_conversion_rate"] == pytest.approx(1 / 2)
    assert nl1["treated_revenue_per_customer"] == pytest.approx(17 / 3)
    assert nl1["control_revenue_per_customer"] == pytest.approx(5.0)
    assert nl1["treated_margin_per_customer"] == pytest.approx(5 / 3)
    assert nl1["control_margin_per_customer"] == pytest.approx(2.0)
    # difference of proportions, Wald interval
    se = math.sqrt((2 / 3) * (1 / 3) / 3 + (1 / 2) * (1 / 2) / 2)
    assert nl1["incremental_conversion_rate"] == pytest.approx(1 / 6)
    assert nl1["incremental_conversion_rate_low"] == pytest.approx(1 / 6 - Z95 * se)
    assert nl1["incremental_conversion_rate_high"] == pytest.approx(1 / 6 + Z95 * se)
    # difference of means, Welch: margins (5, 0, 0) vs (4, 0); sample variances 25/3 and 8
    se = math.sqrt((25 / 3) / 3 + 8 / 2)
    assert nl1["incremental_margin_per_customer"] == pytest.approx(-1 / 3)
    assert nl1["incremental_margin_low"] == pytest.approx(-1 / 3 - Z95 * se)
    assert nl1["incremental_margin_high"] == pytest.approx(-1 / 3 + Z95 * se)
    assert nl1["offer_cost_per_customer"] == pytest.approx(0.03)  # CAT15 in the default catalogue
    assert nl1["net_incremental_margin"] == pytest.approx(-1 / 3 - 0.03)
    # pre-period spend (10, 0, 0) vs (30, 0): variances 100/3 and 450
    assert nl1["pre_period_spend_smd"] == pytest.approx((10 / 3 - 15) / math.sqrt((100 / 3 + 450) / 2))
    assert not nl1["balanced"] and "unbalanced" in nl1["note"]

    sms0 = result.loc["SMS0"]  # only in contacts
    assert (sms0["treated"], sms0["control"], sms0["has_control"]) == (1, 0, False)
    assert "no control group" in sms0["note"] and math.isnan(sms0["incremental_conversion_rate"])


def test_selection_by_id_and_start_and_nothing_after_as_of() -> None:
    data = small_campaign()
    assert campaign_results(data, AS_OF, campaign_ids=["SMS0"])[c.CAMPAIGN_ID].tolist() == ["SMS0"]
    assert campaign_results(data, AS_OF, since=pd.Timestamp("2024-02-25"))[c.CAMPAIGN_ID].tolist() == ["NL1"]
    early = campaign_results(data, pd.Timestamp("2024-03-04"), campaign_ids=["NL1"]).iloc[0]
    assert early["treated_conversion_rate"] == pytest.approx(1 / 3)  # T3's order is not known yet
    assert "window still open until 2024-03-08 10:00" in early["note"]
    assert campaign_results(data, AS_OF, campaign_ids=["nope"]).empty


@pytest.fixture(scope="module")
def synthetic():
    return generate(SynthConfig(customers=1200, months=8, seed=11))


def test_synthetic_control_groups_are_random_and_never_contacted(synthetic) -> None:
    data = Dataset.from_frames(synthetic.tables)
    assigned = data.assignments
    share = (assigned[c.GROUP] == "control").mean()
    assert 0.13 < share < 0.17  # 15% held out
    sent = set(zip(data.contacts[c.CAMPAIGN_ID], data.contacts[c.CUSTOMER_ID], strict=True))
    pairs = list(zip(assigned[c.CAMPAIGN_ID], assigned[c.CUSTOMER_ID], strict=True))
    is_sent = np.array([p in sent for p in pairs])
    assert (is_sent == (assigned[c.GROUP] == "treated").to_numpy()).all()


def test_measured_outcomes_are_the_truths_potential_outcomes(synthetic) -> None:
    data = Dataset.from_frames(synthetic.tables)
    truth = synthetic.truth["assignments"]
    assert (truth[c.CAMPAIGN_ID].to_numpy() == data.assignments[c.CAMPAIGN_ID].to_numpy()).all()
    observed = window_outcomes(data, data.assignments)["converted"].to_numpy()
    control = data.assignments[c.GROUP].to_numpy() == "control"
    expected = np.where(control, truth["converts_if_control"], truth["converts_if_treated"])
    assert (observed == expected).all()
    types = truth.groupby("response_type")[["campaign_order_if_treated", "campaign_order_if_control"]].sum()
    assert types.loc["lost_cause"].sum() == 0
    assert types.loc["persuadable", "campaign_order_if_control"] == 0
    assert types.loc["do_not_disturb", "campaign_order_if_treated"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_intervals_cover_the_true_effect(seed: int) -> None:
    """The benchmark runs 100 seeds (experiments/campaigns_coverage.py); CI checks three."""
    result = generate(SynthConfig(customers=6000, months=6, seed=seed))
    data = Dataset.from_frames(result.tables)
    measured = campaign_results(data, pd.Timestamp(SynthConfig().end)).set_index(c.CAMPAIGN_ID)
    truth = result.truth["assignments"]
    effect = (
        (truth["converts_if_treated"].astype(int) - truth["converts_if_control"].astype(int))
        .groupby(truth[c.CAMPAIGN_ID])
        .mean()
    )
    both = measured[measured["has_control"]].join(effect.rename("true"), how="inner")
    covered = (both["incremental_conversion_rate_low"] <= both["true"]) & (
        both["true"] <= both["incremental_conversion_rate_high"]
    )
    assert len(both) > 20 and covered.mean() >= 0.9
