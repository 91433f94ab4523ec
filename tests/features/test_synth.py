"""The synthetic retailer: valid against the contract, reproducible, calibrated, and true to its model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import columns as c
from features.dataset import line_amounts
from features.load import load_dataset
from features.schema import TABLES
from features.synth.config import PHONE_BASKET_EUR, WEB_BASKET_EUR, SynthConfig
from features.synth.consents import CHANNEL_PURPOSE
from features.synth.generate import STAGES, SynthResult, generate, write_synthetic

SMALL = SynthConfig(customers=400, months=6, seed=3)
# A calendar year, so autumn and Christmas follow each other within the window.
MEDIUM = SynthConfig(customers=3000, months=12, seed=11, end=pd.Timestamp("2027-01-01"))


@pytest.fixture(scope="module")
def medium() -> SynthResult:
    return generate(MEDIUM)


def sales_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per order (returns excluded) with its channel, customer, time and net value."""
    sales = orders[orders[c.QUANTITY] > 0].assign(amount=lambda d: line_amounts(d))
    return sales.groupby(c.ORDER_ID).agg(
        channel=(c.CHANNEL, "first"),
        customer_id=(c.CUSTOMER_ID, "first"),
        ordered_at=(c.ORDERED_AT, "first"),
        amount=("amount", "sum"),
    )


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


def test_small_and_medium_data_pass_the_validator(medium: SynthResult) -> None:
    from features.validate import validate_frames

    for result in (generate(SMALL), medium):
        problems, _ = validate_frames(result.tables)
        assert problems == [], [str(p) for p in problems[:5]]


def test_written_folder_loads_and_holds_the_truth_beside_it(tmp_path: Path) -> None:
    steps: list[str] = []
    write_synthetic(SMALL, tmp_path, progress=steps.append)
    assert steps == [*STAGES, "write"]
    data = load_dataset(tmp_path, now=SMALL.end)
    assert len(data.customers) == SMALL.customers
    assert {p.name for p in (tmp_path / "truth").iterdir()} >= {"customers.parquet", "sessions.parquet"}
    truth = pd.read_parquet(tmp_path / "truth" / "customers.parquet")
    assert set(truth[c.CUSTOMER_ID]) == set(data.customers[c.CUSTOMER_ID])


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_synthetic(SMALL, first)
    write_synthetic(SMALL, again)
    write_synthetic(SynthConfig(customers=SMALL.customers, months=SMALL.months, seed=SMALL.seed + 1), other)
    assert digests(first) == digests(again)
    assert len(digests(first)) == 13
    differing = [name for name, digest in digests(first).items() if digests(other)[name] != digest]
    assert {"orders.parquet", "events.parquet", "customers.parquet"} <= set(differing)


def test_contract_tables_hold_exactly_the_contract_columns(medium: SynthResult) -> None:
    truth_only = {col for frame in medium.truth.values() for col in frame.columns} - {
        col.name for table in TABLES.values() for col in table.columns
    }
    assert {"customer_type", "churn_at", "purchase_rate"} <= truth_only
    for name, table in TABLES.items():
        assert tuple(medium.tables[name].columns) == table.column_names
        assert not truth_only & set(medium.tables[name].columns)


def test_average_baskets_match_the_public_figures(medium: SynthResult) -> None:
    basket = sales_orders(medium.tables["orders"]).groupby("channel")["amount"].mean()
    assert basket["web"] == pytest.approx(WEB_BASKET_EUR, rel=0.10)
    assert basket["phone"] == pytest.approx(PHONE_BASKET_EUR, rel=0.10)
    assert basket["store"] < basket["phone"] < basket["app"] < basket["web"]


def test_december_peaks_and_august_dips(medium: SynthResult) -> None:
    orders = medium.tables["orders"]
    revenue = pd.Series(line_amounts(orders)).groupby(orders[c.ORDERED_AT].dt.month.to_numpy()).sum()
    assert revenue.size == 12
    assert revenue[12] > 1.6 * revenue.mean()
    assert revenue[12] > revenue[11] > revenue[10]
    assert revenue[8] < 0.85 * revenue[7]


def test_web_traffic_is_tens_of_thousands_of_visits_a_month_per_20k_customers(medium: SynthResult) -> None:
    sessions = medium.tables["events"][c.SESSION_ID].nunique()
    per_20k_a_month = sessions / MEDIUM.months / MEDIUM.customers * 20_000
    assert 20_000 <= per_20k_a_month <= 60_000


