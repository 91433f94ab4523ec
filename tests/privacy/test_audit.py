"""The audit trail records who acted (CLI user or API key id) and is queryable by customer, actor, action
and date range."""

from __future__ import annotations

import getpass
import json

import pandas as pd
from typer.testing import CliRunner

from cible.cli import app
from features import clock
from features.privacy.audit import AuditTrail, api_actor, cli_actor, record

runner = CliRunner()


def audit(*args: str) -> list[str]:
    result = runner.invoke(app, ["privacy", "audit", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return [line for line in result.output.splitlines() if line.strip()]


def test_actors_are_recorded_and_every_filter_narrows(settings) -> None:
    record(settings, api_actor("key-7"), "access_export", "C000042", {"endpoint": "/admin/customers"})
    record(settings, cli_actor(), "read_segment", None, {"target": "champions"})
    AuditTrail(settings.audit_log).record(cli_actor(), "export_segment", "champions", rows=3)  # older API
    entries = [json.loads(line) for line in settings.audit_log.read_text().splitlines()]
    assert [e["actor"] for e in entries] == ["api:key-7", f"cli:{getpass.getuser()}", cli_actor()]
    assert entries[0]["target"] == "C000042" and entries[0]["endpoint"] == "/admin/customers"
    assert entries[1]["target"] == "champions"  # an act on a segment names it, not a person

    (only,) = audit("--customer", "C000042")
    assert "api:key-7" in only and "access_export" in only
    assert len(audit("--actor", cli_actor())) == 2
    assert len(audit("--actor", cli_actor(), "--action", "read_segment")) == 1
    today = clock.today()
    assert len(audit("--since", str(today.date()))) == 3
    assert audit("--until", str(today.date())) == ["no matching entry"]
    tomorrow = (today + pd.Timedelta(days=1)).date()
    assert len(audit("--since", str(today.date()), "--until", str(tomorrow))) == 3
