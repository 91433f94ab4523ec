"""Marketers' commands end to end: train, list, show, export with consent, audiences, diff."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features.errors import CibleError
from features.load import load_dataset

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_segments_workflow(small_synthetic_dir, settings, tmp_path) -> None:
    data = str(small_synthetic_dir)
    out = invoke("train", "segments", "--data", data, "--as-of", "2026-08-01")
    assert "gate: no champion yet" in out
    listing = invoke("segments", "list")
    assert "champions" in listing and "value tier" in listing

    export = tmp_path / "champions.json"
    out = invoke(
        "segments",
        "export",
        "champions",
        "--channel",
        "email",
        "--out",
        str(export),
        "--control",
        "10",
        "--data",
        data,
        "--min-size",
        "5",
        "--campaign",
        "champions-nl1",
        "--offer",
        "FREE_DELIVERY",
    )
    rows = json.loads(export.read_text())
    assert rows and all(r["segment"] == "champions" and r["channel"] == "email" for r in rows)
    assert {r["campaign_id"] for r in rows} == {"champions-nl1"}
    # the pick is recorded in the home, treated and control, and every load merges it into `assignments`
    assert "campaign 'champions-nl1' recorded in" in out
    loaded = load_dataset(small_synthetic_dir).assignments
    picked = loaded[loaded["campaign_id"] == "champions-nl1"].set_index("customer_id")
    assert len(picked) == len(rows)
    for r in rows:
        assert picked.loc[r["customer_id"], "group"] == ("control" if r["control_group"] else "treated")
    assert set(picked["offer_id"]) == {"FREE_DELIVERY"} and set(picked["channel"]) == {"email"}
    assert "control group 10% of" in out and "detects a lift of" in out  # the plan, shown before writing

    # --control auto: the smallest share detecting the lift at 80% power, planned before the export
    out = invoke(
        "segments", "export", "champions", "--channel", "email", "--out", str(tmp_path / "auto.csv"),
        "--control", "auto", "--lift", "0.4", "--data", data, "--min-size", "5",
        "--campaign", "champions-auto",
    )  # fmt: skip
    assert "control group auto: " in out and "at 80% power (two-sided 5%)" in out
    held = pd.read_csv(tmp_path / "auto.csv")["control_group"]
    assert 0 < held.sum() < len(held)
    too_big = runner.invoke(
        app,
        ["segments", "export", "champions", "--channel", "email", "--out", str(tmp_path / "no.csv"),
         "--control", "auto", "--lift", "0.001", "--data", data, "--min-size", "5"],
    )  # fmt: skip
    assert too_big.exit_code == 1 and "even with half held out" in str(too_big.exception)
    assert not (tmp_path / "no.csv").exists()
    assert "removed" in out and "no 'email_marketing' consent" in out
    consents = pd.read_parquet(small_synthetic_dir / "consents.parquet")
    latest = consents.sort_values("recorded_at").drop_duplicates(["customer_id", "purpose"], keep="last")
    granted = latest[latest["granted"]]
    email_ok = set(granted.loc[granted["purpose"] == "email_marketing", "customer_id"])
    profiling_ok = set(granted.loc[granted["purpose"] == "profiling", "customer_id"])
    assert {r["customer_id"] for r in rows} <= email_ok & profiling_ok

    rule = tmp_path / "audience.yaml"
    rule.write_text("name: big_spenders\nrule: total_spend > 500 and consent.sms_marketing\n")
    assert "saved audience 'big_spenders' (profile-based)" in invoke("audiences", "save", str(rule))
    sms = tmp_path / "big.csv"
    invoke(
        "segments",
        "export",
        "big_spenders",
        "--channel",
        "sms",
        "--out",
        str(sms),
        "--data",
        data,
        "--min-size",
        "1",
    )
    assert len(pd.read_csv(sms)) > 0

    invoke("segments", "assign", "--data", data, "--as-of", "2026-10-01")
    diff = invoke("segments", "diff", "champions", "--since", "2026-08-01")
    assert "entered" in diff and "exited" in diff

    shown = invoke("segments", "show", "champions", "--data", data)
    assert "revenue_share_365d" in shown


def test_unknown_segment_and_bad_rule_are_clear_errors(small_synthetic_dir, settings, tmp_path) -> None:
    invoke("train", "segments", "--data", str(small_synthetic_dir))
    result = runner.invoke(
        app, ["segments", "export", "vips", "--channel", "email", "--out", str(tmp_path / "x.csv")]
    )
    # a CibleError (printed in one line), not merely a non-zero exit: a bare KeyError('vips') passed before
    assert isinstance(result.exception, CibleError) and "unknown segment 'vips'" in str(result.exception)
    rule = tmp_path / "bad.yaml"
    rule.write_text("name: bad_rule\nrule: regoin == 'Corse'\n")
    result = runner.invoke(app, ["audiences", "save", str(rule)])
    assert "unknown field 'regoin'" in str(result.exception)
