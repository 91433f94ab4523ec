"""A consent change the service appends while an erasure rewrites the consent-updates file is kept: the
erasure reads, filters and renames under the file's lock, and the append waits for it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from features import columns as c
from features.privacy.consent_updates import ConsentUpdates


def _row(customer: str) -> dict:
    return {
        c.CUSTOMER_ID: customer,
        c.PURPOSE: "email_marketing",
        c.GRANTED: False,
        c.RECORDED_AT: "2026-11-02T10:00:00",
        c.SOURCE: "web",
        c.PROOF: "form",
    }


def test_a_withdrawal_appended_during_an_erasure_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates = ConsentUpdates(tmp_path / "consent_updates.jsonl")
    updates.append([_row("C1"), _row("C2")])
    appended = threading.Event()
    other_worker = threading.Thread(target=lambda: (updates.append([_row("C3")]), appended.set()))
    real_read = Path.read_text

    def read_then_let_another_worker_write(self: Path, *args, **kwargs) -> str:
        text = real_read(self, *args, **kwargs)
        if self == updates.path and not other_worker.is_alive() and not appended.is_set():
            other_worker.start()
            # Without the lock the append lands now, between the erasure's read and its rename, and
            # the rename drops it; with it, the append waits until the erasure is done.
            appended.wait(1.0)
        return text

    monkeypatch.setattr(Path, "read_text", read_then_let_another_worker_write)
    assert updates.forget("C1") == 1
    other_worker.join(10)
    monkeypatch.undo()
    assert appended.is_set()
    assert sorted(updates.frame()[c.CUSTOMER_ID]) == ["C2", "C3"]
