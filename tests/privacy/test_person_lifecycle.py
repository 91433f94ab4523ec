"""A person's life in Cible: consents, profiled, exported; withdraws SMS, then profiling; asks for access;
asks for erasure. Every step goes through the command line, on the data folder as a retailer keeps it."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from cible.cli import app
from features import clock
from features.customer_features.build import build_customer_features
from features.load import load_dataset
from features.segments.memberships import MembershipStore

runner = CliRunner()
PURPOSES = ("email_marketing", "sms_marketing", "profiling")


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def record_consent(folder, customer_id: str, purpose: str, granted: bool) -> None:
    """The retailer's ledger gains a record, a second after the one before it and before now: the clock is
    pinned, so "a second ago" would stamp every choice at the same instant and leave which one is in force
    to chance."""
    path = folder / "consents.parquet"
    ledger = pd.read_parquet(path)
    recorded = ledger["recorded_at"].max() + pd.Timedelta(seconds=1)
    assert recorded < clock.now()
    row = {
        "customer_id": customer_id,
        "purpose": purpose,
        "granted": granted,
        "recorded_at": recorded,
        "source": "phone_call",
        "proof": "call-rec:test" if granted else None,
    }
    pd.concat([ledger, pd.DataFrame([row]).astype(ledger.dtypes.to_dict())], ignore_index=True).to_parquet(
        path
    )


def exported_ids(folder, segment: str, channel: str, out) -> set[str]:
    invoke(
        "segments",
        "export",
        segment,
        "--channel",
        channel,
        "--out",
        str(out),
        "--data",
        str(folder),
        "--min-size",
        "1",
    )
    return set(pd.read_csv(out)["customer_id"])


@pytest.fixture()
def person(small_synthetic_dir, settings, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, folder)
    invoke("train", "segments", "--data", str(folder))
    snapshot = MembershipStore(settings.segments_dir).load()
    buyer = snapshot[snapshot["rfm_r"] > 0].iloc[0]
    for purpose in PURPOSES:  # consents given by phone
        record_consent(folder, buyer["customer_id"], purpose, True)
    return folder, buyer["customer_id"], buyer["rfm_segment"]


def test_a_person_through_their_life(person, settings, tmp_path) -> None:
    folder, cid, segment = person
    assert cid in exported_ids(folder, segment, "email", tmp_path / "e1.csv")
    assert cid in exported_ids(folder, segment, "sms", tmp_path / "s1.csv")

    record_consent(folder, cid, "sms_marketing", False)  # withdraws SMS
    assert cid not in exported_ids(folder, segment, "sms", tmp_path / "s2.csv")
    assert cid in exported_ids(folder, segment, "email", tmp_path / "e2.csv")

    record_consent(folder, cid, "profiling", False)  # withdraws profiling
    assert cid not in exported_ids(folder, segment, "email", tmp_path / "e3.csv")

    access = tmp_path / "access.json"
    invoke("privacy", "export", cid, "--out", str(access), "--data", str(folder))
    report = json.loads(access.read_text())
    assert report["customer_id"] == cid
    assert {"customers", "orders", "events", "contacts", "consents"} <= set(report["raw_data"])
    assert report["raw_data"]["orders"] and report["features"] and report["segment_memberships"]
    assert any(r["proof"] == "call-rec:test" for r in report["consents"])
    assert all(m["model_version"] for m in report["segment_memberships"])

    record_consent(folder, cid, "profiling", True)  # back in, so the erasure is what removes them
    invoke("privacy", "erase", cid)
    dataset = load_dataset(folder)
    for name, frame in dataset.frames().items():
        if "customer_id" in frame:
            assert not (frame["customer_id"] == cid).any(), name
    assert cid not in set(build_customer_features(dataset, dataset.default_as_of())["customer_id"])
    for date in MembershipStore(settings.segments_dir).dates():
        assert cid not in set(MembershipStore(settings.segments_dir).load(date)["customer_id"])
    invoke("segments", "assign", "--data", str(folder))
    assert cid not in set(MembershipStore(settings.segments_dir).load()["customer_id"])
    assert cid not in exported_ids(folder, segment, "email", tmp_path / "e4.csv")

    trail = settings.audit_log.read_text()
    erase_line = next(json.loads(line) for line in trail.splitlines() if '"erase"' in line)
    assert cid not in json.dumps(erase_line) and erase_line["target"].startswith("sha256:")
    assert "export_segment" in trail and "access_export" in trail
    assert "access_export" in invoke("privacy", "audit", "--target", cid)


def test_retention_hides_old_events_and_apply_drops_them(small_synthetic_dir, settings, tmp_path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(small_synthetic_dir, folder)
    policy = settings.home / "privacy" / "retention.yaml"
    policy.parent.mkdir(parents=True)
    policy.write_text("events: 6\ncontacts: 12\n")  # configurable per table
    raw = pd.read_parquet(folder / "events.parquet")
    old = raw["occurred_at"] < clock.now() - pd.DateOffset(months=6)
    assert old.any() and not old.all()
    assert len(load_dataset(folder).events) == (~old).sum()  # feature builds never see them
    report = invoke("privacy", "retention", "--data", str(folder))
    assert f"events: kept 6 months; {old.sum():,} row(s) past it" in report
    invoke("privacy", "retention", "--data", str(folder), "--apply")
    assert len(pd.read_parquet(folder / "events.parquet")) == (~old).sum()
    policy.write_text("events: -3\n")
    with pytest.raises(ValueError, match="retention of events must be a whole number of months"):
        load_dataset(folder)
