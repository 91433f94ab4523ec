"""The service on the Redis online store (several workers or hosts share it): the real server on
127.0.0.1:6379, as in tests/online_store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from features import clock
from features import columns as c
from features.online_store.redis_store import RedisStore
from tests.online_store.test_backends import redis_store
from tests.serving.conftest import Served
from training.materialize import materialize


@pytest.fixture()
def redis_client(
    client: TestClient, served_home: Served, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, RedisStore]]:
    """The running service with its online store switched to Redis (one ASGI app per process: BentoML
    registers its metrics once)."""
    store = redis_store()  # skips off CI when no server answers, fails on CI
    materialize(served_home.dataset, served_home.as_of, served_home.settings, store)
    from serving import service

    runtime = service._runtime()
    monkeypatch.setattr(runtime, "store", store)
    monkeypatch.setattr(runtime.engine, "store", store)
    yield client, store
    for key in store._redis.scan_iter(f"{store.key}*"):
        store._redis.delete(key)
    store.close()


def test_events_and_recommendations_through_redis(redis_client, served_home: Served) -> None:
    client, store = redis_client
    site = served_home.headers("site")
    cid = next(
        cid
        for cid in sorted(served_home.dataset.customers[c.CUSTOMER_ID])[200:]  # customers no other test uses
        if (store.get(cid) or {}).get("history")
    )
    first = client.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
    assert first["personal"] is True and len(first["items"]) == 5
    bought = first["items"][0]["sku"]
    when = (clock.now_datetime() - timedelta(minutes=1)).isoformat(timespec="seconds")
    event = {
        "event_id": f"redis-{cid}",
        "occurred_at": when,
        "visitor_id": "V-redis",
        "customer_id": cid,
        "session_id": "S-redis",
        "type": "purchase",
        "sku": bought,
        "device": "desktop",
    }
    assert client.post("/events", json={"events": [event]}, headers=site).json()["stored"] == 1
    assert client.post("/events", json={"events": [event]}, headers=site).json()["stored"] == 0
    after = client.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
    assert bought not in [item["sku"] for item in after["items"]]
    erased = client.delete(f"/customers/{cid}", headers=served_home.headers("admin"))
    assert erased.status_code == 200 and store.get(cid) is None
    assert store.recent_events("V-redis", cid) == []
