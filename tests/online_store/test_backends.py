"""Both online-store backends behave the same; Redis is the real server on 127.0.0.1:6379."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
import redis.exceptions

from features.online_store.factory import open_store
from features.online_store.redis_store import RedisStore
from features.online_store.sqlite_store import SQLiteStore
from tests.ci import unavailable

REDIS_URL = os.environ.get("CIBLE_TEST_REDIS", "redis://127.0.0.1:6379/15")


def redis_store() -> RedisStore:
    store = RedisStore(REDIS_URL, key=f"cible:test:{uuid.uuid4().hex}")
    try:
        store._redis.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        if isinstance(exc, redis.exceptions.AuthenticationError):
            raise  # a server that answers and refuses us is a fault, not a missing server
        # A user's machine need not run Redis (SQLite is the default store); CI starts one and fails here.
        unavailable(f"Redis at {REDIS_URL} is not answering ({exc}); .ci/run starts one")
    return store


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    backend = SQLiteStore(tmp_path / "store.db") if request.param == "sqlite" else redis_store()
    yield backend
    if request.param == "redis":
        for key in backend._redis.scan_iter(f"{backend.key}*"):
            backend._redis.delete(key)
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
    default = open_store(settings)
    assert isinstance(default, RedisStore) and default.key == "cible:customers"
    # a prefix of its own lets another Cible (or a test) share the server; the client never sees it
    named = open_store(settings, "redis://127.0.0.1:6379/15?socket_timeout=5&prefix=shop2")
    assert isinstance(named, RedisStore) and named.key == "shop2"
    assert named._redis.connection_pool.connection_kwargs["socket_timeout"] == 5
    assert named._redis.connection_pool.connection_kwargs["db"] == 15
    with pytest.raises(ValueError, match="prefix= needs a name"):
        open_store(settings, "redis://127.0.0.1:6379/15?prefix=")
    monkeypatch.setenv("CIBLE_ONLINE_STORE", "memcached://x")
    with pytest.raises(ValueError, match="use redis://host:port/db or sqlite:///"):
        open_store(settings)


@dataclass(frozen=True)
class Event:
    event_id: str
    visitor_id: str
    customer_id: str | None
    timestamp: float
    body: dict


def _event(i: int, visitor: str, customer: str | None = None, ts: float = 1_790_000_000.0) -> Event:
    return Event(f"E{i}", visitor, customer, ts + i, {"event_id": f"E{i}", "type": "product_view"})


def test_events_are_idempotent_and_newest_first(store) -> None:
    batch = [_event(1, "V1"), _event(2, "V1"), _event(3, "V2", "C1")]
    assert store.add_events(batch) == 3
    assert store.add_events(batch) == 0  # a retried batch changes nothing
    assert [e["event_id"] for e in store.recent_events("V1", None)] == ["E2", "E1"]
    # after login the customer's events from other devices join the visitor's, each once
    store.add_events([_event(4, "V1", "C1")])
    assert [e["event_id"] for e in store.recent_events("V1", "C1")] == ["E4", "E3", "E2", "E1"]
    assert [e["event_id"] for e in store.recent_events("V1", "C1", limit=2)] == ["E4", "E3"]
    assert store.recent_events("nobody", None) == []


def test_erasure_removes_the_person_s_events_on_every_device(store) -> None:
    store.put_many({"C1": {"x": 1}})
    store.add_events([_event(1, "V1"), _event(2, "V1", "C1"), _event(3, "V2", "C1"), _event(4, "V9")])
    assert store.delete("C1")
    assert store.recent_events("V1", "C1") == [] and store.recent_events("V2", None) == []
    assert [e["event_id"] for e in store.recent_events("V9", None)] == ["E4"]


def test_events_older_than_the_ttl_are_pruned(store) -> None:
    store.add_events([_event(1, "V1", ts=1_000_000.0)])
    store.add_events([_event(2, "V1", ts=1_000_000.0 + 40 * 24 * 3600)])
    ids = [e["event_id"] for e in store.recent_events("V1", None)]
    assert ids[0] == "E2"
    if isinstance(store, SQLiteStore):  # Redis expires by key TTL from the wall clock instead
        assert ids == ["E2"]


def test_consent_changes_apply_in_place(store) -> None:
    store.put_many({"C1": {"consent": {"profiling": True, "sms_marketing": True}, "features": {"n": 1}}})
    assert store.set_consent("C1", {"sms_marketing": False})
    assert store.get("C1") == {"consent": {"profiling": True, "sms_marketing": False}, "features": {"n": 1}}
    assert not store.set_consent("nobody", {"profiling": False})
    assert store.get("nobody") is None


def test_reported_contacts_join_the_record_once_and_old_ones_leave(store) -> None:
    store.put_many({"C1": {"recent_contacts": ["2026-11-01T09:00:00"]}})
    keep_after = "2026-10-23T00:00:00"
    assert store.add_contacts("C1", {"K1": "2026-10-01T09:00:00", "K2": "2026-11-20T09:00:00"}, keep_after)
    assert store.add_contacts("C1", {"K3": "2026-11-22T10:00:00", "K2": "2026-11-20T09:00:00"}, keep_after)
    # K2 retried counts once; K1 is older than what is kept; the materialised sends stay as they were
    assert store.get("C1") == {
        "recent_contacts": ["2026-11-01T09:00:00"],
        "reported_contacts": {"K2": "2026-11-20T09:00:00", "K3": "2026-11-22T10:00:00"},
    }
    assert not store.add_contacts("nobody", {"K4": "2026-11-22T10:00:00"}, keep_after)
    assert store.get("nobody") is None
