"""The first run end to end, as `make run` chains it and a new user types it: the real CLI in subprocesses
(synth → validate → train all → materialize → keys create → serve) on a small shop, every endpoint called
over HTTP with the printed key and its answer checked against the published OpenAPI document, then the key
file edited under the running service: a new key is accepted and a revoked one refused without a restart.

`train all` takes most of the time; the data are kept small (800 customers, 12 months) for that."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd
import pytest
import schemathesis

from serving.runtime import KEYS_CHECK_SECONDS
from tests.serving.live import Live, free_port, start

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-11-01T09:30:00"  # the clock: the morning after the data's last day
AS_OF = "2026-11-01"  # `make run`'s cutoff under that clock: the first day of its month, where the data end
STEP_TIMEOUT = 900.0
KEY_LINE = re.compile(r"^(cible_[A-Za-z0-9_\-]{20,})$", re.MULTILINE)
# a key-file change is seen at the next check (once a second at most); the margin is for a loaded machine
RELOAD_DEADLINE = KEYS_CHECK_SECONDS + 4.0


@dataclass(frozen=True)
class FirstRun:
    home: Path
    data: Path
    env: dict[str, str]

    def cible(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cible", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, f"cible {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture
def first_run(tmp_path: Path) -> FirstRun:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "CIBLE_ONLINE_STORE")},
        "CIBLE_HOME": str(tmp_path / "home"),
        "CIBLE_NOW": NOW,
        "BENTOML_HOME": str(tmp_path / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "True",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",  # the printed key on one line, whatever the terminal
        "CIBLE_TRAIN_JOBS": "2",  # pipelines in two worker processes, as on a 2-core machine
    }
    return FirstRun(tmp_path / "home", tmp_path / "data", env)


@pytest.fixture
def served(first_run: FirstRun, tmp_path: Path) -> Iterator[tuple[Live, str]]:
    run = first_run
    run.cible("data", "synth", "--out", str(run.data), "--customers", "800", "--months", "12", "--end", AS_OF)
    assert "valid" in run.cible("data", "validate", str(run.data))
    trained = run.cible("train", "all", "--data", str(run.data), "--as-of", AS_OF)
    # every pipeline reported from its worker process, each once, whole (a table never cut by another)
    for name in ("segments", "predictive models", "recommender", "offer response", "intent", "uplift"):
        assert len(re.findall(rf"^{name} \(\d+ s\) ─", trained, re.MULTILINE)) == 1, trained
    assert re.search(r"^churn v1 \(run \w+\): best candidate", trained, re.MULTILINE), trained
    run.cible("materialize", "--data", str(run.data), "--as-of", AS_OF)
    printed = run.cible("keys", "create", "local", "--scopes", "site,crm,admin")
    keys = KEY_LINE.findall(printed)
    assert len(keys) == 1, printed
    port = free_port()
    command = [sys.executable, "-m", "cible", "serve", "--port", str(port), "--data", str(run.data)]
    live = start([*command, "--reload-seconds", "1"], port, run.env, tmp_path / "server.log", REPO)
    try:
        yield live, keys[0]
    finally:
        live.stop()


def _until(check, deadline: float) -> float:
    """Seconds until ``check()`` holds, failing past ``deadline`` seconds."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if check():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {deadline} s")


