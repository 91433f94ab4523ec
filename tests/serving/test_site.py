"""Site endpoints through the service's ASGI app: keys and scopes, recommendations for customers and
visitors, events that change the next answer, related items, retargeting, validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from features import clock
from features import columns as c
from features.consent_gate import PROFILING
from features.online_store.factory import open_store
from features.vocab import NON_PRODUCT_CATEGORY
from tests.serving.conftest import Served


def _customer_with_history(served: Served, profiled: bool = True) -> str:
    store = open_store(served.settings)
    try:
        for cid in sorted(served.dataset.customers[c.CUSTOMER_ID]):
            record = store.get(cid)
            if not record or bool(record["consent"].get(PROFILING)) != profiled:
                continue
            if not profiled or (record["history"] and record["history"]["items"]):
                return cid
    finally:
        store.close()
    raise AssertionError("no such customer in the small shop")


def _event(n: int, kind: str, sku: str | None, visitor: str, customer: str | None = None) -> dict:
    when = clock.now_datetime() - timedelta(minutes=5) + timedelta(seconds=n)
    return {
        "event_id": f"test-{visitor}-{n}",
        "occurred_at": when.isoformat(timespec="seconds"),
        "visitor_id": visitor,
        "customer_id": customer,
        "session_id": f"S-{visitor}",
        "type": kind,
        "sku": sku,
        "device": "mobile",
        "source": "google",
    }


def test_keys_and_scopes(client: TestClient, served_home: Served) -> None:
    body = {"visitor_id": "V-auth", "k": 3}
    assert client.post("/recommend", json=body).status_code == 401
    assert client.post("/recommend", json=body, headers={"X-API-Key": "cible_not-a-key"}).status_code == 401
    assert client.post("/recommend", json=body, headers=served_home.headers("crm")).status_code == 403
    assert client.post("/recommend", json=body, headers=served_home.headers("site")).status_code == 200
    assert client.get("/customers/C000001", headers=served_home.headers("site")).status_code == 403
    assert client.post("/admin/reload", json={}, headers=served_home.headers("crm")).status_code == 403
    assert client.get("/healthz").status_code == 200  # /metrics needs the real server: see test_real_server


def test_readyz_names_the_live_versions(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    detail = answer.json()
    assert detail["ready"] is True
    assert detail["models"]["recommender"]["version"] is not None
    assert detail["models"]["intent"]["version"] is not None
    assert "segments" in detail["batch_models"]


def test_known_customer_gets_k_personal_items_with_reasons(client: TestClient, served_home: Served) -> None:
    cid = _customer_with_history(served_home)
    answer = client.post("/recommend", json={"customer_id": cid, "k": 8}, headers=served_home.headers("site"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    skus = [item["sku"] for item in body["items"]]
    assert body["personal"] is True and len(skus) == 8 == len(set(skus))
    assert all(item["reason"] and item["source"] for item in body["items"])
    assert body["model_version"]


@pytest.mark.parametrize("who", [{"customer_id": "C999999"}, {"visitor_id": "V-new"}, {}])
def test_unknown_people_get_k_items_never_an_error(client: TestClient, served_home: Served, who) -> None:
    answer = client.post("/recommend", json={**who, "k": 12}, headers=served_home.headers("site"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["personal"] is False and len(body["items"]) == 12


def test_refused_profiling_gets_the_non_personal_answer(client: TestClient, served_home: Served) -> None:
    cid = _customer_with_history(served_home, profiled=False)
    site = served_home.headers("site")
    body = client.post("/recommend", json={"customer_id": cid, "k": 6}, headers=site).json()
    anonymous = client.post("/recommend", json={"visitor_id": "V-anon-ref", "k": 6}, headers=site).json()
    assert body["personal"] is False and body["next_best_offer"] is None
    assert [i["sku"] for i in body["items"]] == [i["sku"] for i in anonymous["items"]]


def test_a_purchase_posted_to_events_leaves_the_very_next_answer(
    client: TestClient, served_home: Served
) -> None:
    cid = _customer_with_history(served_home)
    site = served_home.headers("site")
    first = client.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
    bought = first["items"][0]["sku"]
    posted = client.post(
        "/events", json={"events": [_event(1, "purchase", bought, "V-buy", cid)]}, headers=site
    )
    assert posted.status_code == 200 and posted.json() == {"received": 1, "stored": 1}
    after = client.post("/recommend", json={"customer_id": cid, "k": 5}, headers=site).json()
    assert bought not in [item["sku"] for item in after["items"]] and len(after["items"]) == 5


def test_a_cart_add_changes_the_visitor_s_next_answer(client: TestClient, served_home: Served) -> None:
    site = served_home.headers("site")
    before = client.post("/recommend", json={"visitor_id": "V-cart", "k": 5}, headers=site).json()
    popular = before["items"][0]["sku"]
    sku = next(s for s in sorted(served_home.dataset.products[c.SKU]) if s != popular)
    together = client.post("/bought_together", json={"sku": sku, "k": 5}, headers=site).json()["items"]
    assert together, "the small shop has co-purchases for its first products"
    client.post("/events", json={"events": [_event(1, "add_to_cart", sku, "V-cart")]}, headers=site)
    after = client.post("/recommend", json={"visitor_id": "V-cart", "k": 5}, headers=site).json()
    assert after["items"] != before["items"]
    assert sku not in [item["sku"] for item in after["items"]]  # what is in the cart is not offered again
    assert any(item["source"] == "context" for item in after["items"])


def test_events_are_idempotent_and_bounded(client: TestClient, served_home: Served) -> None:
    site = served_home.headers("site")
    batch = {"events": [_event(i, "product_view", None, "V-idem") for i in range(3)]}
    assert client.post("/events", json=batch, headers=site).json() == {"received": 3, "stored": 3}
    assert client.post("/events", json=batch, headers=site).json() == {"received": 3, "stored": 0}
    too_many = {"events": [_event(i, "page_view", None, "V-big") for i in range(1001)]}
    assert client.post("/events", json=too_many, headers=site).status_code == 400


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/recommend", {"visitor_id": "V1", "k": 0}, "k"),
        ("/recommend", {"visitor_id": "V1", "k": 101}, "k"),
        ("/recommend", {"customer_id": "x" * 65}, "customer_id"),
        ("/events", {"events": [{**_event(1, "product_view", "S1", "V1"), "type": "teleport"}]}, "type"),
        ("/events", {"events": [{**_event(1, "product_view", "S1", "V1"), "device": "toaster"}]}, "device"),
        ("/similar_items", {"k": 5}, "sku"),
    ],
)
def test_bad_input_gets_400_naming_the_field(
    client: TestClient, served_home: Served, path, body, field
) -> None:
    answer = client.post(path, json=body, headers=served_home.headers("site"))
    assert answer.status_code == 400, answer.text
    assert field in answer.text


def test_body_over_the_limit_is_refused_before_parsing(client: TestClient, served_home: Served) -> None:
    answer = client.post(
        "/events", content=b"[" + b" " * 3_000_000 + b"]", headers=served_home.headers("site")
    )
    assert answer.status_code == 413


def test_related_items(client: TestClient, served_home: Served) -> None:
    site = served_home.headers("site")
    sku = served_home.dataset.orders[c.SKU].value_counts().index[0]
    for path in ("/similar_items", "/bought_together"):
        body = client.post(path, json={"sku": sku, "k": 4}, headers=site).json()
        skus = [item["sku"] for item in body["items"]]
        assert 0 < len(skus) <= 4 and sku not in skus
    unknown = client.post("/similar_items", json={"sku": "NOPE", "k": 4}, headers=site)
    assert unknown.status_code == 200 and unknown.json()["items"] == []


def test_retargeting_score_for_a_cart_abandoner(client: TestClient, served_home: Served) -> None:
    cid = _customer_with_history(served_home)
    sku = sorted(served_home.dataset.products[c.SKU])[3]
    events = [_event(i, kind, sku, "V-rt", cid) for i, kind in enumerate(["product_view", "add_to_cart"])]
    site = served_home.headers("site")
    body = {"customer_id": cid, "events": events, "explain": True}
    answer = client.post("/retargeting/score", json=body, headers=site)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert 0.0 <= body["intent_probability"] <= 1.0 and body["reasons"]
    assert set(body["follow_up"]) == {"allowed", "reason", "channel", "send_at"}
    if body["follow_up"]["allowed"]:
        assert body["follow_up"]["channel"] is not None
    cold = client.post("/retargeting/score", json={"visitor_id": "V-cold"}, headers=site).json()
    assert cold["intent_probability"] < body["intent_probability"]
    assert cold["reasons"] == []  # reasons only when asked: an ad bid does not read them
    assert client.post("/retargeting/score", json={}, headers=site).status_code == 400


def _in_stock_skus(served: Served, n: int) -> list[str]:
    products = served.dataset.products
    shown = products[products[c.IN_STOCK] & (products[c.CATEGORY] != NON_PRODUCT_CATEGORY)]
    return sorted(shown[c.SKU])[:n]


def test_a_follow_up_shows_the_cart_then_wishes_and_views(client: TestClient, served_home: Served) -> None:
    carted, wished, viewed = _in_stock_skus(served_home, 3)
    kinds = [("product_view", viewed), ("wishlist_add", wished), ("add_to_cart", carted)]
    events = [_event(i, kind, sku, "V-follow") for i, (kind, sku) in enumerate(kinds)]
    site = served_home.headers("site")
    body = client.post("/retargeting/score", json={"visitor_id": "V-follow", "events": events}, headers=site)
    items = body.json()["items"]
    assert [(i["sku"], i["source"]) for i in items[:3]] == [
        (carted, "cart"),
        (wished, "wishlist"),
        (viewed, "viewed"),
    ]
    assert len(items) == 5 and len({i["sku"] for i in items}) == 5  # the default k, filled with popular
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    # bought since: neither in the cart any more nor shown again
    bought = [*events, _event(9, "purchase", carted, "V-follow")]
    body = client.post("/retargeting/score", json={"visitor_id": "V-follow", "events": bought}, headers=site)
    assert carted not in [i["sku"] for i in body.json()["items"]]


def test_a_follow_up_shows_what_the_batch_recommended_to_a_customer(
    client: TestClient, served_home: Served
) -> None:
    cid = _customer_with_history(served_home)
    store = open_store(served_home.settings)
    try:
        top_items = store.get(cid)["scores"]["top_items"].split(",")
    finally:
        store.close()
    body = client.post(
        "/retargeting/score", json={"customer_id": cid, "k": 20}, headers=served_home.headers("site")
    )
    items = body.json()["items"]
    recommended = [i["sku"] for i in items if i["source"] == "recommended"]
    assert recommended and recommended == [sku for sku in top_items if sku in recommended]
    sources = [i["source"] for i in items]
    assert sources.index("recommended") > max(
        (j for j, src in enumerate(sources) if src in ("cart", "wishlist", "viewed")), default=-1
    )
