"""A Cible home of its own for a test module: the environment points at a fresh folder, with nothing
inherited from the developer's shell (a tracking server, an engine, a partition size)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from features.settings import PARTITION_CUSTOMERS_ENV, Settings

INHERITED = ("MLFLOW_TRACKING_URI", "CIBLE_ENGINE", "CIBLE_DASK_SCHEDULER", PARTITION_CUSTOMERS_ENV)


@contextmanager
def fresh_home(factory: pytest.TempPathFactory, name: str, *unset: str) -> Iterator[Settings]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CIBLE_HOME", str(factory.mktemp(name)))
        for variable in (*INHERITED, *unset):
            mp.delenv(variable, raising=False)
        yield Settings.from_env()
