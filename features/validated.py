"""A record of data folders that passed validation, so a later command on the same unchanged files need
not read every table in full again (the validator holds a whole folder in memory; a partitioned build
does not).

A folder counts as validated when every table file has the size and modification time it had when it
passed. The record lives in the Cible home, never in the data folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from features.io import SUFFIXES, atomic_path
from features.schema import TABLES
from features.settings import Settings


def _fingerprint(folder: Path) -> dict[str, list[int]]:
    found = {}
    for name in TABLES:
        for suffix in SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                stat = path.stat()
                found[path.name] = [stat.st_size, stat.st_mtime_ns]
    return found


def _record_file(settings: Settings) -> Path:
    return settings.home / "validated.json"


def _read(settings: Settings) -> dict[str, dict[str, list[int]]]:
    path = _record_file(settings)
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        return {}


def mark_valid(folder: Path, settings: Settings) -> None:
    """Remember that ``folder`` as it is now passed validation."""
    records = _read(settings)
    records[str(folder.resolve())] = _fingerprint(folder)
    with atomic_path(_record_file(settings)) as tmp:
        tmp.write_text(json.dumps(records, indent=1, sort_keys=True))


def known_valid(folder: Path, settings: Settings) -> bool:
    """True if ``folder``'s table files are exactly those that passed validation last time."""
    recorded = _read(settings).get(str(folder.resolve()))
    return recorded is not None and recorded == _fingerprint(folder)
