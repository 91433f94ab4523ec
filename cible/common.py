"""Options (:mod:`cible.options`, imported from here too) and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cible.console import UserError, console, steps
from cible.options import AS_OF_HELP as AS_OF_HELP
from cible.options import DATA_HELP as DATA_HELP
from cible.options import AsOfOption as AsOfOption
from cible.options import DataOption as DataOption
from cible.options import EngineOption as EngineOption
from cible.options import PartitionsOption as PartitionsOption
from cible.options import SchedulerOption as SchedulerOption
from cible.options import TrainCustomersOption as TrainCustomersOption
from features import clock
from features.customer_partitions import PartitionedData, partitioned_data
from features.dataset import Dataset
from features.engine import EngineConfig
from features.load import load_dataset
from features.reads import TableReads
from features.settings import (
    PARTITION_CUSTOMERS_ENV,
    Settings,
    parse_train_customers,
)
from features.train_sample import WholeData, default_as_of, describe_whole, whole_data
from features.train_sample import load_training_data as sampled_dataset

if TYPE_CHECKING:
    from features.batch_engine import BatchEngine, EngineMaker


def parse_timestamp(value: str, option: str = "--as-of") -> pd.Timestamp:
    """A date or time given on the command line, as the retailer's naive local time (a time with an offset,
    e.g. ``2026-03-29T01:30:00Z``, is converted; one without is taken as local, like the data)."""
    try:
        return pd.Timestamp(clock.to_local(pd.Timestamp(value)))
    except ValueError as exc:
        raise UserError(f"{option} {value!r} is not a date or timestamp (use YYYY-MM-DD)") from exc


def load_data(settings: Settings, folder: Path | None) -> Dataset:
    folder = _existing(settings, folder)
    with steps("loading and validating data"):
        return load_dataset(folder)


def scoring_data(settings: Settings, folder: Path | None, config: EngineConfig) -> Dataset | PartitionedData:
    """The data of a scoring or materialising command: loaded whole when it holds at most
    ``CIBLE_PARTITION_CUSTOMERS`` customers, on the dask engine or with ``--partitions`` (the
    partitioned feature build reads the data set the command has loaded); else validated and counted,
    to be loaded one customer partition at a time (:mod:`features.customer_partitions`)."""
    if config.is_dask or config.partitions:
        return load_data(settings, folder)
    folder = _existing(settings, folder)
    with steps("loading and validating data"):
        data = partitioned_data(folder, settings.partition_customers, settings.home / "work")
        if data.parts == 1:
            return data.load()  # what load_data gives, the privacy rules' drops read once
    console.print(
        f"{data.customers:,} customers: loaded in {data.parts} partitions of about "
        f"{settings.partition_customers:,} ({PARTITION_CUSTOMERS_ENV})",
        highlight=False,
    )
    return data


def train_customers(settings: Settings, option: str | None) -> int | None:
    """``--train-customers`` if given, else the setting (``CIBLE_TRAIN_CUSTOMERS``); None: every one."""
    return parse_train_customers(option, "--train-customers") if option else settings.train_customers


def _existing(settings: Settings, folder: Path | None) -> Path:
    folder = folder or settings.default_data
    if not folder.exists():
        raise UserError(
            f"data folder {folder} does not exist: run `cible data synth --out {folder}` or `make run`"
        )
    return folder


def load_training_data(
    settings: Settings,
    folder: Path | None,
    option: str | None,
    quiet: bool = False,
    reads: TableReads | None = None,
    like: WholeData | None = None,
    since: Mapping[str, pd.Timestamp] | None = None,
    dictionary: Mapping[str, Collection[str]] | None = None,
) -> Dataset:
    """The data set a training command reads: a sample of ``--train-customers`` customers when the data
    holds more (said in one line, unless ``quiet``), else the whole data set; of it only ``reads`` and
    the rows from ``since`` if given, the sample ``like`` drew if given (see
    :func:`features.train_sample.load_training_data`)."""
    folder = _existing(settings, folder)
    limit = train_customers(settings, option)
    with steps("loading and validating data"):
        dataset = sampled_dataset(folder, limit, reads=reads, like=like, since=since, dictionary=dictionary)
    whole = whole_data(dataset)
    if whole.sampled and not quiet:
        console.print(whole.describe(), highlight=False)
    return dataset


def describe_training_data(settings: Settings, folder: Path | None, option: str | None) -> WholeData:
    """What :func:`load_training_data` would train on, said as it would, from the data's customer ids and
    time columns only (``cible train all``'s planner, whose command shows the progress)."""
    folder = _existing(settings, folder)
    whole = describe_whole(folder, train_customers(settings, option))
    if whole.sampled:
        console.print(whole.describe(), highlight=False)
    return whole


def resolve_as_of(dataset: Dataset, as_of: str | None) -> pd.Timestamp:
    """``--as-of``, else the whole data set's default (also when ``dataset`` is a training sample)."""
    return parse_timestamp(as_of) if as_of else default_as_of(dataset)


def engine_config(engine: str | None, scheduler: str | None, partitions: int | None) -> EngineConfig:
    """The options of a batch command, checked before any data is read."""
    return EngineConfig.resolve(engine, scheduler, partitions)


@contextmanager
def command_engine(
    settings: Settings, folder: Path | None, dataset: Dataset, config: EngineConfig
) -> Iterator[BatchEngine]:
    """Where the command's per-customer work runs (see :mod:`features.batch_engine`), for its duration."""
    # Imported when used: the batch engine loads the models' libraries (LightGBM, scikit-learn: a second
    # of CPU), which a command that only builds features never needs.
    from features.batch_engine import open_engine

    with open_engine(config, folder or settings.default_data, dataset, settings) as engine:
        yield engine


@contextmanager
def command_engines(settings: Settings, folder: Path | None, config: EngineConfig) -> Iterator[EngineMaker]:
    """:func:`command_engine` for each data set the command loads of ``folder`` in turn."""
    from features.batch_engine import engine_maker

    with engine_maker(config, folder or settings.default_data, settings) as make:
        yield make
