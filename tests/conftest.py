"""Shared fixtures: small synthetic data sets generated once per test session (and per xdist worker), and
the pinned clock every test runs under."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from features import clock
from features.dataset import Dataset
from features.load import load_dataset
from features.settings import Settings
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic

SMALL = SynthConfig(customers=1500, months=12, seed=7)
# "Now" for every test: a Monday morning, the day after the synthetic data end (SynthConfig.end, fixed and not
# taken from the clock), so retention, "in the future" checks and consent times never depend on today's date.
PINNED_NOW = SMALL.end + pd.Timedelta(days=1, hours=10)


@pytest.fixture(scope="session", autouse=True)
def pinned_clock() -> Iterator[pd.Timestamp]:
    """Pins ``features.clock`` (and so the service and every ``cible`` subprocess, which inherit the
    environment) before any session fixture loads data; the zone is the default one, whatever the
    developer's shell says. Session-wide: the data fixtures are built once per session."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(clock.NOW_ENV, PINNED_NOW.isoformat())
        mp.setenv(clock.ZONE_ENV, clock.DEFAULT_ZONE)
        yield clock.now()


@pytest.fixture(scope="session")
def small_synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    write_synthetic(SMALL, folder)
    return folder


@pytest.fixture(scope="session")
def small_synthetic(small_synthetic_dir: Path) -> Dataset:
    return load_dataset(small_synthetic_dir)


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A private Cible home (SQLite MLflow store, artifacts, memberships) for one test."""
    monkeypatch.setenv("CIBLE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return Settings.from_env()
