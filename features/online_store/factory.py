"""Choosing the backend from configuration: ``CIBLE_ONLINE_STORE`` or the SQLite file in the Cible home."""

from __future__ import annotations

import os
from pathlib import Path

from features.online_store.base import OnlineStore
from features.online_store.redis_store import RedisStore
from features.online_store.sqlite_store import SQLiteStore
from features.settings import Settings

STORE_ENV = "CIBLE_ONLINE_STORE"


def open_store(settings: Settings, url: str | None = None) -> OnlineStore:
    url = url or os.environ.get(STORE_ENV) or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url.startswith("sqlite:///"):
        return SQLiteStore(Path(url.removeprefix("sqlite:///")))
    if url:
        raise ValueError(f"{STORE_ENV}={url!r}: use redis://host:port/db or sqlite:///path/to/file.db")
    return SQLiteStore(settings.home / "online_store.db")
