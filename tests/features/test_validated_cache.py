"""The validated-data cache: a second load of unchanged files skips validation and gives the same tables;
any change to a file, or an earlier "now", validates again."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from features import validate, validated_cache
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

    def counting(folder: Path, now: pd.Timestamp | None = None, **options):
        seen.append(folder)
        return real(folder, now=now, **options)

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


def test_tables_cached_batch_by_batch_are_the_validated_tables(
    small_synthetic_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache is written batch by batch as the folder is checked (memory of a batch): what it holds
    is what validating each table whole gives, dtypes included."""
    now = pd.Timestamp("2026-11-02 10:00")
    _, whole = validate.validate_folder(small_synthetic_dir, now=now)
    monkeypatch.setattr(validate, "BATCH_ROWS", 997)
    problems, counts = validated_cache.validate_into_cache(small_synthetic_dir, now, tmp_path)
    assert problems == []
    assert {name: len(frame) for name, frame in counts.items()} == {n: len(f) for n, f in whole.items()}
    entry = validated_cache.entry_for(tmp_path, small_synthetic_dir.resolve())
    cached = validated_cache._read(entry, validated_cache.fingerprint(small_synthetic_dir.resolve()), now)
    assert cached is not None and cached.names == set(whole)
    for name, frame in whole.items():
        pd.testing.assert_frame_equal(cached.read(name).to_pandas(), frame, check_exact=True, obj=name)


def test_data_validate_fills_the_cache_for_the_next_load(
    folder: Path, validations: list[Path], settings: Settings
) -> None:
    from typer.testing import CliRunner

    from cible.cli import app

    result = CliRunner().invoke(app, ["data", "validate", str(folder), "--now", str(NOW)])
    assert result.exit_code == 0, result.output
    load_dataset(folder, now=NOW)
    assert len(validations) == 1  # the command's; the load read the cache


def test_a_folder_with_problems_leaves_no_entry(folder: Path, tmp_path: Path) -> None:
    orders = pd.read_parquet(folder / "orders.parquet")
    orders.loc[0, "quantity"] = 0
    orders.to_parquet(folder / "orders.parquet")
    problems, _ = validated_cache.validate_into_cache(folder, NOW, tmp_path / "cache")
    assert problems
    assert list((tmp_path / "cache").iterdir()) == []  # neither an entry nor a staging folder


def test_the_validator_code_keys_the_cache_by_content(
    folder: Path, validations: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another checkout of the same rules (other paths, new file times) reuses the entries; a change
    to the rules validates again."""
    code = []
    for module in validated_cache.CODE:
        copy = tmp_path / "checkout" / module.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(module.read_bytes())
        code.append(copy)
    monkeypatch.setattr(validated_cache, "CODE", tuple(code))
    validated_cache._code_digest.cache_clear()
    load_dataset(folder, now=NOW)
    validated_cache._code_digest.cache_clear()
    os.utime(code[0], (1, 1))
    load_dataset(folder, now=NOW)
    assert len(validations) == 1
    code[0].write_bytes(code[0].read_bytes() + b"\n# a rule changed\n")
    validated_cache._code_digest.cache_clear()
    load_dataset(folder, now=NOW)
    assert len(validations) == 2
    validated_cache._code_digest.cache_clear()
