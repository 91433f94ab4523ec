"""CRM and admin routes: customer profiles, segment lists with consent, CSV, audit, erasure, access."""

from __future__ import annotations

import csv
import io

import pandas as pd
from starlette.testclient import TestClient

from features import clock
from features import columns as c
from features.consent_gate import CHANNEL_PURPOSE, PROFILING
from features.online_store.factory import open_store
from features.privacy.audit import AuditTrail
from tests.serving.conftest import Served


def _records(served: Served) -> dict[str, dict]:
    store = open_store(served.settings)
    try:
        return store.get_many(served.dataset.customers[c.CUSTOMER_ID])
    finally:
        store.close()


def test_customer_profile_for_advisers(client: TestClient, served_home: Served) -> None:
    records = _records(served_home)
    cid = next(cid for cid, r in sorted(records.items()) if r["consent"].get(PROFILING) and r["scores"])
    answer = client.get(f"/customers/{cid}", headers=served_home.headers("crm"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["profiled"] is True and body["customer_id"] == cid
    assert body["segments"]["rfm_segment"] and body["segments"]["cluster_name"]
    assert body["consent"] == records[cid]["consent"]
    # the batch's recommendations, for the adviser to mention
    assert body["top_items"] and body["top_items"] == records[cid]["scores"]["top_items"].split(",")
    entries = AuditTrail(served_home.settings.audit_log).query(target=cid, action="read_customer")
    assert entries and entries[-1]["actor"] == "api:crm"


def test_a_customer_who_refused_profiling_shows_no_profile(client: TestClient, served_home: Served) -> None:
    records = _records(served_home)
    cid = next(cid for cid, r in sorted(records.items()) if not r["consent"].get(PROFILING))
    body = client.get(f"/customers/{cid}", headers=served_home.headers("crm")).json()
    assert body["profiled"] is False
    assert body["segments"] == {} and body["scores"] == {} and body["next_best_offer"] is None


def test_unknown_customer_is_404(client: TestClient, served_home: Served) -> None:
    assert client.get("/customers/C999999", headers=served_home.headers("crm")).status_code == 404


def test_segment_lists_are_consent_filtered_and_paged(client: TestClient, served_home: Served) -> None:
    crm = served_home.headers("crm")
    segments = client.get("/segments", headers=crm).json()
    name = max(segments, key=lambda s: s["members"])["name"]
    records = _records(served_home)
    purpose = CHANNEL_PURPOSE["email"]
    first = client.get(f"/segments/{name}/members", params={"channel": "email", "page_size": 5}, headers=crm)
    assert first.status_code == 200, first.text
    page = first.json()
    allowed = [m["customer_id"] for m in page["members"]]
    assert len(allowed) == min(5, page["total"])
    for cid in allowed:
        assert records[cid]["consent"][purpose] and records[cid]["consent"][PROFILING]
    assert page["total"] + page["removed_for_consent"] == next(
        s["members"] for s in segments if s["name"] == name
    )
    second = client.get(
        f"/segments/{name}/members", params={"channel": "email", "page_size": 5, "page": 2}, headers=crm
    ).json()
    assert not set(allowed) & {m["customer_id"] for m in second["members"]}
    text = client.get(f"/segments/{name}/members.csv", params={"channel": "email"}, headers=crm)
    assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == page["total"] and rows[0]["customer_id"] == allowed[0]
    assert client.get("/segments/nope/members", headers=crm).status_code == 404
    assert client.get(f"/segments/{name}/members", params={"channel": "fax"}, headers=crm).status_code == 400


def test_erasure_by_an_admin_reaches_the_service_at_once(client: TestClient, served_home: Served) -> None:
    records = _records(served_home)
    cid = next(
        cid
        for cid, r in sorted(records.items(), reverse=True)
        if r["consent"].get(PROFILING) and r["history"] and r["history"]["items"]
    )
    site, crm, admin = (served_home.headers(s) for s in ("site", "crm", "admin"))
    assert client.post("/recommend", json={"customer_id": cid}, headers=site).json()["personal"] is True
    assert client.delete(f"/customers/{cid}", headers=crm).status_code == 403
    erased = client.delete(f"/customers/{cid}", headers=admin)
    assert erased.status_code == 200 and erased.json()["removed_from_online_store"] is True
    assert client.get(f"/customers/{cid}", headers=crm).status_code == 404
    after = client.post("/recommend", json={"customer_id": cid}, headers=site).json()
    assert after["personal"] is False and after["next_best_offer"] is None
    for segment in client.get("/segments", headers=crm).json():
        listed = client.get(f"/segments/{segment['name']}/members.csv", headers=crm).text
        assert cid not in listed
    log = AuditTrail(served_home.settings.audit_log).path.read_text()
    assert cid not in log.split("erase")[-1]  # the erasure itself is logged by hash only


def test_access_export_needs_admin_and_the_raw_data(
    client: TestClient, served_home: Served, small_synthetic_dir, monkeypatch
) -> None:
    cid = sorted(_records(served_home))[0]
    assert client.get(f"/customers/{cid}/export", headers=served_home.headers("crm")).status_code == 403
    admin = served_home.headers("admin")
    from serving import service

    runtime = service._runtime()
    assert client.get(f"/customers/{cid}/export", headers=admin).status_code == 503  # no data folder given
    monkeypatch.setattr(runtime.config, "data_dir", small_synthetic_dir)
    answer = client.get(f"/customers/{cid}/export", headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["online_store"]["consent"] and cid in answer.text
    assert client.get("/customers/C999999/export", headers=admin).status_code == 404


def test_who_entered_and_left_a_segment(client: TestClient, served_home: Served) -> None:
    from training.segments.score import assign_segments

    earlier = served_home.as_of - pd.Timedelta(days=90)
    assign_segments(served_home.dataset, earlier, served_home.settings)  # an older snapshot beside the latest
    crm = served_home.headers("crm")
    segments = client.get("/segments", headers=crm).json()
    name = next(s["name"] for s in segments if s["kind"] == "rfm_segment")
    answer = client.get(f"/segments/{name}/changes", params={"since": f"{earlier:%Y-%m-%d}"}, headers=crm)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["since"].startswith(f"{earlier:%Y-%m-%d}") and body["until"].startswith(
        f"{served_home.as_of:%Y-%m-%d}"
    )
    moves = body["entered"] + body["exited"]
    assert moves and all(m["reason"] for m in moves)
    records = _records(served_home)
    assert all(records[m["customer_id"]]["consent"].get(PROFILING) for m in moves)
    bad = client.get(f"/segments/{name}/changes", params={"since": "yesterday"}, headers=crm)
    assert bad.status_code == 400 and bad.json()["detail"][0]["loc"] == ["query", "since"]


def test_contacts_reported_by_the_crm_count_against_the_pressure_cap_at_once(
    client: TestClient, served_home: Served
) -> None:
    records = _records(served_home)
    cid = next(
        cid
        for cid, r in sorted(records.items())
        if r["consent"].get(PROFILING) and r["consent"].get("email_marketing")
    )
    site, crm = served_home.headers("site"), served_home.headers("crm")
    before = client.post("/retargeting/score", json={"customer_id": cid}, headers=site).json()
    assert "contacts in" not in before["follow_up"]["reason"]
    sent = [
        {"contact_id": "K-test-1", "customer_id": cid, "channel": "email"},
        {"contact_id": "K-test-2", "customer_id": cid, "channel": "sms"},
    ]
    assert client.post("/contacts", json={"contacts": sent}, headers=site).status_code == 403
    answer = client.post(
        "/contacts",
        json={"contacts": [*sent, {**sent[0], "contact_id": "K-test-3", "customer_id": "C999999"}]},
        headers=crm,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"applied": 2, "unknown_customers": ["C999999"]}
    after = client.post("/retargeting/score", json={"customer_id": cid}, headers=site).json()
    assert after["follow_up"]["allowed"] is False
    assert after["follow_up"]["reason"].endswith("contacts in 7 days (cap 2)")
    again = client.post("/contacts", json={"contacts": sent}, headers=crm)  # a retried report
    assert again.json()["applied"] == 2
    retried = client.post("/retargeting/score", json={"customer_id": cid}, headers=site).json()
    assert retried["follow_up"]["reason"] == after["follow_up"]["reason"]  # counted once
    entries = AuditTrail(served_home.settings.audit_log).query(target=cid, action="record_contacts")
    assert entries and entries[-1]["actor"] == "api:crm"
    # a send dated in the future counts from now, so it leaves the window like the others
    future = {
        "contact_id": "K-test-5",
        "customer_id": cid,
        "channel": "sms",
        "sent_at": "2099-01-01T00:00:00",
    }
    client.post("/contacts", json={"contacts": [future]}, headers=crm)
    stored = _records(served_home)[cid]["reported_contacts"]
    assert stored["K-test-5"] == clock.now_datetime().isoformat(timespec="seconds")
    assert {"K-test-1", "K-test-2"} <= stored.keys()
    bad_contact = {"contact_id": "K-test-4", "customer_id": cid, "channel": "fax"}
    bad = client.post("/contacts", json={"contacts": [bad_contact]}, headers=crm)
    assert bad.status_code == 400 and "channel" in bad.text
