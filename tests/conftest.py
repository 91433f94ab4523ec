"""Shared fixtures: small synthetic data sets generated once per test session (and per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.dataset import Dataset
from features.load import load_dataset
from features.settings import Settings
from features.synth.config import SynthConfig
from features.synth.generate import write_synthetic

SMALL = SynthConfig(customers=1500, months=12, seed=7)


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
