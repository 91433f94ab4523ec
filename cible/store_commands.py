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
    parse_timestamp,
    resolve_as_of,
    scoring_data,
)
from cible.console import console, steps
from features.customer_partitions import PartitionedData
from features.online_store.factory import open_store
from features.settings import Settings
from training.materialize import materialize
from training.materialize_partitions import materialize_partitions


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
    reports the page reads (KPIs, segment profiles, the audience frame) under the home's reports/.

    On the local engine, data of more than CIBLE_PARTITION_CUSTOMERS customers (default 10,000) is
    loaded and materialised one customer partition at a time (the same records and reports, bounded
    memory); with --engine dask or --partitions the data set is loaded whole."""
    settings = Settings.from_env()
    config = engine_config(engine, scheduler, partitions)
    dataset = scoring_data(settings, data, config)
    if isinstance(dataset, PartitionedData):
        _materialize_partitions(settings, dataset, as_of, store)
        return
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


def _materialize_partitions(
    settings: Settings, split: PartitionedData, as_of: str | None, store: str | None
) -> None:
    cutoff = parse_timestamp(as_of) if as_of else split.default_as_of()
    online = open_store(settings, store)
    try:
        reports: list[Path] = []
        with steps(f"materialising {split.parts} customer partitions"), split.partitions(cutoff) as loaded:
            written = materialize_partitions(loaded, cutoff, settings, online, reports)
        console.print(
            f"online store: {written:,} customers as of {cutoff:%Y-%m-%d} ({online.count():,} held)"
        )
        console.print(f"reports: {', '.join(p.name for p in reports)} in {reports[0].parent}")
    finally:
        online.close()
