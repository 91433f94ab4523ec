"""The ``assignments`` table: validated like any table, absent means empty, merged with the assignments
Cible's exports record, and under the privacy rules (erasure, access, retention)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features import columns as c
from features.campaigns.ledger import AssignmentLedger, CampaignIdError, check_campaign_id
from features.io import write_tables
from features.load import load_dataset
from features.privacy.access import access_report
from features.privacy.audit import AuditTrail
from features.privacy.erasure import erase_customer
from features.privacy.rules import PrivacyRules
from features.segments.memberships import MembershipStore
from features.validation_problems import DataValidationError
from tests.tiny_data import AS_OF, tiny_frames

NOW = pd.Timestamp("2024-07-01")


def assignments(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["campaign_id", "customer_id", "assigned_at", "group", "channel", "offer_id"]
    )


def write(folder: Path, extra: dict[str, pd.DataFrame] | None = None) -> Path:
    write_tables({**tiny_frames(), **(extra or {})}, folder, "csv")
    return folder


def rules(home: Path) -> PrivacyRules:
    return PrivacyRules(folder=home / "privacy")


def test_no_file_is_an_empty_table(tmp_path: Path) -> None:
    data = load_dataset(write(tmp_path / "d"), now=NOW, privacy=rules(tmp_path / "h"))
    assert data.assignments.empty
    assert list(data.assignments.columns) == [
        "campaign_id",
        "customer_id",
        "assigned_at",
        "group",
        "channel",
        "offer_id",
    ]


def test_bad_rows_are_named(tmp_path: Path) -> None:
    bad = assignments(
        [
            ("NL1", "C1", "2024-04-01 10:00", "treated", "email", None),
            ("NL1", "C1", "2024-04-01 10:00", "control", "email", None),  # duplicate key
            ("NL1", "C9", "2024-04-01 10:00", "holdout", "email", None),  # unknown customer, unknown group
        ]
    )
    with pytest.raises(DataValidationError) as err:
        load_dataset(write(tmp_path / "d", {"assignments": bad}), now=NOW, privacy=rules(tmp_path / "h"))
    text = str(err.value)
    assert "assignments.csv, column 'group', line 4: unknown value; expected one of treated, control" in text
    assert "duplicate key (campaign_id + customer_id)" in text
    assert "column 'customer_id', line 4: refers to a customer_id absent from customers" in text


def test_ledger_rows_are_merged_and_the_data_wins(tmp_path: Path) -> None:
    home = tmp_path / "h"
    in_data = assignments([("NL1", "C1", "2024-04-01 10:00", "treated", "email", None)])
    ledger = rules(home).assignments
    ledger.record(
        assignments(
            [
                ("NL1", "C1", "2024-04-02 10:00", "control", "email", None),  # the data's row wins
                ("NL1", "C2", "2024-04-02 10:00", "control", "email", None),
            ]
        )
    )
    ledger.record(assignments([("SMS2", "C9", "2024-04-03 10:00", "treated", "sms", "FLASH20")]))  # gone
    data = load_dataset(write(tmp_path / "d", {"assignments": in_data}), now=NOW, privacy=rules(home))
    got = data.assignments.sort_values(c.CUSTOMER_ID)
    assert got[[c.CAMPAIGN_ID, c.CUSTOMER_ID, c.GROUP]].values.tolist() == [
        ["NL1", "C1", "treated"],
        ["NL1", "C2", "control"],
    ]
    assert str(got[c.ASSIGNED_AT].dtype) == "datetime64[us]"


def test_erasure_access_and_retention_cover_assignments(tmp_path: Path) -> None:
    home = tmp_path / "h"
    privacy = rules(home)
    privacy.assignments.record(
        assignments(
            [
                ("NL1", "C1", "2021-01-02 10:00", "treated", "email", None),  # past 36 months at NOW
                ("NL1", "C2", "2021-01-02 10:00", "control", "email", None),
            ]
        )
    )
    privacy.assignments.record(
        assignments(
            [
                ("NL2", "C1", "2024-04-02 10:00", "control", "email", None),
                ("NL2", "C2", "2024-04-02 10:00", "treated", "email", None),
            ]
        )
    )
    folder = write(tmp_path / "d")
    data = load_dataset(folder, now=NOW, privacy=privacy)
    assert sorted(data.assignments[c.CAMPAIGN_ID]) == ["NL2", "NL2"]  # NL1 past retention is not loaded
    report = access_report("C1", data, MembershipStore(home / "segments"), AS_OF)
    assert [(r["campaign_id"], r["group"]) for r in report["campaign_assignments"]] == [("NL2", "control")]

    erase_customer("C1", privacy, MembershipStore(home / "segments"), AuditTrail(home / "audit.jsonl"), "t")
    assert "C1" not in set(privacy.assignments.frame()[c.CUSTOMER_ID])  # gone from the ledger files too
    assert set(load_dataset(folder, now=NOW, privacy=privacy).assignments[c.CUSTOMER_ID]) == {"C2"}
    assert privacy.assignments.prune(pd.Timestamp("2022-01-01")) == 1  # NL1's C2
    assert privacy.assignments.frame()[c.CAMPAIGN_ID].tolist() == ["NL2"]


def test_campaign_ids_must_name_a_file() -> None:
    assert check_campaign_id("at_risk-email-20240501") == "at_risk-email-20240501"
    for bad in ("", "../x", "a/b", "x" * 101):
        with pytest.raises(CampaignIdError):
            check_campaign_id(bad)
    assert AssignmentLedger.in_home(Path("/h")).path_for("NL1") == Path(
        "/h/campaigns/assignments/NL1.parquet"
    )
