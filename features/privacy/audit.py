"""The audit trail: who read or exported which segment or customer, and when. One JSON line per act, with
no personal data beyond a customer id (and not even that for an erasure)."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


@dataclass(frozen=True)
class AuditTrail:
    path: Path

    def record(self, actor: str, action: str, target: str, **details: object) -> None:
        entry = {
            "at": pd.Timestamp.now().isoformat(timespec="seconds"),
            "actor": actor,
            "action": action,
            "target": target,
            **details,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        # O_APPEND writes of one short line do not interleave between processes.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def query(
        self, target: str | None = None, action: str | None = None, since: pd.Timestamp | None = None
    ) -> list[dict]:
        if not self.path.exists():
            return []
        entries = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        return [
            e
            for e in entries
            if (target is None or e["target"] == target)
            and (action is None or e["action"] == action)
            and (since is None or pd.Timestamp(e["at"]) >= since)
        ]
