"""Choosing the backend from configuration: ``CIBLE_ONLINE_STORE`` or the SQLite file in the Cible home."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from features.online_store.base import OnlineStore
from features.online_store.redis_store import KEY, RedisStore
from features.online_store.sqlite_store import SQLiteStore
from features.settings import Settings

STORE_ENV = "CIBLE_ONLINE_STORE"
PREFIX_PARAM = "prefix"  # redis://host:6379/0?prefix=shop2: several Cible instances share one Redis


def open_store(settings: Settings, url: str | None = None) -> OnlineStore:
    url = url or os.environ.get(STORE_ENV) or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(*redis_target(url))
    if url.startswith("sqlite:///"):
        return SQLiteStore(Path(url.removeprefix("sqlite:///")))
    if url:
        raise ValueError(f"{STORE_ENV}={url!r}: use redis://host:port/db or sqlite:///path/to/file.db")
    return SQLiteStore(settings.home / "online_store.db")


def redis_target(url: str) -> tuple[str, str]:
    """The Redis URL without Cible's own ``prefix`` parameter (the client refuses unknown ones), and the
    name of the store's hash, from which every other key of the store derives."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for name, value in query if name == PREFIX_PARAM]
    if prefixes and not prefixes[-1].strip():
        raise ValueError(f"{STORE_ENV}={url!r}: ?{PREFIX_PARAM}= needs a name")
    rest = urlencode([(name, value) for name, value in query if name != PREFIX_PARAM])
    return urlunsplit(parts._replace(query=rest)), prefixes[-1] if prefixes else KEY
