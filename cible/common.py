"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import typer

from cible.console import UserError, steps
from features import clock
from features.batch_engine import BatchEngine, open_engine
from features.dataset import Dataset
from features.engine import EngineConfig
from features.load import load_dataset
from features.settings import Settings

DATA_HELP = "Data folder (default: the synthetic data in the Cible home)."
AS_OF_HELP = (
    "Behave as if today were this date: nothing at or after it is read (default: after the last row)."
)
DataOption = typer.Option(None, "--data", help=DATA_HELP)
EngineOption = typer.Option(
    None, "--engine", help="Where batch work runs: local (default, this process) or dask. Env: CIBLE_ENGINE."
)
SchedulerOption = typer.Option(
    None,
    "--scheduler",
    help="Dask scheduler tcp://HOST:PORT (default: a local cluster started for the command). "
    "Env: CIBLE_DASK_SCHEDULER.",
)
PartitionsOption = typer.Option(
    None, "--partitions", min=1, help="Customer partitions to split the work into (default: 1 per 12,500)."
)
AsOfOption = typer.Option(None, "--as-of", help=AS_OF_HELP)


def parse_timestamp(value: str, option: str = "--as-of") -> pd.Timestamp:
    """A date or time given on the command line, as the retailer's naive local time (a time with an offset,
    e.g. ``2026-03-29T01:30:00Z``, is converted; one without is taken as local, like the data)."""
    try:
        return pd.Timestamp(clock.to_local(pd.Timestamp(value)))
    except ValueError as exc:
        raise UserError(f"{option} {value!r} is not a date or timestamp (use YYYY-MM-DD)") from exc


def load_data(settings: Settings, folder: Path | None) -> Dataset:
    folder = folder or settings.default_data
    if not folder.exists():
        raise UserError(
            f"data folder {folder} does not exist: run `cible data synth --out {folder}` or `make run`"
        )
    with steps("loading and validating data"):
        return load_dataset(folder)


def resolve_as_of(dataset: Dataset, as_of: str | None) -> pd.Timestamp:
    return parse_timestamp(as_of) if as_of else dataset.default_as_of()


def engine_config(engine: str | None, scheduler: str | None, partitions: int | None) -> EngineConfig:
    """The options of a batch command, checked before any data is read."""
    return EngineConfig.resolve(engine, scheduler, partitions)


@contextmanager
def command_engine(
    settings: Settings, folder: Path | None, dataset: Dataset, config: EngineConfig
) -> Iterator[BatchEngine]:
    """Where the command's per-customer work runs (see :mod:`features.batch_engine`), for its duration."""
    with open_engine(config, folder or settings.default_data, dataset, settings) as engine:
        yield engine
