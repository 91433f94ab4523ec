"""A Dask cluster of two worker processes for the engine tests, started once per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """Two worker processes (not threads): rows and models really cross process boundaries."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster) -> Iterator[object]:
    from distributed import Client

    with Client(cluster, set_as_default=False) as connected:
        yield connected
