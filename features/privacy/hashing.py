"""Salted SHA-256 of identifiers: how an erased person or an ads audience is referred to without the id."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pandas as pd

SALT_ENV = "CIBLE_HASH_SALT"


def load_or_create_salt(path: Path, configured: str | None = None) -> str:
    """The configured salt, else the one stored in the Cible home (created once, never printed)."""
    if configured:
        return configured
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(16)
    path.write_text(salt)
    path.chmod(0o600)
    return salt


def hash_id(value: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def hash_ids(values: pd.Series, salt: str) -> pd.Series:
    """Hash each distinct id once (ids repeat across millions of rows), then map back."""
    distinct = pd.unique(values.dropna())
    lookup = {v: hash_id(str(v), salt) for v in distinct}
    return values.map(lookup)