def test_hidden_types_shape_behaviour(medium: SynthResult) -> None:
    types = medium.truth["customers"].set_index(c.CUSTOMER_ID)["customer_type"]
    orders = sales_orders(medium.tables["orders"]).dropna(subset=[c.CUSTOMER_ID])
    mix = pd.crosstab(orders[c.CUSTOMER_ID].map(types), orders["channel"], normalize="index")
    assert mix.loc["phone_loyal_senior", "phone"] > 0.5
    assert mix.loc["web_first_gourmet", ["web", "app"]].sum() > 0.7
    assert mix.loc["store_regular", "store"] > 0.5
    assert mix.loc["app_family", "app"] > 0.5
    birth = medium.tables["customers"].set_index(c.CUSTOMER_ID)[c.BIRTH_YEAR].astype("float64")
    by_type = birth.groupby(types).mean()
    assert by_type["phone_loyal_senior"] < 1955 < 1975 < by_type["web_first_gourmet"]
    discounted = medium.tables["orders"].assign(t=lambda d: d[c.CUSTOMER_ID].map(types))
    share = (discounted[c.DISCOUNT] > 0).groupby(discounted["t"]).mean()
    assert share["deal_seeker"] > 1.5 * share.drop("deal_seeker").max()
    churned = medium.truth["customers"].groupby("customer_type")["churn_at"].apply(lambda s: s.notna().mean())
    assert churned["lapsing"] > 0.5 > 0.3 > churned["phone_loyal_senior"]


def test_nothing_happens_before_sign_up_or_after_churn(medium: SynthResult) -> None:
    t = medium.tables
    truth = medium.truth["customers"].set_index(c.CUSTOMER_ID)
    created = t["customers"].set_index(c.CUSTOMER_ID)[c.CREATED_AT]
    for name, when in [("orders", c.ORDERED_AT), ("events", c.OCCURRED_AT), ("contacts", c.SENT_AT)]:
        rows = t[name].dropna(subset=[c.CUSTOMER_ID])
        assert (rows[when] >= rows[c.CUSTOMER_ID].map(created)).all(), name
        assert (t[name][when] < MEDIUM.end).all(), name
    for name, when in [("orders", c.ORDERED_AT), ("events", c.OCCURRED_AT)]:
        rows = t[name].dropna(subset=[c.CUSTOMER_ID])
        churn = rows[c.CUSTOMER_ID].map(truth["churn_at"])
        assert not (rows[when] >= churn).any(), name
    assert truth["churn_at"].notna().sum() > 0.1 * MEDIUM.customers


def test_contacts_only_where_consent_was_granted_at_send_time(medium: SynthResult) -> None:
    contacts = medium.tables["contacts"].assign(purpose=lambda d: d[c.CHANNEL].map(CHANNEL_PURPOSE))
    ledger = medium.tables["consents"].sort_values(c.RECORDED_AT)
    state = pd.merge_asof(
        contacts.sort_values(c.SENT_AT),
        ledger[[c.CUSTOMER_ID, c.PURPOSE, c.RECORDED_AT, c.GRANTED]],
        left_on=c.SENT_AT,
        right_on=c.RECORDED_AT,
        by=[c.CUSTOMER_ID, c.PURPOSE],
    )
    assert len(state) == len(contacts) > 0
    assert state[c.GRANTED].eq(True).all()
    assert set(contacts[c.CHANNEL]) == set(CHANNEL_PURPOSE)


def test_consent_ledger_has_realistic_refusals_and_later_changes(medium: SynthResult) -> None:
    ledger = medium.tables["consents"].sort_values(c.RECORDED_AT)
    latest = ledger.groupby([c.CUSTOMER_ID, c.PURPOSE])[c.GRANTED].last().unstack()
    assert 0.15 <= (~latest["profiling"]).mean() <= 0.25
    assert 0.40 <= (~latest["sms_marketing"]).mean() <= 0.60
    changes = ledger.groupby([c.CUSTOMER_ID, c.PURPOSE])[c.GRANTED].agg(["first", "last", "size"])
    assert ((changes["size"] > 1) & changes["first"] & ~changes["last"]).sum() > 0  # withdrawals
    assert ((changes["size"] > 1) & ~changes["first"] & changes["last"]).sum() > 0  # later grants
    assert ledger.loc[ledger[c.GRANTED], c.PROOF].str.len().gt(0).all()


def test_conversions_are_orders_credited_to_their_campaign(medium: SynthResult) -> None:
    contacts = medium.tables["contacts"].dropna(subset=[c.CONVERTED_ORDER_ID])
    orders = medium.tables["orders"].groupby(c.ORDER_ID).first()
    converted = orders.loc[contacts[c.CONVERTED_ORDER_ID]]
    assert len(contacts) > 100
    assert (converted[c.CAMPAIGN_ID].to_numpy() == contacts[c.CAMPAIGN_ID].to_numpy()).all()
    assert (converted[c.CUSTOMER_ID].to_numpy() == contacts[c.CUSTOMER_ID].to_numpy()).all()
    assert (converted[c.ORDERED_AT].to_numpy() > contacts[c.SENT_AT].to_numpy()).all()
    offers = contacts[c.OFFER_ID].dropna()
    assert offers.str.startswith("CAT15_").any() and (offers == "WEB5").any()


