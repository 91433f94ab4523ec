"""`cible retarget lists` then `cible retarget plan` end to end on the small synthetic shop, with models
trained in a private Cible home; an erased customer is in no list afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features.dataset import Dataset
from features.errors import CibleError
from features.settings import Settings
from tests.training.test_predictive_cli import fast_config
from training.intent.config import IntentConfig
from training.intent.train import train_intent

runner = CliRunner()
LISTS = ("email", "sms", "push", "calls", "ads", "delivery")


def test_lists_then_plan(
    small_synthetic: Dataset, small_synthetic_dir: Path, settings: Settings, tmp_path: Path
) -> None:
    data = str(small_synthetic_dir)
    as_of = small_synthetic.default_as_of()
    for target in ("propensity",):  # the cross-sell probability; churn and value add lapsing
        trained = runner.invoke(
            app, ["train", target, "--data", data, "--config", str(fast_config(tmp_path))]
        )
        assert trained.exit_code == 0, trained.output
    run = train_intent(
        small_synthetic, as_of, settings, IntentConfig(n_training_cutoffs=2, num_boost_round=40)
    )
    assert run.decision.promoted, run.decision.reason

    out = tmp_path / "lists"
    at = str(as_of - pd.Timedelta(hours=10))  # 14:00 the day before: carts of the morning are due
    built = runner.invoke(app, ["retarget", "lists", "--data", data, "--as-of", at, "--out", str(out)])
    assert built.exit_code == 0, built.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["lists"]) == set(LISTS)
    assert summary["candidates_by_trigger"].get("cart_abandonment", 0) > 0
    frames = {name: pd.read_csv(out / f"{name}.csv", dtype={"round": str}) for name in LISTS}
    contacted = pd.concat([frames[n]["customer_id"] for n in ("email", "sms", "push", "calls")])
    assert len(contacted) > 0 and contacted.is_unique  # one message channel per customer
    assert (
        list(frames["ads"].columns) == ["hashed_id"]
        and frames["ads"]["hashed_id"].str.fullmatch("[0-9a-f]{64}").all()
    )
    for name in LISTS:
        assert {"no_consent", "pressure_cap"} <= set(summary["lists"][name]), name
        assert "no consent" in built.output
    calls = frames["calls"]
    if len(calls):
        hours = pd.to_datetime(calls["call_at"]).dt.hour
        assert hours.between(9, 17).all() and calls["conversion_probability"].is_monotonic_decreasing

    # the plan reads the last call list by default; 1 adviser x 1 h x 1 day at 2 min = 30 calls
    planned = runner.invoke(
        app,
        ["retarget", "plan", "--advisers", "1", "--hours-per-day", "1", "--days", "1",
         "--minutes-per-call", "2", "--pickup-rate", "0.5", "--target", "1000"],
    )  # fmt: skip
    assert planned.exit_code == 0, planned.output
    made = min(30, len(calls))
    expected = 0.5 * calls["conversion_probability"].nlargest(made).sum()
    assert "30 calls possible" in planned.output and f"expected conversions {expected:,.1f}" in planned.output
    assert "target 1000: not reachable" in planned.output

    # erasure reaches the next lists
    someone = contacted.iloc[0]
    erased = runner.invoke(app, ["privacy", "erase", someone])
    assert erased.exit_code == 0, erased.output
    again = runner.invoke(
        app, ["retarget", "lists", "--data", data, "--as-of", at, "--out", str(tmp_path / "after")]
    )
    assert again.exit_code == 0, again.output
    for name in ("email", "sms", "push", "calls", "delivery"):
        assert someone not in set(pd.read_csv(tmp_path / "after" / f"{name}.csv")["customer_id"])
    assert not list(out.glob(".*.tmp"))


def test_plan_without_a_call_list_is_one_clear_error(settings: Settings) -> None:
    result = runner.invoke(app, ["retarget", "plan"])
    # a CibleError, not any exception whose text happens to match (a KeyError on the missing file passed)
    assert isinstance(result.exception, CibleError) and "run `cible retarget lists`" in str(result.exception)
