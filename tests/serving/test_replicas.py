"""Two replicas of the service, as behind a load balancer: two real ``cible serve`` processes on their own
ports, sharing one Redis online store (a key prefix of their own on the test server) and one Cible home.
What one replica is told (events, consents, contacts, erasures, a revoked key, a sign-out), the other
answers at once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from features import clock
from features import columns as c
from features.consent_gate import CHANNEL_PURPOSE, PROFILING
from features.online_store.redis_store import RedisStore
from features.privacy.rules import PrivacyRules
from features.settings import Settings
from serving.auth import create_key, keys_path
from serving.page.sessions import COOKIE, PRE_COOKIE
from tests.online_store.test_backends import REDIS_URL, redis_store
from tests.serving.conftest import Served
from tests.serving.live import Live, free_port, start
from tests.serving.test_real_server import REPO, private_home
from training.materialize import materialize

EMAIL, SMS = CHANNEL_PURPOSE["email"], CHANNEL_PURPOSE["sms"]
KEYS_TIMEOUT = 10.0  # a replica rereads the key file at most once a second


@dataclass(frozen=True)
class Replicas:
    a: Live
    b: Live
    settings: Settings
    store: RedisStore


def start_replica(settings: Settings, store_url: str, folder: Path, name: str) -> Live:
    """``cible serve`` as an operator starts it on each host: same home, same store URL, its own port."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"},
        "CIBLE_HOME": str(settings.home),
        "CIBLE_ONLINE_STORE": store_url,
        "BENTOML_HOME": str(folder / f"bentoml-{name}"),  # nothing lands in ~/bentoml
        "PYTHONUNBUFFERED": "1",
        "BENTOML_DO_NOT_TRACK": "True",
    }
    command = [sys.executable, "-m", "cible", "serve", "--port", str(port), "--reload-seconds", "1"]
    return start(command, port, env, folder / f"replica-{name}.log", REPO)


