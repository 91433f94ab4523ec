"""`cible retarget lists` on data loaded one customer partition at a time (``CIBLE_PARTITION_CUSTOMERS``
below the customer count) writes the lists and summary the whole data set gives: the same rows in the
same order, the same counts. What the lists compare across the shop (the high-value threshold of lapsing
customers, each channel's response rate) is the whole shop's in every partition."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features.campaigns.uplift_model import UpliftModel
from features.customer_partitions import partition_of
from features.dataset import Dataset
from features.predictive.model import CHURN, PROPENSITY, VALUE
from features.retarget.shop import shop_facts, shop_share
from features.retarget.triggers import TRIGGER
from features.settings import PARTITION_CUSTOMERS_ENV, Settings
from tests.campaigns.test_incremental_decisions import model as uplift_model
from tests.homes import fresh_home
from tests.training.predictive_data import FAST
from tests.training.test_retarget_lists import AS_OF, CONFIG, EVERYTHING, SALT, intent, scores, shop
from training.intent.config import IntentConfig
from training.intent.train import train_intent
from training.predictive.train import train_target
from training.retarget.lists import RetargetLists, build_lists, combine_lists

runner = CliRunner()
PER_PARTITION = 400  # the small shop's 1,500 customers in 4 partitions


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, small_synthetic: Dataset) -> Iterator[Settings]:
    with fresh_home(tmp_path_factory, "partitioned_lists") as settings:
        as_of = small_synthetic.default_as_of()
        for target in (PROPENSITY, CHURN, VALUE):  # cross-sell and lapsing high-value customers
            train_target(small_synthetic, as_of, settings, target, FAST)
        run = train_intent(
            small_synthetic, as_of, settings, IntentConfig(n_training_cutoffs=2, num_boost_round=40)
        )
        assert run.decision.promoted, run.decision.reason
        yield settings


def lists(data: Path, out: Path, at: str, per_partition: int | None = None) -> str:
    env = {PARTITION_CUSTOMERS_ENV: str(per_partition)} if per_partition else {}
    command = ["retarget", "lists", "--data", str(data), "--as-of", at, "--out", str(out)]
    result = runner.invoke(app, command, env=env)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_lists_by_partition_are_the_whole_lists(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, tmp_path: Path
) -> None:
    at = str(small_synthetic.default_as_of() - pd.Timedelta(hours=10))  # carts of the morning are due
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    said_whole = lists(small_synthetic_dir, whole, at)
    said_parts = lists(small_synthetic_dir, parts, at, per_partition=PER_PARTITION)
    assert "in 4 partitions" in said_parts and "partitions" not in said_whole
    summary = json.loads((whole / "summary.json").read_text())
    assert (parts / "summary.json").read_text() == (whole / "summary.json").read_text()
    assert {"cart_abandonment", "lapsing"} <= set(summary["candidates_by_trigger"])
    assert sum(summary["lists"][name]["rows"] for name in ("email", "sms", "push", "calls")) > 20
    for name in summary["lists"]:
        expected = pd.read_csv(whole / f"{name}.csv", dtype={"round": str})
        got = pd.read_csv(parts / f"{name}.csv", dtype={"round": str})
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=0)
    table = slice(-len(summary["lists"]) - 5, -1)  # the table of counts, the candidates by trigger
    assert said_parts.splitlines()[table] == said_whole.splitlines()[table]
    assert not any((home.home / "work").glob(".cible-*"))  # no partition file left behind


def test_a_shared_device_and_a_conversion_to_a_guest_order_across_partitions(
    home: Settings, small_synthetic: Dataset, small_synthetic_dir: Path, tmp_path: Path
) -> None:
    # A carted on their device in the morning; B (of another partition) logs in on it an hour before the
    # lists: the whole data set scores the device as B's on A's and B's events, a partition would see
    # either customer's events only.
    at = small_synthetic.default_as_of() - pd.Timedelta(hours=10)
    lists(small_synthetic_dir, tmp_path / "before", str(at))
    contacted = pd.concat(
        [pd.read_csv(tmp_path / "before" / f"{name}.csv") for name in ("email", "sms", "push", "calls")]
    )
    customer = contacted.loc[contacted["trigger"] == "cart_abandonment", "customer_id"].iloc[0]
    events = small_synthetic.events
    carts = events[(events["customer_id"] == customer) & (events["type"] == "add_to_cart")]
    carted = carts[carts["occurred_at"] < at].sort_values("occurred_at").iloc[-1]
    owner = partition_of(np.array([customer], dtype=object), 4)[0]
    others = events["customer_id"].dropna().drop_duplicates()
    other = others[partition_of(others.to_numpy(dtype=object), 4) != owner].iloc[0]
    folder = tmp_path / "shared"
    shutil.copytree(small_synthetic_dir, folder)
    frame = pd.read_parquet(folder / "events.parquet")
    row = frame.index[frame["customer_id"] == other][0]
    frame.loc[row, ["visitor_id", "occurred_at"]] = [carted["visitor_id"], at - pd.Timedelta(hours=1)]
    frame.to_parquet(folder / "events.parquet", index=False)
    # and an SMS converted into a guest order (split by its own id) of another partition than its customer
    orders = small_synthetic.orders
    guest = orders[orders["customer_id"].isna() & (orders["ordered_at"] < at)]["order_id"].iloc[0]
    contacts = pd.read_parquet(folder / "contacts.parquet")
    sms = contacts[(contacts["channel"] == "sms") & contacts["converted_order_id"].isna()]
    elsewhere = partition_of(sms["customer_id"].to_numpy(dtype=object), 4) != partition_of(
        np.array([guest], dtype=object), 4
    )
    contacts.loc[sms.index[elsewhere][0], "converted_order_id"] = guest
    contacts.to_parquet(folder / "contacts.parquet", index=False)

    whole, parts = tmp_path / "whole", tmp_path / "parts"
    lists(folder, whole, str(at))
    assert "in 4 partitions" in lists(folder, parts, str(at), per_partition=PER_PARTITION)
    assert (parts / "summary.json").read_text() == (whole / "summary.json").read_text()
    for name in json.loads((whole / "summary.json").read_text())["lists"]:
        assert (parts / f"{name}.csv").read_text() == (whole / f"{name}.csv").read_text(), name


def part_of(dataset: Dataset, ids: list[str]) -> Dataset:
    """The rows of ``ids`` (a customer partition of a hand-made shop)."""
    frames = {
        name: frame[frame["customer_id"].isin(ids)] if "customer_id" in frame else frame
        for name, frame in dataset.frames().items()
    }
    return Dataset.from_frames(frames)


@pytest.mark.parametrize("uplift", [None, uplift_model()], ids=["no uplift", "uplift"])
def test_lapsing_high_value_and_channel_rates_are_the_whole_shops_at_a_partition_boundary(
    uplift: UpliftModel | None,
) -> None:
    # D and F are lapsing (churn risk); by value the shop's median is 30, so both are high-value, but in a
    # partition of D and F alone the median (175) would leave F out. Only C was ever sent an e-mail
    # (converted): the e-mail rate of D and F is C's, not the configured base.
    config = replace(CONFIG, lapsing=replace(CONFIG.lapsing, min_value_quantile=0.5))
    consents = [(cid, p, True, "2024-01-01 09:00", "web_form", "form:v1") for cid in "DF" for p in EVERYTHING]
    whole = shop(consents)
    emailed = pd.DataFrame(
        [("KE", "C", "CAMP", "email", "2024-02-28 10:00", "OC")],
        columns=["contact_id", "customer_id", "campaign_id", "channel", "sent_at", "converted_order_id"],
    )
    whole = Dataset.from_frames(whole.frames() | {"contacts": pd.concat([whole.contacts, emailed])})
    scored = scores().assign(
        churn_probability=[0.1, 0.1, 0.1, 0.9, 0.9], predicted_value=[10.0, 20.0, 30.0, 200.0, 150.0]
    )
    ids = (["A", "B", "C"], ["D", "F"])
    parts = [part_of(whole, part) for part in ids]
    part_scores = [scored[scored["customer_id"].isin(part)].reset_index(drop=True) for part in ids]
    part_intent = [intent()[intent()["customer_id"].isin(part)].reset_index(drop=True) for part in ids]

    facts = shop_facts(
        [shop_share(d, s, AS_OF, config) for d, s in zip(parts, part_scores, strict=True)], config
    )
    assert facts == shop_facts([shop_share(whole, scored, AS_OF, config)], config)
    assert facts.min_value == 30.0 and facts.rates["email"] == 1.0

    # the uplift champion reads each customer's own features (its partition's)
    features = pd.DataFrame({"customer_id": list("ABCDF"), "orders": [1.0, 2.0, 3.0, 4.0, 5.0]})
    expected = build_lists(whole, AS_OF, config, SALT, intent(), scored, uplift, features)
    got = combine_lists(
        [
            build_lists(
                d, AS_OF, config, SALT, i, s, uplift, features[features["customer_id"].isin(p)], facts
            )
            for d, i, s, p in zip(parts, part_intent, part_scores, ids, strict=True)
        ],
        config,
    )
    assert_same(got, expected)
    lapsing = set(expected.decisions.loc[expected.decisions[TRIGGER] == "lapsing", "customer_id"])
    assert lapsing == {"D", "F"}
    # the partition's own facts would have given another answer
    alone = build_lists(parts[1], AS_OF, config, SALT, part_intent[1], part_scores[1])
    assert set(alone.decisions.loc[alone.decisions[TRIGGER] == "lapsing", "customer_id"]) == {"D"}


def assert_same(got: RetargetLists, expected: RetargetLists) -> None:
    assert got.summary() == expected.summary()
    assert json.dumps(got.summary()) == json.dumps(expected.summary())  # the keys' order too
    assert list(got.lists) == list(expected.lists)
    for name, frame in expected.lists.items():
        pd.testing.assert_frame_equal(got.lists[name], frame, check_exact=False, rtol=1e-9, atol=0)
    pd.testing.assert_frame_equal(got.decisions, expected.decisions, check_exact=False, rtol=1e-9, atol=0)
