"""``cible models``: compare registered versions and move the champion alias by hand (or roll back)."""

from __future__ import annotations

import typer
from rich.table import Table

from cible.console import console
from features import clock
from features.settings import Settings
from training.registry import promote, versions
from training.tracking import connect

app = typer.Typer(help="Registered models: versions, their metrics, the champion.", no_args_is_help=True)


@app.command("list")
def list_versions(
    name: str = typer.Argument(None, help="A registered model, e.g. recommender (default: all)."),
) -> None:
    """Each version with the metric its promotion gate compared and the verdict; * marks the
    champion. `mlflow ui --backend-store-uri` on the home's store shows every metric and plot."""
    rows = versions(connect(Settings.from_env()), name)
    # the retailer's local time, like every other time Cible answers; the header names the zone
    table = Table("model", "version", f"created ({clock.zone().key} time)", "gate metric", "gate")
    for v in rows:
        verdict = {True: "promoted", False: "kept the champion", None: ""}[v.gate_promoted]
        verdict += ", then made champion by hand" if v.promoted_by_hand else ""
        metric = f"{v.gate_metric} {v.gate_value:.4f}" if v.gate_metric and v.gate_value is not None else ""
        table.add_row(v.name, f"{v.version}{' *' if v.champion else ''}", v.created, metric, verdict)
    console.print(table if rows else "no registered model yet: run `cible train all`")


@app.command("promote")
def promote_version(
    name: str = typer.Argument(..., help="A registered model, e.g. recommender."),
    version: str = typer.Argument(..., help="The version to make champion (an older one rolls back)."),
) -> None:
    """Make a version the champion by hand; a running service picks it up at its next poll."""
    before = promote(connect(Settings.from_env()), name, version)
    console.print(f"{name}: champion v{version} (was {'v' + before if before else 'none'})")