@pytest.mark.slow
def test_the_first_run_serves_every_endpoint_and_follows_the_key_file(
    first_run: FirstRun, served: tuple[Live, str]
) -> None:
    live, key = served
    ready = live.wait_ready()
    assert ready["ready"] is True and ready["models"]["recommender"]["version"] == "1"
    auth = {"Authorization": f"Bearer {key}"}
    document = schemathesis.openapi.from_url(f"{live.url}/docs.json")
    checked: set[tuple[str, str]] = set()

    with httpx.Client(base_url=live.url, timeout=30) as http:

        def call(method: str, template: str, path: str | None = None, **kwargs: object) -> httpx.Response:
            answer = http.request(method, path or template, headers=auth, **kwargs)  # type: ignore[arg-type]
            assert answer.status_code == 200, f"{method} {path or template}: {answer.text[:500]}"
            document[template][method].validate_response(answer)  # status, content type and body
            checked.add((method.lower(), template))
            return answer

        segments = call("GET", "/segments").json()
        name = max(segments, key=lambda s: s["members"])["name"]
        members = call(
            "GET", "/segments/{name}/members", f"/segments/{name}/members", params={"page_size": 5}
        )
        cid = members.json()["members"][0]["customer_id"]
        csv = call("GET", "/segments/{name}/members.csv", f"/segments/{name}/members.csv")
        assert csv.headers["content-type"].startswith("text/csv") and cid in csv.text
        call("GET", "/segments/{name}/changes", f"/segments/{name}/changes", params={"since": AS_OF})
        profile = call("GET", "/customers/{customer_id}", f"/customers/{cid}").json()
        assert profile["customer_id"] == cid
        export = call("GET", "/customers/{customer_id}/export", f"/customers/{cid}/export")
        assert cid in export.text
        campaigns = pd.read_parquet(first_run.home / "reports" / "campaign_results.parquet")
        measured = campaigns[campaigns["has_control"]].iloc[0]  # the generator keeps control groups
        result = call(
            "GET",
            "/campaigns/{campaign_id}/results",
            f"/campaigns/{measured['campaign_id']}/results",
        ).json()
        assert result["treated"] == measured["treated"] and result["control"] == measured["control"] > 0

        recommended = call("POST", "/recommend", json={"customer_id": cid, "k": 5}).json()
        assert len(recommended["items"]) == 5 and recommended["model_version"] == "1"
        sku = recommended["items"][0]["sku"]
        assert call("POST", "/similar_items", json={"sku": sku, "k": 3}).json()["sku"] == sku
        call("POST", "/bought_together", json={"sku": sku, "k": 3})
        event = {
            "event_id": "first-run-1",
            "occurred_at": "2026-11-01T09:00:00",
            "visitor_id": "V-first-run",
            "customer_id": cid,
            "session_id": "S-first-run",
            "type": "add_to_cart",
            "sku": sku,
            "device": "mobile",
        }
        assert call("POST", "/events", json={"events": [event]}).json() == {"received": 1, "stored": 1}
        intent = call("POST", "/retargeting/score", json={"visitor_id": "V-first-run", "customer_id": cid})
        assert 0.0 <= intent.json()["intent_probability"] <= 1.0
        nobody = {
            "customer_id": "ZZ-first-run",
            "purpose": "email_marketing",
            "granted": False,
            "source": "app",
        }
        assert call("POST", "/consents", json={"changes": [nobody]}).json() == {
            "applied": 0,
            "unknown_customers": ["ZZ-first-run"],
        }
        sent = {"contact_id": "K-first-run", "customer_id": cid, "channel": "email"}
        assert call("POST", "/contacts", json={"contacts": [sent]}).json()["applied"] == 1
        assert call("POST", "/admin/reload").json()["ready"] is True
        erased = call("DELETE", "/customers/{customer_id}", f"/customers/{cid}").json()
        assert erased["erased"] is True and erased["removed_from_online_store"] is True
        for probe in ("/healthz", "/livez", "/readyz", "/metrics"):
            call("GET", probe)

        every = {(m, p) for p, item in document.raw_schema["paths"].items() for m in item}
        assert checked == every, f"not called: {sorted(every - checked)}"

        # a key added to the file is accepted without a restart
        printed = first_run.cible("keys", "create", "shop", "--scopes", "site")
        shop = {"X-API-Key": KEY_LINE.findall(printed)[0]}
        asked = {"json": {"visitor_id": "V-first-run", "k": 3}}
        _until(lambda: http.post("/recommend", headers=shop, **asked).status_code == 200, RELOAD_DEADLINE)
        assert http.get("/segments", headers=shop).status_code == 403  # its scope, not more

        # a revoked key is refused within the reload interval, without a restart
        first_run.cible("keys", "revoke", "local")
        _until(lambda: http.get("/segments", headers=auth).status_code == 401, RELOAD_DEADLINE)
        refused = http.post("/recommend", headers=auth, **asked)
        assert refused.status_code == 401 and refused.json() == {"error": "unknown API key"}
        assert http.post("/recommend", headers=shop, **asked).status_code == 200  # the other key still works
    assert live.process.poll() is None, "the service restarted or stopped"
