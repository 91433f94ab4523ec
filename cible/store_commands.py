"""``cible materialize``: the online store the service reads, filled from offline features and scores."""

from __future__ import annotations

from pathlib import Path

import typer

from cible.common import (
    AsOfOption,
    DataOption,
    EngineOption,
    PartitionsOption,
    SchedulerOption,
    command_engine,
    engine_config,
    load_data,
    resolve_as_of,
)
from cible.console import console, steps
from features.online_store.factory import open_store
from features.settings import Settings
from training.materialize import materialize


def materialize_command(
    data: Path = DataOption,
    as_of: str = AsOfOption,
    store: str = typer.Option(
        None,
        help="redis://host:port/db[?prefix=NAME] or sqlite:///file.db (default: CIBLE_ONLINE_STORE, "
        "else SQLite).",
    ),
    engine: str = EngineOption,
    scheduler: str = SchedulerOption,
    partitions: int = PartitionsOption,
) -> None:
    """Write each customer's latest features, segments, scores and consents to the online store, and the
    reports the page reads (KPIs, segment profiles, the audience frame) under the home's reports/."""
    settings = Settings.from_env()
    config = engine_config(engine, scheduler, partitions)
    dataset = load_data(settings, data)
    cutoff = resolve_as_of(dataset, as_of)
    online = open_store(settings, store)
    try:
        with command_engine(settings, data, dataset, config) as on:
            reports: list[Path] = []
            with steps(f"materialising on {config.describe()}"):
                written = materialize(dataset, cutoff, settings, online, on, reports)
        console.print(
            f"online store: {written:,} customers as of {cutoff:%Y-%m-%d} ({online.count():,} held)"
        )
        console.print(f"reports: {', '.join(p.name for p in reports)} in {reports[0].parent}")
    finally:
        online.close()
