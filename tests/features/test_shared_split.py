"""The Dask engine's split through shared files: a partition reads back exactly its rows of every chunk,
in their order; a file the worker cannot see is one clear error; a build leaves no split folder behind,
in the folder ``CIBLE_DASK_SHARED`` names; a worker killed while rows are split still gives every
customer's features, equal to the local engine's."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from features.customer_features import names as n
from features.customer_features.partitioned import PART
from features.customer_features.shared_split import read_part, write_chunk
from features.customer_features.streamed import build_features_streamed
from features.dask_engine import build_features_dask
from features.engine import EngineError
from features.privacy.rules import PrivacyRules

NOW = pd.Timestamp("2026-12-01")
SMALL_AS_OF = pd.Timestamp("2026-08-01")


def _chunk(ids: list[str], parts: list[int], campaign: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids, "campaign_id": campaign, PART: parts})


def test_each_partition_reads_its_rows_of_every_chunk_in_order(tmp_path: Path) -> None:
    first = _chunk(["a", "b", "c", "d", "e"], [2, 0, 2, -1, 0], ["x", None, "y", "z", None])
    second = _chunk(["f", "g"], [2, 2], [None, None])  # a text column with no value: no type in Arrow
    paths = [
        write_chunk(first, tmp_path / "t" / "0.arrow", 3),
        write_chunk(second, tmp_path / "t" / "1.arrow", 3),
    ]
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["0.arrow", "1.arrow"]  # no temporary left

    zero = read_part(paths, 0)
    assert zero is not None and zero["customer_id"].tolist() == ["b", "e"] and PART not in zero.columns
    assert read_part(paths, 1) is None  # nobody hashed there
    two = read_part(paths, 2)
    assert two is not None
    assert two["customer_id"].tolist() == ["a", "c", "f", "g"]  # chunk order, then row order
    assert two["campaign_id"].tolist()[:2] == ["x", "y"] and two["campaign_id"].isna().tolist()[2:] == [
        True,
        True,
    ]


def test_a_chunk_written_again_replaces_its_file_whole(tmp_path: Path) -> None:
    """A task run again after its worker was lost writes the same file again."""
    path = tmp_path / "0.arrow"
    chunk = _chunk(["a", "b"], [1, 0], ["x", "y"])
    write_chunk(chunk, path, 2)
    write_chunk(chunk, path, 2)
    assert [frame["customer_id"].tolist() for frame in (read_part([path], 0), read_part([path], 1))] == [
        ["b"],
        ["a"],
    ]


def test_a_file_the_worker_cannot_see_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match=r"0\.arrow is not on this Dask worker.*CIBLE_DASK_SHARED"):
        read_part([tmp_path / "elsewhere" / "0.arrow"], 0)


def test_a_dask_build_splits_in_the_shared_folder_and_removes_its_files(
    small_synthetic_dir: Path, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("CIBLE_DASK_SHARED", str(shared))
    seen: list[list[Path]] = []

    def look(step: str) -> None:
        seen.append(list(shared.iterdir()))

    rules = PrivacyRules(folder=tmp_path / "privacy")
    got = build_features_dask(small_synthetic_dir, SMALL_AS_OF, rules, NOW, client, parts=3, progress=look)
    assert len(got) > 1000
    assert any(folder and folder[0].name.startswith(".cible-dask-split-") for folder in seen)
    assert not list(shared.iterdir())


def test_a_worker_killed_while_rows_are_split_still_completes(
    small_synthetic_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("CIBLE_DASK_SHARED", str(shared))
    rules = PrivacyRules(folder=tmp_path / "privacy")
    expected = build_features_streamed(small_synthetic_dir, SMALL_AS_OF, rules, NOW, parts=3)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        Client(local, set_as_default=False) as own,
    ):
        killed: list[int] = []

        def kill_a_worker_once_events_are_written() -> None:
            deadline = time.monotonic() + 120
            while not killed and time.monotonic() < deadline:
                if any(shared.glob("*/events/*.arrow")):  # the workers' first chunks (customers: the client)
                    pid = next(iter(own.run(os.getpid).values()))
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                time.sleep(0.005)

        threading.Thread(target=kill_a_worker_once_events_are_written, daemon=True).start()
        got = build_features_dask(small_synthetic_dir, SMALL_AS_OF, rules, NOW, own, parts=3)
    assert killed
    assert got[n.N_ORDERS].tolist() == expected[n.N_ORDERS].tolist()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)
    assert not list(shared.iterdir())
