"""Validated tables, remembered: `make run` loads the same data folder in four processes (validate,
features, train, materialize), and validating it costs more than reading it.

An entry is the validator's output for one folder, stored under ``<CIBLE_HOME>/cache/validated/`` as
Feather files, keyed by the folder's path and every table file's name, size and modification time (and
the validator's own source files, so a new rule re-validates). It is reused only for a "now" at or after
the one it was validated at: a row in the future then is still valid later, not the other way round.
It holds the same rows as the data files (the privacy rules are applied after it, at every load); one
entry per folder, replaced when the files change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from features import dataset, schema, validate, validation_problems
from features.io import SUFFIXES
from features.schema import TABLES
from features.validate import validate_folder
from features.validation_problems import Problem

log = logging.getLogger(__name__)
META = "meta.json"
# the code whose change must invalidate every entry: the rules and the canonical types
CODE = tuple(Path(m.__file__) for m in (validate, validation_problems, schema, dataset))


def fingerprint(folder: Path) -> str:
    """Path, name, size and modification time of every table file, and of the validator's code."""
    stats = []
    for path in sorted(p for name in TABLES for p in folder.glob(f"{name}*") if p.name.endswith(SUFFIXES)):
        st = path.stat()
        stats.append([path.name, st.st_size, st.st_mtime_ns])
    for path in CODE:
        st = path.stat()
        stats.append([str(path), st.st_size, st.st_mtime_ns])
    return hashlib.sha256(json.dumps([str(folder), stats]).encode()).hexdigest()


def entry_for(cache: Path, folder: Path) -> Path:
    return cache / hashlib.sha256(str(folder).encode()).hexdigest()[:24]


def _read(entry: Path, key: str, now: pd.Timestamp) -> dict[str, pd.DataFrame] | None:
    try:
        meta = json.loads((entry / META).read_text())
        if meta["fingerprint"] != key or now < pd.Timestamp(meta["validated_at"]):
            return None
        return {name: pd.read_feather(entry / f"{name}.feather") for name in meta["tables"]}
    except (OSError, ValueError, KeyError) as exc:  # absent, or being replaced by another process
        log.debug("no usable validated cache in %s: %s", entry, exc)
        return None


def _write(entry: Path, key: str, now: pd.Timestamp, frames: dict[str, pd.DataFrame]) -> None:
    """Staged in a sibling folder and renamed in, so a reader never sees half an entry."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        for name, frame in frames.items():
            frame.reset_index(drop=True).to_feather(staging / f"{name}.feather")
        meta = {"fingerprint": key, "validated_at": now.isoformat(), "tables": sorted(frames)}
        (staging / META).write_text(json.dumps(meta))
        shutil.rmtree(entry, ignore_errors=True)
        staging.rename(entry)
    except OSError as exc:  # a full disk or a concurrent writer: the cache is only an optimisation
        log.warning("validated data not cached in %s: %s", entry, exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def validate_folder_cached(
    folder: Path, now: pd.Timestamp, cache: Path
) -> tuple[list[Problem], dict[str, pd.DataFrame]]:
    """:func:`features.validate.validate_folder`, answered from ``cache`` when the files are unchanged."""
    folder = folder.resolve()
    if not folder.is_dir():
        return validate_folder(folder, now=now)
    key, entry = fingerprint(folder), entry_for(cache, folder)
    frames = _read(entry, key, now)
    if frames is not None:
        return [], frames
    problems, frames = validate_folder(folder, now=now)
    if not problems:
        _write(entry, key, now, frames)
    return problems, frames
