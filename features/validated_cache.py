"""Validated tables, remembered: `make run` loads the same data folder in four processes (validate,
features, train, materialize), and validating it costs more than reading it.

An entry is the validator's output for one folder, stored under ``<CIBLE_HOME>/cache/validated/`` as
Feather files, keyed by the folder's path and every table file's name, size and modification time (and
the validator's own source files, so a new rule re-validates). It is reused only for a "now" at or after
the one it was validated at: a row in the future then is still valid later, not the other way round.
It holds the same rows as the data files (the privacy rules are applied after it, at every load); one
entry per folder, replaced when the files change. A load reads it table by table, batch by batch
(:mod:`features.validated_tables`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.ipc

from features import dataset, schema, validate, validation_problems
from features.io import SUFFIXES
from features.schema import TABLES
from features.validate import validate_folder
from features.validated_tables import FeatherTables, FrameTables, ValidatedTables
from features.validation_problems import Problem

log = logging.getLogger(__name__)
META = "meta.json"
# the code whose change must invalidate every entry: the rules and the canonical types
CODE = tuple(Path(m.__file__) for m in (validate, validation_problems, schema, dataset))


def cache_dir(home: Path) -> Path:
    """Where a Cible home keeps its validated tables."""
    return home / "cache" / "validated"


def fingerprint(folder: Path) -> str:
    """Path, name, size and modification time of every table file, and the validator's code."""
    stats = []
    for path in sorted(p for name in TABLES for p in folder.glob(f"{name}*") if p.name.endswith(SUFFIXES)):
        st = path.stat()
        stats.append([path.name, st.st_size, st.st_mtime_ns])
    stats.append(["code", _code_digest()])
    return hashlib.sha256(json.dumps([str(folder), stats]).encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    """The validator's code by content, not by path and time: a checkout elsewhere or touched files
    with the same rules keep the entries (a checkout's files all get new times)."""
    return hashlib.sha256(b"".join(path.read_bytes() for path in CODE)).hexdigest()


def entry_for(cache: Path, folder: Path) -> Path:
    return cache / hashlib.sha256(str(folder).encode()).hexdigest()[:24]


def _read(entry: Path, key: str, now: pd.Timestamp) -> FeatherTables | None:
    try:
        meta = json.loads((entry / META).read_text())
        if meta["fingerprint"] != key or now < pd.Timestamp(meta["validated_at"]):
            return None
        tables = FeatherTables(entry, meta["tables"])
        for name in tables.names:  # every file there and readable, before any is read in full
            tables.schema(name)
        return tables
    except (OSError, ValueError, KeyError) as exc:  # absent, or being replaced by another process
        log.debug("no usable validated cache in %s: %s", entry, exc)
        return None


class _StagedTables:
    """The typed batches of a validation, written as they come: one Feather (Arrow IPC) file per table in
    a staging folder, so the cache of a data set larger than memory is written without holding it."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self._writers: dict[str, tuple[pa.NativeFile, pa.ipc.RecordBatchFileWriter, pa.Schema]] = {}

    def __call__(self, name: str, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        if name not in self._writers:
            sink = pa.OSFile(str(self.staging / f"{name}.feather"), "wb")
            writer = pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4"))
            self._writers[name] = (sink, writer, table.schema)
        _, writer, schema = self._writers[name]
        writer.write_table(table if table.schema.equals(schema) else table.cast(schema))

    def close(self) -> list[str]:
        """Finish every file (again: nothing); the tables written."""
        for sink, writer, _ in self._writers.values():
            if not sink.closed:
                writer.close()
                sink.close()
        return sorted(self._writers)


def validate_into_cache(
    folder: Path, now: pd.Timestamp, cache: Path
) -> tuple[list[Problem], dict[str, pd.DataFrame]]:
    """:func:`features.validate.validate_folder` batch by batch (memory of a batch, not of the tables),
    each typed batch written to a staging entry that becomes ``folder``'s cache entry when no problem was
    found; the problems and the tables' row counts (empty frames of their lengths)."""
    folder = folder.resolve()
    key, entry = fingerprint(folder), entry_for(cache, folder)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError as exc:  # a read-only home: the cache is only an optimisation
        log.warning("validated data not cached in %s: %s", entry, exc)
        return validate_folder(folder, now=now, keep_frames=False)
    staged = _StagedTables(staging)
    try:
        problems, counts = validate_folder(folder, now=now, keep_frames=False, sink=staged)
        tables = staged.close()
        if not problems:
            meta = {"fingerprint": key, "validated_at": now.isoformat(), "tables": tables}
            (staging / META).write_text(json.dumps(meta))
            shutil.rmtree(entry, ignore_errors=True)
            staging.rename(entry)
    except OSError as exc:  # a full disk or a concurrent writer: check again without writing
        log.warning("validated data not cached in %s: %s", entry, exc)
        problems, counts = validate_folder(folder, now=now, keep_frames=False)
    finally:
        staged.close()
        shutil.rmtree(staging, ignore_errors=True)
    return problems, counts


def validate_folder_cached(
    folder: Path, now: pd.Timestamp, cache: Path
) -> tuple[list[Problem], ValidatedTables]:
    """:func:`features.validate.validate_folder`, answered from ``cache`` when the files are unchanged,
    and otherwise validated batch by batch into the cache, then read from it. The tables are not read
    yet: a load reads them table by table (:mod:`features.validated_tables`)."""
    folder = folder.resolve()
    if not folder.is_dir():
        problems, frames = validate_folder(folder, now=now)
        return problems, FrameTables(frames)
    key, entry = fingerprint(folder), entry_for(cache, folder)
    tables = _read(entry, key, now)
    if tables is not None:
        return [], tables
    problems, _ = validate_into_cache(folder, now, cache)
    if problems:
        return problems, FrameTables({})
    tables = _read(entry, key, now)
    if tables is not None:
        return [], tables
    problems, frames = validate_folder(folder, now=now)  # the cache could not be written
    return problems, FrameTables(frames)