@pytest.fixture(scope="module")
def replicas(served_home: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    store = redis_store()  # a private prefix; skips off CI when no Redis answers, fails on CI
    folder = tmp_path_factory.mktemp("replicas")
    settings = private_home(served_home, folder)
    started: list[Live] = []
    try:
        materialize(served_home.dataset, served_home.as_of, settings, store)
        url = f"{REDIS_URL}?prefix={store.key}"
        started = [start_replica(settings, url, folder, name) for name in ("a", "b")]
        for live in started:
            live.wait_ready()
        yield Replicas(started[0], started[1], settings, store)
    finally:
        for live in started:
            live.stop()
        for key in store._redis.scan_iter(f"{store.key}*"):
            store._redis.delete(key)
        store.close()


def _customers(replicas: Replicas, served: Served, wanted: Callable[[dict], bool]) -> list[str]:
    records = replicas.store.get_many(sorted(served.dataset.customers[c.CUSTOMER_ID]))
    return [cid for cid, r in sorted(records.items()) if r["history"] and wanted(r["consent"])]


def _event(n: int, cid: str, kind: str, sku: str) -> dict:
    return {
        "event_id": f"replica-{cid}-{n}",
        "occurred_at": (clock.now_datetime() - timedelta(seconds=60 - n)).isoformat(timespec="seconds"),
        "visitor_id": f"V-replica-{cid}",
        "customer_id": cid,
        "session_id": f"S-replica-{cid}",
        "type": kind,
        "sku": sku,
        "device": "desktop",
    }


@pytest.mark.slow
def test_events_posted_to_one_replica_are_seen_by_the_other(replicas: Replicas, served_home: Served) -> None:
    cid = _customers(replicas, served_home, lambda consent: bool(consent.get(PROFILING)))[0]
    site = served_home.headers("site")
    a, b = replicas.a.url, replicas.b.url
    first = httpx.post(f"{b}/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
    assert first["personal"] is True and len(first["items"]) == 5
    bought, carted = first["items"][0]["sku"], first["items"][1]["sku"]

    events = [_event(1, cid, "purchase", bought), _event(2, cid, "add_to_cart", carted)]
    posted = httpx.post(f"{a}/events", json={"events": events}, headers=site)
    assert posted.status_code == 200 and posted.json() == {"received": 2, "stored": 2}
    # the same batch retried at the other replica stores nothing: idempotence is the store's, not a process's
    assert httpx.post(f"{b}/events", json={"events": events}, headers=site).json()["stored"] == 0

    after = httpx.post(f"{b}/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
    assert bought not in [item["sku"] for item in after["items"]]
    score = httpx.post(f"{b}/retargeting/score", json={"customer_id": cid, "k": 3}, headers=site)
    assert score.status_code == 200, score.text
    assert score.json()["items"][0]["sku"] == carted and score.json()["items"][0]["source"] == "cart"
    assert bought not in [item["sku"] for item in score.json()["items"]]


@pytest.mark.slow
def test_a_consent_withdrawn_at_one_replica_holds_at_the_other(
    replicas: Replicas, served_home: Served
) -> None:
    crm, site = served_home.headers("crm"), served_home.headers("site")
    a, b = replicas.a.url, replicas.b.url
    segment = max(httpx.get(f"{b}/segments", headers=crm).json(), key=lambda s: s["members"])["name"]
    listed = f"{b}/segments/{segment}/members.csv"
    email_list = httpx.get(listed, params={"channel": "email"}, headers=crm).text
    everything = lambda consent: all(consent.get(p) for p in (PROFILING, EMAIL, SMS))  # noqa: E731
    cid = next(cid for cid in _customers(replicas, served_home, everything)[1:] if cid in email_list)
    assert httpx.post(f"{b}/recommend", json={"customer_id": cid}, headers=site).json()["personal"] is True

    def change(purpose: str) -> dict:
        return {"customer_id": cid, "purpose": purpose, "granted": False, "source": "phone_call"}

    answer = httpx.post(f"{a}/consents", json={"changes": [change(EMAIL)]}, headers=site)
    assert answer.status_code == 200 and answer.json() == {"applied": 1, "unknown_customers": []}
    assert cid not in httpx.get(listed, params={"channel": "email"}, headers=crm).text
    assert cid in httpx.get(listed, params={"channel": "sms"}, headers=crm).text

    assert httpx.post(f"{a}/consents", json={"changes": [change(PROFILING)]}, headers=crm).status_code == 200
    after = httpx.post(f"{b}/recommend", json={"customer_id": cid}, headers=site).json()
    assert after["personal"] is False and after["next_best_offer"] is None
    assert httpx.get(f"{b}/customers/{cid}", headers=crm).json()["profiled"] is False
    assert cid not in httpx.get(listed, headers=crm).text
    # both withdrawals are in the home's ledger once, which the next materialisation merges
    ledger = PrivacyRules.from_settings(replicas.settings).consent_updates.frame()
    assert sorted(ledger[ledger[c.CUSTOMER_ID] == cid][c.PURPOSE]) == sorted([EMAIL, PROFILING])


@pytest.mark.slow
def test_a_customer_erased_at_one_replica_is_gone_from_the_other(
    replicas: Replicas, served_home: Served
) -> None:
    crm = served_home.headers("crm")
    a, b = replicas.a.url, replicas.b.url
    segment = max(httpx.get(f"{b}/segments", headers=crm).json(), key=lambda s: s["members"])["name"]
    members = httpx.get(f"{b}/segments/{segment}/members.csv", headers=crm).text
    cid = next(cid for cid in _customers(replicas, served_home, lambda _: True)[2:] if cid in members)
    assert httpx.get(f"{b}/customers/{cid}", headers=crm).status_code == 200
    erased = httpx.delete(f"{a}/customers/{cid}", headers=served_home.headers("admin"))
    assert erased.status_code == 200 and erased.json()["removed_from_online_store"] is True
    assert httpx.get(f"{b}/customers/{cid}", headers=crm).status_code == 404
    assert cid not in httpx.get(f"{b}/segments/{segment}/members.csv", headers=crm).text


@pytest.mark.slow
def test_contacts_reported_to_one_replica_count_at_the_other(replicas: Replicas, served_home: Served) -> None:
    crm, site = served_home.headers("crm"), served_home.headers("site")
    a, b = replicas.a.url, replicas.b.url
    emailable = lambda consent: bool(consent.get(PROFILING) and consent.get(EMAIL))  # noqa: E731
    cid = _customers(replicas, served_home, emailable)[-1]  # none of the other tests' customers
    before = httpx.post(f"{b}/retargeting/score", json={"customer_id": cid}, headers=site).json()
    assert "contacts in" not in before["follow_up"]["reason"]
    sent = [
        {"contact_id": f"K-replica-{n}", "customer_id": cid, "channel": channel}
        for n, channel in enumerate(("email", "sms"))
    ]
    assert httpx.post(f"{a}/contacts", json={"contacts": sent}, headers=crm).json()["applied"] == 2
    after = httpx.post(f"{b}/retargeting/score", json={"customer_id": cid}, headers=site).json()
    assert after["follow_up"]["allowed"] is False
    assert after["follow_up"]["reason"].endswith("contacts in 7 days (cap 2)")
    # the CRM retries the report at the other replica: the sends still count once
    assert httpx.post(f"{b}/contacts", json={"contacts": sent}, headers=crm).json()["applied"] == 2
    retried = httpx.post(f"{a}/retargeting/score", json={"customer_id": cid}, headers=site).json()
    assert retried["follow_up"]["reason"] == after["follow_up"]["reason"]


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + KEYS_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not within {KEYS_TIMEOUT} s")
        time.sleep(0.25)


@pytest.mark.slow
def test_a_key_created_or_revoked_holds_at_both_replicas(replicas: Replicas, served_home: Served) -> None:
    key = create_key(keys_path(replicas.settings.home), "replica-test", ["site"])
    urls = (replicas.a.url, replicas.b.url)
    sku = str(served_home.dataset.products[c.SKU].iloc[0])

    def statuses() -> list[int]:
        body, key_header = {"sku": sku, "k": 1}, {"X-API-Key": key}
        return [httpx.post(f"{u}/similar_items", json=body, headers=key_header).status_code for u in urls]

    _until(lambda: statuses() == [200, 200], "the new key accepted by both replicas")
    revoked = subprocess.run(
        [sys.executable, "-m", "cible", "keys", "revoke", "replica-test"],
        env={**os.environ, "CIBLE_HOME": str(replicas.settings.home)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert revoked.returncode == 0, revoked.stderr
    _until(lambda: statuses() == [401, 401], "the revoked key refused by both replicas")


def _sign_in(url: str, key: str) -> str:
    """The session cookie of a sign-in through the page's form (no cookie jar: the replicas share a host)."""
    form = httpx.get(f"{url}/page/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None, form.text
    signed = httpx.post(
        f"{url}/page/signin",
        data={"api_key": key, "csrf": token.group(1)},
        headers={"Cookie": f"{PRE_COOKIE}={form.cookies[PRE_COOKIE]}"},
    )
    assert signed.status_code == 303 and signed.headers["location"].endswith("/page/segments"), signed.text
    return signed.cookies[COOKIE]


@pytest.mark.slow
def test_signing_out_at_one_replica_ends_the_session_at_the_other(
    replicas: Replicas, served_home: Served
) -> None:
    cookie = {"Cookie": f"{COOKIE}={_sign_in(replicas.a.url, served_home.keys['crm'])}"}
    page = httpx.get(f"{replicas.b.url}/page/segments", headers=cookie)
    # the other replica accepts the session (one secret); its view waits for reports this home lacks
    assert page.status_code in (200, 503) and 'action="/page/signout"' in page.text, page.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None
    out = httpx.post(f"{replicas.a.url}/page/signout", headers={**cookie, "X-CSRF-Token": token.group(1)})
    assert out.status_code == 303
    again = httpx.get(f"{replicas.b.url}/page/segments", headers=cookie)
    assert again.status_code == 303 and again.headers["location"].endswith("/page/signin")
