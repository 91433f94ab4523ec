"""The validated-data cache: a second load of unchanged files skips validation and gives the same tables;
any change to a file, or an earlier "now", validates again."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from features import validated_cache
from features.io import write_tables
from features.load import load_dataset
from features.settings import Settings
from features.validation_problems import DataValidationError
from tests.tiny_data import tiny_frames

NOW = pd.Timestamp("2025-01-01")


@pytest.fixture()
def folder(tmp_path: Path, settings: Settings) -> Path:
    data = tmp_path / "data"
    write_tables(tiny_frames(), data)
    return data


@pytest.fixture()
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Folders the real validator was run on."""
    seen: list[Path] = []
    real = validated_cache.validate_folder

    def counting(folder: Path, now: pd.Timestamp | None = None):
        seen.append(folder)
        return real(folder, now=now)

    monkeypatch.setattr(validated_cache, "validate_folder", counting)
    return seen


def test_unchanged_files_are_validated_once(folder: Path, validations: list[Path]) -> None:
    first = load_dataset(folder, now=NOW)
    again = load_dataset(folder, now=NOW + pd.Timedelta(days=1))  # later: still valid
    assert validations == [folder.resolve()]  # a cache that re-validated every time fails here
    for name, frame in first.frames().items():
        pd.testing.assert_frame_equal(again.frames()[name], frame)


def test_a_changed_file_is_validated_again(folder: Path, validations: list[Path]) -> None:
    load_dataset(folder, now=NOW)
    orders = pd.read_parquet(folder / "orders.parquet")
    orders.loc[0, "quantity"] = 0  # a breach of the contract the cache must not hide
    orders.to_parquet(folder / "orders.parquet", index=False)
    # a cache keyed only by file names (or only by mtimes, same second) would answer the stale tables
    with pytest.raises(DataValidationError, match="orders"):
        load_dataset(folder, now=NOW)
    assert len(validations) == 2


def test_a_same_size_rewrite_in_the_same_second_is_seen(folder: Path, validations: list[Path]) -> None:
    load_dataset(folder, now=NOW)
    path = folder / "customers.parquet"
    stat = path.stat()
    path.write_bytes(path.read_bytes())
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    load_dataset(folder, now=NOW)
    assert len(validations) == 2


def test_an_earlier_now_validates_again(folder: Path, validations: list[Path]) -> None:
    """Rows valid at a later "now" may be in the future of an earlier one."""
    load_dataset(folder, now=NOW)
    with pytest.raises(DataValidationError, match="future"):
        load_dataset(folder, now=pd.Timestamp("2024-03-01"))
    assert len(validations) == 2