def test_every_web_and_app_order_has_its_checkout_session(medium: SynthResult) -> None:
    orders = sales_orders(medium.tables["orders"])
    online = orders[orders["channel"].isin(["web", "app"])]
    events = medium.tables["events"]
    purchases = events[events[c.EVENT_TYPE] == "purchase"]
    assert len(purchases) == len(online)
    assert sorted(purchases[c.OCCURRED_AT]) == sorted(online[c.ORDERED_AT])
    checkouts = events[events[c.SESSION_ID].isin(purchases[c.SESSION_ID])]
    tails = checkouts.groupby(c.SESSION_ID)[c.EVENT_TYPE].agg(lambda s: "|".join(s.iloc[-2:]))
    assert tails.eq("checkout_start|purchase").all()
    assert online[c.CUSTOMER_ID].isna().mean() > 0  # some guest checkouts


def test_visitors_browse_anonymously_and_some_log_in_later(medium: SynthResult) -> None:
    events = medium.tables["events"]
    assert events[c.CUSTOMER_ID].isna().mean() > 0.1
    by_visitor = events.groupby(c.VISITOR_ID)[c.CUSTOMER_ID]
    first_anonymous = by_visitor.agg(lambda s: pd.isna(s.iloc[0]))
    later_known = by_visitor.agg(lambda s: s.notna().any())
    assert (first_anonymous & later_known).sum() > 50
    assert (~later_known).sum() > 100
    accounts = medium.tables["customers"].set_index(c.CUSTOMER_ID)[c.HAS_WEB_ACCOUNT]
    online = medium.tables["orders"].query("channel in ['web', 'app']")[c.CUSTOMER_ID].dropna()
    assert accounts.loc[pd.unique(pd.concat([events[c.CUSTOMER_ID].dropna(), online]))].all()


def test_browsing_signals_carts_wishlists_and_intent(medium: SynthResult) -> None:
    events, orders, truth = medium.tables["events"], medium.tables["orders"], medium.truth
    sources = truth["orders"].set_index(c.ORDER_ID)["source"]
    assert {"cart", "wishlist", "campaign", "clock", "guest"} <= set(sources)
    reminders = medium.tables["contacts"].query("campaign_id == 'cart_reminder'")
    assert reminders[c.CONVERTED_ORDER_ID].notna().sum() > 0
    # Visits flagged as intent view products of the order that follows them.
    intent = truth["sessions"].query("kind == 'intent'")[[c.SESSION_ID, c.ORDER_ID]]
    viewed = events.merge(intent, on=c.SESSION_ID).dropna(subset=[c.SKU])
    bought = orders[[c.ORDER_ID, c.SKU]].assign(bought=True)
    hits = viewed.merge(bought, on=[c.ORDER_ID, c.SKU], how="left")["bought"].eq(True)
    assert hits.mean() > 0.5


def test_staples_are_rebought_on_a_personal_rhythm(medium: SynthResult) -> None:
    orders = medium.tables["orders"].query("quantity > 0").dropna(subset=[c.CUSTOMER_ID])
    orders = orders.sort_values([c.CUSTOMER_ID, c.SKU, c.ORDERED_AT])
    pair = [orders[c.CUSTOMER_ID], orders[c.SKU]]
    gap = orders.groupby(pair)[c.ORDERED_AT].diff().dt.total_seconds()
    stats = gap.groupby(pair).agg(["count", "mean", "std"])
    spread = (stats["std"] / stats["mean"])[stats["count"] >= 3]
    staples = medium.truth["replenishment"].set_index([c.CUSTOMER_ID, c.SKU]).index
    is_staple = spread.index.isin(staples)
    assert is_staple.sum() > 100
    assert spread[is_staple].median() < 0.75 * spread[~is_staple].median()


def test_products_catalogue_is_plausible(medium: SynthResult) -> None:
    products = medium.tables["products"].set_index(c.CATEGORY)
    assert 300 <= len(products) <= 500
    assert (products[c.UNIT_MARGIN] < products[c.UNIT_PRICE]).all()
    assert not products[c.IN_STOCK].all()
    replenishable = products[c.IS_REPLENISHABLE].groupby(level=0).mean()
    assert replenishable["coffee_tea"] == 1.0 and replenishable["gift_boxes"] == 0.0
    assert "non_product" in products.index
    fees = set(products.loc["non_product", c.SKU])
    assert medium.tables["orders"][c.SKU].isin(fees).any()


def test_invalid_configs_are_refused() -> None:
    with pytest.raises(ValueError, match="customers"):
        SynthConfig(customers=0)
    with pytest.raises(ValueError, match="months"):
        SynthConfig(months=0)
    assert np.isclose(SynthConfig().basket_targets()[0], WEB_BASKET_EUR)
