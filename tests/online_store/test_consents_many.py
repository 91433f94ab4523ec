"""Consent states read alone (the page's counts and lists): SQLite's own query and the shared default give
the same answer as the full records."""

from __future__ import annotations

from pathlib import Path

from features.online_store.base import RecordChanges
from features.online_store.sqlite_store import SQLiteStore

RECORDS = {
    "C1": {"consent": {"email_marketing": True, "profiling": False}, "history": {"skus": ["A"] * 50}},
    "C2": {"consent": {}, "features": {"n_orders": 3}},
    "C3": {"features": None},  # no consent recorded: nothing granted
}


def test_sqlite_reads_consent_alone_as_the_records_hold_it(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "online.db")
    store.put_many(RECORDS)
    wanted = ["C1", "C2", "C3", "C404", *[f"X{n}" for n in range(600)]]  # over one 500-id chunk
    assert store.consents_many(wanted) == {
        "C1": {"email_marketing": True, "profiling": False},
        "C2": {},
        "C3": {},
    }
    default = RecordChanges.consents_many(store, wanted)  # the base version, through get_many
    assert default == store.consents_many(wanted)
    store.set_consent("C2", {"profiling": True})
    assert store.consents_many(["C2"]) == {"C2": {"profiling": True}}
    store.close()
