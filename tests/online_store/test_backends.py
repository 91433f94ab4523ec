"""Both online-store backends behave the same; Redis is the real server on 127.0.0.1:6379."""

from __future__ import annotations

import os
import uuid

import pytest

from features.online_store.factory import open_store
from features.online_store.redis_store import RedisStore
from features.online_store.sqlite_store import SQLiteStore

REDIS_URL = os.environ.get("CIBLE_TEST_REDIS", "redis://127.0.0.1:6379/15")


def redis_store() -> RedisStore:
    store = RedisStore(REDIS_URL, key=f"cible:test:{uuid.uuid4().hex}")
    try:
        store._redis.ping()
    except Exception as exc:  # the message says why the real server is unreachable
        message = f"Redis at {REDIS_URL} is not answering ({exc}); .ci/run starts one"
        if os.environ.get("CI"):
            pytest.fail(message)
        # A user's machine need not run Redis (SQLite is the default store); CI starts one and fails above.
        pytest.skip(message)
    return store


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    backend = SQLiteStore(tmp_path / "store.db") if request.param == "sqlite" else redis_store()
    yield backend
    if request.param == "redis":
        backend._redis.delete(backend.key)
    backend.close()


def test_records_round_trip_in_batches(store) -> None:
    records = {f"C{i}": {"features": {"n_orders": i, "region": "Corse"}, "scores": None} for i in range(1200)}
    store.put_many(records)
    assert store.count() == 1200
    assert store.get("C7") == {"features": {"n_orders": 7, "region": "Corse"}, "scores": None}
    assert store.get("nobody") is None
    many = store.get_many(["C1", "C1199", "nobody"])
    assert set(many) == {"C1", "C1199"}
    store.put_many({"C7": {"features": {"n_orders": 8}}})  # a later materialisation replaces the record
    assert store.get("C7") == {"features": {"n_orders": 8}}


def test_delete_removes_at_once(store) -> None:
    store.put_many({"C1": {"x": 1}, "C2": {"x": 2}})
    assert store.delete("C1") and not store.delete("C1")
    assert store.get("C1") is None and store.count() == 1


def test_nan_is_refused_rather_than_written_as_invalid_json(store) -> None:
    with pytest.raises(ValueError):
        store.put_many({"C1": {"x": float("nan")}})


def test_the_store_is_chosen_by_configuration(settings, monkeypatch) -> None:
    sqlite = open_store(settings)
    assert isinstance(sqlite, SQLiteStore) and sqlite.path == settings.home / "online_store.db"
    sqlite.close()
    monkeypatch.setenv("CIBLE_ONLINE_STORE", "redis://127.0.0.1:6379/15")
    assert isinstance(open_store(settings), RedisStore)
    monkeypatch.setenv("CIBLE_ONLINE_STORE", "memcached://x")
    with pytest.raises(ValueError, match="use redis://host:port/db or sqlite:///"):
        open_store(settings)
