"""``cible features build`` on either engine: validate, then build in partitions (local) or on Dask."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pandas as pd

from features import clock
from features.customer_features.build import GROUPS, build_customer_features
from features.customer_features.streamed import build_features_streamed, features_by_partition
from features.engine import EngineConfig, EngineError
from features.io import find_table_file, is_csv
from features.load import load_dataset
from features.privacy.rules import PrivacyRules
from features.schema import TABLES
from features.settings import Settings
from features.validated import known_valid, mark_valid
from features.validated_cache import cache_dir, validate_into_cache
from features.validation_problems import DataValidationError


def is_parquet_folder(folder: Path) -> bool:
    files = [find_table_file(folder, name) for name in TABLES]
    return all(path is None or not is_csv(path) for path in files)


def ensure_valid(folder: Path, settings: Settings, now: pd.Timestamp) -> None:
    """Validate ``folder`` unless its files are those that passed last time; raise on any problem."""
    if known_valid(folder, settings):
        return
    problems, _ = validate_into_cache(folder, now, cache_dir(settings.home))
    if problems:
        raise DataValidationError(problems)
    mark_valid(folder, settings)


def build_features(
    folder: Path,
    as_of: pd.Timestamp,
    engine: EngineConfig,
    progress: Callable[[str], None] | None = None,
    settings: Settings | None = None,
    only: pd.Index | None = None,
    groups: Collection[str] = GROUPS,
) -> pd.DataFrame:
    """Point-in-time features of every customer of ``folder`` at ``as_of``, on the configured engine: the
    profile and ``groups`` (all by default), from the tables those read.

    A Parquet folder is processed in customer partitions (bounded memory; the unit of work on Dask); a
    CSV folder is loaded whole on the local engine (convert it to Parquet for large data or Dask).
    ``only``: the customers to build, of a Parquet folder on the local engine (a training sample)."""
    settings = settings or Settings.from_env()
    now = clock.now()
    step = progress or (lambda _name: None)
    rules = PrivacyRules.from_settings(settings)
    if not is_parquet_folder(folder):
        if engine.is_dask:
            raise EngineError(f"{folder}: the dask engine reads Parquet tables; this folder holds CSV files")
        step("loading and validating")
        dataset = load_dataset(folder, now=now, privacy=rules)
        return build_customer_features(dataset, as_of, progress=step, groups=groups)
    step("validating")
    ensure_valid(folder, settings, now)
    if not engine.is_dask:
        return build_features_streamed(
            folder, as_of, rules, now, parts=engine.partitions, progress=step, only=only, groups=groups
        )
    from features.dask_engine import build_features_dask, dask_client

    with dask_client(engine) as client:
        return build_features_dask(
            folder, as_of, rules, now, client, parts=engine.partitions, progress=step, groups=groups
        )


def features_by_part(
    folder: Path,
    as_of: pd.Timestamp,
    settings: Settings,
    parts: int | None = None,
    only: pd.Index | None = None,
) -> Iterator[pd.DataFrame]:
    """The features of :func:`build_features` on the local engine, a customer partition at a time (a CSV
    folder: all at once), for work that needs no more than one partition's features in memory."""
    now = clock.now()
    rules = PrivacyRules.from_settings(settings)
    if not is_parquet_folder(folder):
        yield build_customer_features(load_dataset(folder, now=now, privacy=rules), as_of)
        return
    ensure_valid(folder, settings, now)
    yield from features_by_partition(folder, as_of, rules, now, parts=parts, only=only)
