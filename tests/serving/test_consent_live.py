"""A consent withdrawn through the service a second ago holds at once: recommendations, profiles and
segment lists, and every later load of the raw data (so the next materialisation cannot undo it)."""

from __future__ import annotations

import pandas as pd
from starlette.testclient import TestClient

from features import clock
from features import columns as c
from features.consent_gate import CHANNEL_PURPOSE, PROFILING, check_consent
from features.load import load_dataset
from features.online_store.factory import open_store
from features.privacy.rules import PrivacyRules
from tests.serving.conftest import Served

EMAIL, SMS = CHANNEL_PURPOSE["email"], CHANNEL_PURPOSE["sms"]


def _change(cid: str, purpose: str, granted: bool) -> dict:
    return {"customer_id": cid, "purpose": purpose, "granted": granted, "source": "phone_call", "proof": None}


def test_withdrawals_hold_everywhere_at_once(
    client: TestClient, served_home: Served, small_synthetic_dir
) -> None:
    store = open_store(served_home.settings)
    records = store.get_many(served_home.dataset.customers[c.CUSTOMER_ID])
    store.close()
    crm, site = served_home.headers("crm"), served_home.headers("site")
    segment = max(client.get("/segments", headers=crm).json(), key=lambda s: s["members"])["name"]
    email_list = client.get(f"/segments/{segment}/members.csv", params={"channel": "email"}, headers=crm).text
    cid = next(
        cid
        for cid, r in sorted(records.items())
        if all(r["consent"].get(p) for p in (PROFILING, EMAIL, SMS)) and r["history"] and cid in email_list
    )
    assert client.post("/recommend", json={"customer_id": cid}, headers=site).json()["personal"] is True

    answer = client.post("/consents", json={"changes": [_change(cid, EMAIL, False)]}, headers=site)
    assert answer.status_code == 200 and answer.json() == {"applied": 1, "unknown_customers": []}
    lists = {
        ch: client.get(f"/segments/{segment}/members.csv", params={"channel": ch}, headers=crm).text
        for ch in ("email", "sms")
    }
    assert cid not in lists["email"] and cid in lists["sms"]  # gone from email, still on SMS

    client.post("/consents", json={"changes": [_change(cid, PROFILING, False)]}, headers=crm)
    after = client.post("/recommend", json={"customer_id": cid}, headers=site).json()
    assert after["personal"] is False and after["next_best_offer"] is None
    assert client.get(f"/customers/{cid}", headers=crm).json()["profiled"] is False
    assert cid not in client.get(f"/segments/{segment}/members.csv", headers=crm).text

    # the next load of the raw data (features, training, lists, materialisation) sees both withdrawals
    reloaded = load_dataset(small_synthetic_dir, privacy=PrivacyRules.from_settings(served_home.settings))
    now = clock.now() + pd.Timedelta(seconds=1)
    for purpose, channel in ((PROFILING, None), (EMAIL, "email")):
        check = check_consent(
            reloaded.consents, pd.Index([cid]), now, channel, needs_profiling=purpose == PROFILING
        )
        assert not check.allowed[0]


def test_a_grant_needs_proof_and_unknown_customers_are_reported(
    client: TestClient, served_home: Served
) -> None:
    site = served_home.headers("site")
    cid = sorted(served_home.dataset.customers[c.CUSTOMER_ID])[1]
    no_proof = client.post("/consents", json={"changes": [_change(cid, SMS, True)]}, headers=site)
    assert no_proof.status_code == 400 and "proof" in no_proof.text
    granted = {**_change(cid, SMS, True), "proof": "web form v3"}
    answer = client.post(
        "/consents", json={"changes": [granted, _change("C999999", SMS, False)]}, headers=site
    )
    assert answer.json() == {"applied": 1, "unknown_customers": ["C999999"]}
    assert (
        client.post(
            "/consents", json={"changes": [granted]}, headers=served_home.headers("admin")
        ).status_code
        == 403
    )
