"""The service keeps times as the data contract does, the retailer's local wall time without a zone: an
aware time posted to it (events, consents, contacts) is converted to Europe/Paris, across daylight-saving
changes; a naive one is taken as already local; "now" is the pinned clock, not the machine's UTC time."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from features import clock
from features import columns as c
from features.consent_gate import CHANNEL_PURPOSE
from features.online_store.factory import open_store
from features.privacy.rules import PrivacyRules
from tests.serving.conftest import Served

SMS = CHANNEL_PURPOSE["sms"]
# 01:30 UTC on the spring-forward day is 03:30 in Paris (02:00-03:00 does not exist there that night)
SPRING = ("2026-03-29T01:30:00Z", "2026-03-29T10:30:00+09:00", "2026-03-29T03:30:00")
# 01:30 UTC on the fall-back day is 02:30 in Paris, winter time (UTC+1)
AUTUMN = ("2026-10-25T01:30:00Z", "2026-10-25T10:30:00+09:00", "2026-10-25T02:30:00")


def _event(event_id: str, visitor: str, occurred_at: str) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "visitor_id": visitor,
        "session_id": f"S-{visitor}",
        "type": "page_view",
        "device": "mobile",
    }


@pytest.mark.parametrize(
    ("n", "given"), list(enumerate([*SPRING[:2], SPRING[2], "2026-03-28T21:30:00.000-04:00"]))
)
def test_an_event_posted_with_an_offset_is_stored_at_the_paris_wall_time(
    client: TestClient, served_home: Served, n: int, given: str
) -> None:
    visitor = f"V-local-{n}"
    body = {"events": [_event(f"{visitor}-1", visitor, given)]}
    answer = client.post("/events", json=body, headers=served_home.headers("site"))
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    store = open_store(served_home.settings)
    try:
        (stored,) = store.recent_events(visitor, None, 10)
    finally:
        store.close()
    assert stored[c.OCCURRED_AT] == SPRING[2]  # naive, local: what the `events` table would hold


def test_consents_and_contacts_with_offsets_are_recorded_in_local_time(
    client: TestClient, served_home: Served
) -> None:
    store = open_store(served_home.settings)
    try:
        records = store.get_many(served_home.dataset.customers[c.CUSTOMER_ID])
        # a customer no other test touches, whose SMS consent is already withdrawn: recording the
        # withdrawal again changes nothing another test could see
        cid = next(cid for cid, r in sorted(records.items(), reverse=True) if not r["consent"].get(SMS))
        withdrawals = [
            {"customer_id": cid, "purpose": SMS, "granted": False, "source": "phone_call", "recorded_at": t}
            for t in AUTUMN[:2]
        ]
        crm = served_home.headers("crm")
        answer = client.post("/consents", json={"changes": withdrawals}, headers=crm)
        assert answer.json() == {"applied": 2, "unknown_customers": []}
        ledger = PrivacyRules.from_settings(served_home.settings).consent_updates.frame()
        mine = ledger[ledger[c.CUSTOMER_ID] == cid]
        assert [t.isoformat() for t in mine[c.RECORDED_AT]] == [AUTUMN[2], AUTUMN[2]]

        # 8 days before the pinned now: kept in the record (31 days), outside the 7-day pressure window
        sent = [
            {"contact_id": f"K-local-{n}", "customer_id": cid, "channel": "email", "sent_at": t}
            for n, t in enumerate(AUTUMN[:2])
        ]
        assert client.post("/contacts", json={"contacts": sent}, headers=crm).json()["applied"] == 2
        assert store.get(cid)["reported_contacts"] == {"K-local-0": AUTUMN[2], "K-local-1": AUTUMN[2]}
    finally:
        store.close()


def test_a_consent_without_a_time_is_stamped_with_the_clock_in_local_time(
    client: TestClient, served_home: Served
) -> None:
    store = open_store(served_home.settings)
    try:
        records = store.get_many(served_home.dataset.customers[c.CUSTOMER_ID])
    finally:
        store.close()
    cid = [cid for cid, r in sorted(records.items(), reverse=True) if not r["consent"].get(SMS)][1]
    change = {"customer_id": cid, "purpose": SMS, "granted": False, "source": "phone_call"}
    answer = client.post("/consents", json={"changes": [change]}, headers=served_home.headers("crm"))
    assert answer.json() == {"applied": 1, "unknown_customers": []}
    ledger = PrivacyRules.from_settings(served_home.settings).consent_updates.frame()
    assert list(ledger.loc[ledger[c.CUSTOMER_ID] == cid, c.RECORDED_AT]) == [clock.now()]


def test_the_openapi_document_says_how_times_are_read(client: TestClient) -> None:
    schemas = client.get("/docs.json").json()["components"]["schemas"]
    described = {
        field: prop.get("description", "")
        for schema in schemas.values()
        for field, prop in schema.get("properties", {}).items()
        if field in ("occurred_at", "recorded_at", "sent_at")
    }
    assert set(described) == {"occurred_at", "recorded_at", "sent_at"}
    for field, description in described.items():
        assert "Europe/Paris" in description and "without one it is taken as" in description, field
