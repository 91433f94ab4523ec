"""Settings files: a YAML mapping whose keys must be fields of a settings dataclass."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import yaml


def read_settings(path: Path, settings_class: type, error: type[Exception] = ValueError) -> dict:
    """The mapping in ``path``, refused with ``error`` naming the file if it is not YAML, not a mapping,
    or names a setting ``settings_class`` does not have (a typo must not be silently ignored)."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    known = {f.name for f in fields(settings_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise error(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return data
