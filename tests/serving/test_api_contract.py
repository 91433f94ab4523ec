"""What issue 14's Schemathesis run found against `make run`'s service, each pinned by a test that failed
before: a 500 for a `since` after the last snapshot, 400 bodies out of the documented error schema on every
POST endpoint, undocumented 404s and CSV content type, answers the document did not allow."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from serving.schemas import ApiError
from tests.serving.conftest import Served

POSTS = {
    "/recommend": "site",
    "/similar_items": "site",
    "/bought_together": "site",
    "/retargeting/score": "site",
    "/events": "site",
    "/consents": "crm",
    "/contacts": "crm",
}


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict:
    return client.get("/docs.json").json()


def _segment(client: TestClient, served: Served) -> str:
    return client.get("/segments", headers=served.headers("crm")).json()[0]["name"]


def test_changes_since_a_date_after_the_last_snapshot(client: TestClient, served_home: Served) -> None:
    # the empty list of moves selected no column of the frame, and a KeyError made a 500
    name = _segment(client, served_home)
    crm = served_home.headers("crm")
    answer = client.get(f"/segments/{name}/changes", params={"since": "2041-03-22"}, headers=crm)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["entered"] == [] and body["exited"] == [] and body["removed_for_consent"] == 0
    assert body["since"] == body["until"] and body["until"].startswith(f"{served_home.as_of:%Y-%m-%d}")


@pytest.mark.parametrize("since", ["9999-12-31", "1970-01-01", "2100-01-02"])
def test_changes_since_a_date_out_of_range_is_refused(
    client: TestClient, served_home: Served, since: str
) -> None:
    # 9999-12-31 is past pandas' last date: an OutOfBoundsDatetime, a 500
    name = _segment(client, served_home)
    answer = client.get(
        f"/segments/{name}/changes", params={"since": since}, headers=served_home.headers("crm")
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == [
        {
            "loc": ["query", "since"],
            "msg": "Value error, must be between 2000-01-01 and 2100-01-01",
            "type": "value_error",
        }
    ]


@pytest.mark.parametrize("path", sorted(POSTS))
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", None),  # BentoML answered a one-item list
        (b'{"k": "five", "events": "none", "changes": 1, "contacts": 1}', "detail"),
    ],
)
def test_every_post_endpoint_refuses_in_the_documented_shape(
    client: TestClient, served_home: Served, path: str, body: bytes, problem: str | None
) -> None:
    headers = {**served_home.headers(POSTS[path]), "content-type": "application/json"}
    answer = client.post(path, content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    refusal = ApiError.model_validate(answer.json())  # extra keys or a list would fail here
    assert refusal.error
    if problem:
        assert refusal.detail and all(p.loc and p.msg and p.type for p in refusal.detail)


def test_an_unknown_route_and_method_answer_json(client: TestClient, served_home: Served) -> None:
    crm = served_home.headers("crm")
    assert client.get("/nowhere", headers=crm).json() == {"error": "Not Found"}
    wrong = client.put(f"/segments/{_segment(client, served_home)}/members", headers=crm)
    assert wrong.status_code == 405 and wrong.json() == {"error": "Method Not Allowed"}


def test_the_document_declares_what_each_route_answers(document: dict) -> None:
    paths = document["paths"]
    for path in ("/customers/{customer_id}", "/customers/{customer_id}/export", "/segments/{name}/members"):
        assert "404" in paths[path]["get"]["responses"], path
    csv = paths["/segments/{name}/members.csv"]["get"]["responses"]["200"]["content"]
    assert list(csv) == ["text/csv"]
    for path, item in paths.items():
        for method, operation in item.items():
            answers = operation["responses"]
            assert "422" not in answers and "500" not in answers, (method, path)
            for code, answer in answers.items():
                if code >= "400" and path != "/readyz":
                    assert answer["content"] == {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}
                    }, (method, path, code)
            public = operation["security"] == []
            assert public == (path in ("/healthz", "/livez", "/readyz", "/metrics")), path
            if not public:
                assert {"401", "403"} <= set(answers), (method, path)


def test_an_answer_without_offer_is_one_the_document_allows(document: dict) -> None:
    # BentoML documented `next_best_offer: Offer | None` as an Offer only (it keeps the first branch)
    answer = document["paths"]["/recommend"]["post"]["responses"]["200"]["content"]["application/json"]
    offer = answer["schema"]["properties"]["next_best_offer"]
    assert offer == {"anyOf": [{"$ref": "#/components/schemas/Offer"}, {"type": "null"}]}


def test_a_request_body_the_endpoint_needs_is_required(document: dict) -> None:
    paths = document["paths"]
    assert paths["/similar_items"]["post"]["requestBody"]["required"] is True  # sku
    assert paths["/retargeting/score"]["post"]["requestBody"]["required"] is True  # a customer or visitor
    assert "required" not in paths["/recommend"]["post"]["requestBody"]  # popular items for anyone
