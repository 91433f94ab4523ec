"""``cible retarget …``: the retargeting lists at a date and the phone advisers' campaign plan."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from cible.common import (
    DataOption,
    EngineOption,
    PartitionsOption,
    SchedulerOption,
    command_engine,
    engine_config,
    parse_timestamp,
    resolve_as_of,
    scoring_data,
)
from cible.console import UserError, console, steps
from features.customer_partitions import PartitionedData
from features.io import atomic_path
from features.privacy.audit import AuditTrail, cli_actor
from features.retarget.config import RetargetConfigError, load_config
from features.retarget.decide import CONVERSION
from features.retarget.plan import (
    CallListError,
    Capacity,
    call_list_path,
    last_run_file,
    plan_calls,
    read_call_list,
)
from features.settings import Settings
from training.retarget.lists import lists_from_champions, write_lists
from training.retarget.lists_partitions import lists_from_partitions

app = typer.Typer(help="Retargeting lists per channel and the phone campaign plan.", no_args_is_help=True)


@app.command("lists")
def lists_command(
    out: Path = typer.Option(..., "--out", help="Folder for the lists (CSV) and summary.json."),
    data: Path = DataOption,
    as_of: str = typer.Option(
        None,
        "--as-of",
        help="Build the lists as if now were this date and time (default: after the last row).",
    ),
    config: Path = typer.Option(
        None, "--config", help="Retargeting settings YAML (default: the shipped one)."
    ),
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Email, SMS, push, ads (hashed ids), advisers' calls and delivery follow-ups, consent first.

    On the local engine, data of more than CIBLE_PARTITION_CUSTOMERS customers (default 10,000) is
    loaded one customer partition at a time (the same lists, bounded memory); with --engine dask or
    --partitions the data set is loaded whole."""
    settings = Settings.from_env()
    try:
        settings_file = load_config(config)
    except RetargetConfigError as exc:
        raise UserError(str(exc)) from exc
    engine_setting = engine_config(engine, scheduler, partitions)
    loaded = scoring_data(settings, data, engine_setting)
    if isinstance(loaded, PartitionedData):
        at = parse_timestamp(as_of) if as_of else loaded.default_as_of()
        with (
            steps(
                f"retargeting lists of {loaded.parts} customer partitions", total=2 * loaded.parts + 2
            ) as step,
            loaded.partitions(at) as parts,
        ):
            # NoChampionError names the command to run
            result = lists_from_partitions(parts, at, settings, settings_file, settings.home / "work", step)
    else:
        at = resolve_as_of(loaded, as_of)
        with command_engine(settings, data, loaded, engine_setting) as on:
            # NoChampionError names the command to run
            result = lists_from_champions(loaded, at, settings, settings_file, on)
    written = write_lists(result, out)
    with atomic_path(last_run_file(settings.home)) as tmp:
        tmp.write_text(json.dumps({"as_of": at.isoformat(), "out": str(out.resolve())}) + "\n")
    AuditTrail(settings.audit_log).record(
        cli_actor(),
        "retarget_lists",
        f"retarget@{at.isoformat()}",
        rows={name: len(frame) for name, frame in result.lists.items()},
        out=str(out),
    )
    table = Table(title=f"retargeting lists at {at:%Y-%m-%d %H:%M}")
    for column in ("list", "rows", "left out: no consent", "left out: pressure cap"):
        table.add_column(column, justify="left" if column == "list" else "right")
    for name, frame in result.lists.items():
        counts = result.left_out.get(name, {})
        table.add_row(
            name, f"{len(frame):,}", f"{counts.get('no_consent', 0):,}", f"{counts.get('pressure_cap', 0):,}"
        )
    console.print(table)
    triggers = ", ".join(f"{k} {v:,}" for k, v in result.triggers.items()) or "none"
    console.print(f"candidates by trigger: {triggers}")
    console.print(f"wrote {len(written) - 1} lists and {written['summary'].name} to {out}")


def _call_probabilities(settings: Settings, calls: Path | None) -> tuple[pd.Series, Path]:
    try:
        source = call_list_path(settings.home, calls)
        return read_call_list(source)[CONVERSION], source
    except CallListError as exc:
        raise UserError(str(exc)) from exc


@app.command("plan")
def plan_command(
    advisers: int = typer.Option(12, "--advisers", min=1, help="Phone advisers on the campaign."),
    hours_per_day: float = typer.Option(
        1.0, "--hours-per-day", min=0.01, help="Calling hours per adviser a day."
    ),
    days: int = typer.Option(5, "--days", min=1, help="Campaign days."),
    minutes_per_call: float = typer.Option(2.0, "--minutes-per-call", min=0.01, help="Minutes per call."),
    pickup_rate: float = typer.Option(
        0.8, "--pickup-rate", min=0.0, max=1.0, help="Share of calls answered."
    ),
    calls: Path = typer.Option(None, "--calls", help="Call list CSV (default: the last `retarget lists`)."),
    target: float = typer.Option(
        None, "--target", min=0.0, help="Conversions wanted (e.g. 200 accounts opened)."
    ),
) -> None:
    """Calls possible, answered calls and expected conversions from the call list's own probabilities."""
    settings = Settings.from_env()
    probabilities, source = _call_probabilities(settings, calls)
    capacity = Capacity(advisers, hours_per_day, days, minutes_per_call, pickup_rate)
    plan = plan_calls(probabilities.to_numpy(), capacity, target)
    console.print(
        f"{advisers} advisers x {hours_per_day:g} h x {days} days at {minutes_per_call:g} min a call: "
        f"{plan.calls_possible:,} calls possible; the call list ({source}) holds {plan.list_size:,}"
    )
    console.print(
        f"calls made {plan.calls_made:,} (most likely first), answered {plan.answered:,.0f} "
        f"at {pickup_rate:.0%}, expected conversions {plan.expected_conversions:,.1f}"
    )
    if target is None:
        return
    if plan.reachable:
        console.print(
            f"target {target:g}: reachable ({plan.calls_needed:,} calls from the top of the list suffice)"
        )
    elif plan.calls_needed is None:
        everyone = pickup_rate * float(probabilities.sum())
        console.print(
            f"target {target:g}: not reachable with this call list: calling all {plan.list_size:,} "
            f"customers gives {everyone:,.1f} expected conversions; widen the list"
        )
    else:
        console.print(
            f"target {target:g}: not reachable as planned; it needs {plan.calls_needed:,} calls: "
            f"{plan.advisers_needed} advisers over {days} days, "
            f"or {plan.days_needed} days with {advisers} advisers"
        )
