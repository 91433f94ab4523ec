"""The real ``bentoml serve`` in a subprocess, called over HTTP: keys, recommendations, events, profiles,
Prometheus metrics, no key in the logs, and a champion swapped without a restart.

It serves a private copy of the trained home, so moving the champion alias here changes nothing for the
other service tests."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from mlflow.tracking import MlflowClient

from features import clock
from features import columns as c
from features.consent_gate import PROFILING
from features.online_store.factory import open_store
from features.settings import Settings
from tests.serving.conftest import Served
from tests.serving.live import Live, free_port, start

REPO = Path(__file__).resolve().parents[2]
RELOAD_TIMEOUT = 10.0
WRONG_KEY = "cible_a-key-nobody-was-given-0123456789"  # a presented key stays out of the logs even if unknown


@dataclass(frozen=True)
class Server:
    live: Live
    settings: Settings

    @property
    def url(self) -> str:
        return self.live.url


def private_home(served_home: Served, folder: Path) -> Settings:
    """A copy of the trained home, so a test may change it (aliases, consents) without touching others."""
    home = folder / "home"
    shutil.copytree(served_home.settings.home, home)
    return Settings(home=home, tracking_uri=f"sqlite:///{home / 'mlflow.db'}")


def start_server(settings: Settings, tmp_path: Path) -> Server:
    """``bentoml serve`` of ``settings.home`` on a free port, in its own process group (``live.stop()``)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "CIBLE_ONLINE_STORE")},
        "CIBLE_HOME": str(settings.home),
        "CIBLE_RELOAD_SECONDS": "1",
        "BENTOML_HOME": str(tmp_path / "bentoml"),  # nothing lands in ~/bentoml
        "PYTHONUNBUFFERED": "1",
        "BENTOML_DO_NOT_TRACK": "True",
    }
    bentoml = Path(sys.executable).with_name("bentoml")
    command = [str(bentoml), "serve", "serving.service:Cible", "--host", "127.0.0.1", "--port", str(port)]
    return Server(start(command, port, env, tmp_path / "server.log", REPO), settings)


@pytest.fixture
def server(served_home: Served, tmp_path: Path) -> Iterator[Server]:
    started = start_server(private_home(served_home, tmp_path), tmp_path)
    try:
        yield started
    finally:
        started.live.stop()


def _profiled_customer(settings: Settings, served: Served) -> str:
    store = open_store(settings)
    try:
        records = store.get_many(sorted(served.dataset.customers[c.CUSTOMER_ID]))
    finally:
        store.close()
    return next(cid for cid, r in sorted(records.items()) if r["consent"].get(PROFILING) and r["history"])


@pytest.mark.slow
def test_the_real_server_over_http(server: Server, served_home: Served) -> None:
    ready = server.live.wait_ready()
    live = ready["models"]["recommender"]["version"]
    assert ready["ready"] is True and live is not None

    cid = _profiled_customer(server.settings, served_home)
    site, crm = served_home.headers("site"), served_home.headers("crm")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.post("/recommend", json={"customer_id": cid, "k": 5}).status_code == 401
        assert http.post("/recommend", json={"customer_id": cid, "k": 5}, headers=crm).status_code == 403
        wrong = {"X-API-Key": WRONG_KEY}
        assert http.post("/recommend", json={"customer_id": cid, "k": 5}, headers=wrong).status_code == 401
        answer = http.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["personal"] is True and len(body["items"]) == 5 and body["model_version"] == live
        bought = body["items"][0]["sku"]

        event = {
            "event_id": "real-server-1",
            "occurred_at": (clock.now_datetime() - timedelta(seconds=60)).isoformat(timespec="seconds"),
            "visitor_id": "V-real",
            "customer_id": cid,
            "session_id": "S-real",
            "type": "purchase",
            "sku": bought,
            "device": "desktop",
        }
        posted = http.post("/events", json={"events": [event]}, headers=site)
        assert posted.status_code == 200 and posted.json() == {"received": 1, "stored": 1}
        after = http.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
        assert bought not in [item["sku"] for item in after["items"]]

        profile = http.get(f"/customers/{cid}", headers=crm)
        assert profile.status_code == 200 and profile.json()["customer_id"] == cid
        assert http.get("/customers/C999999", headers=crm).status_code == 404

        metrics = http.get("/metrics")  # public, for the scraper
        assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
        assert "# TYPE" in metrics.text and "request_total" in metrics.text and "/recommend" in metrics.text

        # the champion moves: the poller (every second) loads the new version, no restart
        client = MlflowClient(
            tracking_uri=server.settings.tracking_uri, registry_uri=server.settings.tracking_uri
        )
        current = client.get_model_version_by_alias("recommender", "champion")
        fresh = client.create_model_version("recommender", current.source, run_id=current.run_id)
        client.set_registered_model_alias("recommender", "champion", fresh.version)
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while time.monotonic() < deadline:
            models = http.get("/readyz").json()["models"]
            if models["recommender"]["version"] == str(fresh.version):
                break
            time.sleep(0.25)
        else:
            raise AssertionError(f"v{fresh.version} not live within {RELOAD_TIMEOUT} s: {models}")
        answer = http.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
        assert answer["model_version"] == str(fresh.version) != live

    server.live.stop()
    assert server.live.process.returncode is not None
    logs = server.live.log.read_text(errors="replace")
    assert "/recommend" in logs, "the access log is on, so the check below means something"
    for key in [*served_home.keys.values(), WRONG_KEY]:
        assert key not in logs
        assert key[6:20] not in logs  # not even part of it
