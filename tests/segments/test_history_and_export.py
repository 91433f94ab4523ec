"""Stored memberships, entered/exited diffs with reasons, and consent-filtered CRM exports."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from features.segments.export import ExportRefused, export_members, in_control_group
from features.segments.memberships import MembershipStore, UnknownSegmentError, diff

JAN, FEB = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")


def memberships(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "rfm_r",
            "rfm_f",
            "rfm_m",
            "rfm_fm",
            "rfm_segment",
            "cluster_id",
            "cluster_name",
            "value_share",
            "value_tier",
        ],
    )


@pytest.fixture()
def store(tmp_path) -> MembershipStore:
    store = MembershipStore(tmp_path)
    store.save(
        memberships(
            [
                ("A", 4, 4, 4, 4, "loyal_customers", 0, "web-first gourmets", 0.7, "retain"),
                ("B", 2, 4, 4, 4, "at_risk", 1, "phone-loyal cheese lovers", 0.2, "conquer"),
                ("C", 2, 3, 4, 4, "at_risk", 1, "phone-loyal cheese lovers", 0.5, "develop"),
            ]
        ),
        JAN,
        "1",
    )
    store.save(
        memberships(
            [
                ("A", 2, 4, 4, 4, "at_risk", 0, "web-first gourmets", 0.4, "develop"),
                ("B", 2, 4, 4, 4, "at_risk", 1, "phone-loyal cheese lovers", 0.2, "conquer"),
                ("D", 2, 3, 4, 4, "at_risk", 1, "phone-loyal cheese lovers", 0.1, "conquer"),
            ]
        ),
        FEB,
        "2",
    )
    return store


def test_snapshots_are_kept_per_date(store) -> None:
    assert store.dates() == [JAN, FEB]
    assert store.load()["customer_id"].tolist() == ["A", "B", "D"]
    assert store.load(pd.Timestamp("2026-01-15"))["model_version"].iloc[0] == "1"
    with pytest.raises(FileNotFoundError, match="no stored segment memberships at or before"):
        store.load(pd.Timestamp("2025-01-01"))


def test_diff_lists_who_entered_and_left_with_the_reason(store) -> None:
    changes = diff(store, "at_risk", JAN).set_index("customer_id")
    assert changes.loc["A", "change"] == "entered"
    assert changes.loc["A", "reason"] == "recency score 4→2; was loyal_customers"
    assert changes.loc["D", "reason"] == "new customer"
    assert changes.loc["C", "change"] == "exited" and changes.loc["C", "reason"] == "no longer a customer"
    assert "B" not in changes.index  # stayed
    tiers = diff(store, "develop", JAN).set_index("customer_id")
    assert tiers.loc["A", "reason"] == "value share 70%→40%; was retain"
    with pytest.raises(UnknownSegmentError, match="unknown segment 'vip'"):
        diff(store, "vip", JAN)


def consents(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "purpose", "granted", "recorded_at"])
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], format="mixed")
    return frame


def members(n: int) -> pd.DataFrame:
    frame = memberships(
        [(f"C{i}", 2, 4, 4, 4, "at_risk", 1, "phone-loyal cheese lovers", 0.2, "conquer") for i in range(n)]
    )
    return frame.assign(as_of=FEB, model_version="2")


def test_export_keeps_only_consented_customers_and_says_why(tmp_path) -> None:
    ledger = consents(
        [(f"C{i}", "email_marketing", True, "2025-01-01") for i in range(10)]
        + [(f"C{i}", "profiling", True, "2025-01-01") for i in range(10) if i != 3]
        + [("C5", "email_marketing", False, "2026-02-10 09:00:00")]  # withdrawn later
    )
    now = pd.Timestamp("2026-02-10 09:00:01")  # one second after the withdrawal
    out = tmp_path / "at_risk.json"
    result = export_members(members(12), "at_risk", ledger, "email", out, now, min_size=5)
    rows = json.loads(out.read_text())
    assert sorted(r["customer_id"] for r in rows) == sorted(f"C{i}" for i in range(10) if i not in (3, 5))
    assert result.removed == {"email_marketing": 3, "profiling": 1}
    assert {"customer_id", "segment", "channel", "address_key", "reason", "run_date", "control_group"} <= set(
        rows[0]
    )
    assert rows[0]["reason"].startswith("R2 F4 M4 (at_risk)")


def test_small_segments_are_refused_and_nothing_is_written(tmp_path) -> None:
    ledger = consents(
        [(f"C{i}", p, True, "2025-01-01") for i in range(3) for p in ("sms_marketing", "profiling")]
    )
    out = tmp_path / "x.csv"
    with pytest.raises(ExportRefused, match=r"3 customer\(s\) reachable by sms .* under the minimum of 50"):
        export_members(members(3), "at_risk", ledger, "sms", out, pd.Timestamp("2026-03-01"))
    assert not out.exists()
    with pytest.raises(ValueError, match="channel 'fax' has no consent purpose"):
        export_members(members(3), "at_risk", ledger, "fax", out, pd.Timestamp("2026-03-01"))


def test_control_group_is_reproducible_and_about_the_asked_share() -> None:
    ids = pd.Series([f"C{i}" for i in range(5000)])
    first = in_control_group(ids, "at_risk", 10)
    assert (first == in_control_group(ids, "at_risk", 10)).all()
    assert 0.08 < first.mean() < 0.12
    assert (first != in_control_group(ids, "champions", 10)).any()
