"""The audit trail: who read or exported which segment or customer, and when. One JSON line per act, with
no personal data beyond a customer id (and not even that for an erasure)."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features import clock
from features.settings import Settings


def cli_actor() -> str:
    """The person at the command line, as the operating system knows them."""
    return f"cli:{getpass.getuser()}"


def api_actor(key_id: str) -> str:
    """A caller of the service, by the id of its API key (never the key itself)."""
    return f"api:{key_id}"


@dataclass(frozen=True)
class AuditTrail:
    path: Path

    def record(self, actor: str, action: str, target: str, **details: object) -> None:
        entry = {
            "at": clock.now().isoformat(timespec="seconds"),
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
        self,
        target: str | None = None,
        action: str | None = None,
        since: pd.Timestamp | None = None,
        actor: str | None = None,
        until: pd.Timestamp | None = None,
    ) -> list[dict]:
        """Entries matching every filter given: ``since`` inclusive, ``until`` exclusive."""
        if not self.path.exists():
            return []
        entries = [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
        return [
            e
            for e in entries
            if (target is None or e["target"] == target)
            and (action is None or e["action"] == action)
            and (actor is None or e["actor"] == actor)
            and (since is None or pd.Timestamp(e["at"]) >= since)
            and (until is None or pd.Timestamp(e["at"]) < until)
        ]


def record(
    settings: Settings, actor: str, action: str, customer_id: str | None, detail: dict | None = None
) -> None:
    """Log one act in the Cible home's audit trail: the entry point for the CLI and the service alike.

    ``actor`` is :func:`cli_actor` or :func:`api_actor`; ``customer_id`` the person acted on (None for an
    act on a segment or a whole table, whose name then goes in ``detail["target"]``). ``detail`` must hold
    no personal data: counts, names of segments or columns, file names.
    """
    extra = dict(detail or {})
    target = customer_id if customer_id is not None else str(extra.pop("target", ""))
    AuditTrail(settings.audit_log).record(actor, action, target, **extra)
