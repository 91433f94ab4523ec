"""Reading and writing table files. All writes go to a temporary path first and are renamed into place."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from features.errors import CibleError
from features.schema import OPTIONAL_TABLES, TABLES

SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")


class DataFileError(CibleError):
    """A data file is missing, ambiguous or unreadable; the message names it."""


def find_table_file(folder: Path, table: str) -> Path | None:
    """The file holding ``table`` in ``folder`` (``orders.parquet``, ``orders.csv`` or ``orders.csv.gz``)."""
    found = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").is_file()]
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise DataFileError(f"{folder}: table '{table}' is in several files ({names}); keep one")
    return found[0] if found else None


def is_csv(path: Path) -> bool:
    return path.name.endswith((".csv", ".csv.gz"))


def read_raw(path: Path) -> pd.DataFrame:
    """Read a table file as it is: CSV cells as text (typed later, with row numbers for errors)."""
    try:
        if is_csv(path):
            return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        return pd.read_parquet(path)
    except Exception as exc:  # the reader's own message names the problem; we add the file
        raise DataFileError(f"{path}: cannot be read ({exc})") from exc


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    if is_csv(path):
        frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    else:
        frame.to_parquet(path, index=False)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; it replaces ``target`` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def exclusive(target: Path) -> Iterator[None]:
    """Hold the lock of ``target`` (an flock on ``target.lock``) against every other process or thread
    that asks for it: a file appended by some and rewritten by others loses no line between a rewrite's
    read and its rename. Closing the descriptor releases it, whatever happened."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target.with_name(target.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write one table atomically; the format follows the suffix (.parquet, .csv, .csv.gz)."""
    with atomic_path(path) as tmp:
        if is_csv(path):
            # pandas infers compression from the suffix, which the temp name lacks.
            compression = "gzip" if path.name.endswith(".gz") else None
            frame.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S", compression=compression)
        else:
            frame.to_parquet(tmp, index=False)


def write_tables(frames: dict[str, pd.DataFrame], folder: Path, fmt: str = "parquet") -> list[Path]:
    """Write tables into ``folder`` as a unit: all files are staged first, then renamed in.

    Files of the same tables in the other format are removed, so the folder holds one file per table.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}: use parquet or csv")
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    written: list[Path] = []
    try:
        for name, frame in frames.items():
            _write_frame(frame, staging / f"{name}.{fmt}")
        for name in frames:
            for suffix in SUFFIXES:
                stale = folder / f"{name}{suffix}"
                if suffix != f".{fmt}" and stale.exists():
                    stale.unlink()
            final = folder / f"{name}.{fmt}"
            os.replace(staging / f"{name}.{fmt}", final)
            written.append(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def write_dataset_frames(frames: dict[str, pd.DataFrame], folder: Path, fmt: str = "parquet") -> list[Path]:
    """Write the contract tables (in contract order) into ``folder``; an optional table left out is left out
    of the folder too (no file: an empty table)."""
    missing = [name for name in TABLES if name not in frames and name not in OPTIONAL_TABLES]
    if missing:
        raise ValueError(f"tables missing from the data set to write: {', '.join(missing)}")
    return write_tables({name: frames[name] for name in TABLES if name in frames}, folder, fmt)
