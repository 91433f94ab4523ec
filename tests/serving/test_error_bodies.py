"""Every layer's refusal rewritten into the one documented error body (no service needed)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from serving.error_bodies import ErrorBodyMiddleware, error_body
from serving.schemas import ApiError

JSON = b"application/json"


def test_bentoml_exceptions_come_as_a_one_item_list() -> None:
    raw = json.dumps([{"error": "Invalid JSON input received: Expecting value"}]).encode()
    assert error_body(400, JSON, raw) == (400, {"error": "Invalid JSON input received: Expecting value"})


def test_bentoml_validation_errors_keep_where_and_why_only() -> None:
    raw = json.dumps(
        {
            "error": "1 validation error for Input",
            "detail": [
                {"type": "missing", "loc": ["events", 0, "device"], "msg": "Field required", "url": "u"}
            ],
        }
    ).encode()
    status, body = error_body(400, JSON, raw)
    assert status == 400
    assert body == {
        "error": "1 validation error for Input",
        "detail": [{"loc": ["events", 0, "device"], "msg": "Field required", "type": "missing"}],
    }
    ApiError.model_validate(body)


def test_fastapi_refused_parameters_become_a_400_naming_them() -> None:
    raw = json.dumps(
        {
            "detail": [
                {"type": "literal_error", "loc": ["query", "channel"], "msg": "Input should be 'email'"},
                {"type": "int_parsing", "loc": ["query", "page"], "msg": "Input should be a valid integer"},
            ]
        }
    ).encode()
    status, body = error_body(422, JSON, raw)
    assert status == 400
    assert body["error"] == (
        "2 invalid fields: query.channel: Input should be 'email'; "
        "query.page: Input should be a valid integer"
    )
    assert [p["loc"] for p in body["detail"]] == [["query", "channel"], ["query", "page"]]


def test_fastapi_http_exceptions_and_plain_text_routers() -> None:
    assert error_body(404, JSON, b'{"detail": "no customer \'C9\' in the online store"}') == (
        404,
        {"error": "no customer 'C9' in the online store"},
    )
    assert error_body(405, b"text/plain; charset=utf-8", b"Method Not Allowed") == (
        405,
        {"error": "Method Not Allowed"},
    )
    assert error_body(404, b"text/plain", b"") == (404, {"error": "Not Found"})
    assert error_body(500, JSON, b"{not json") == (500, {"error": "{not json"})


def _run(app: Any) -> tuple[list[dict], bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(ErrorBodyMiddleware(app)({"type": "http", "method": "GET", "path": "/x"}, receive, send))
    return sent, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_middleware_rewrites_error_answers_sent_in_pieces_and_leaves_others_alone() -> None:
    async def refusing(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 422, "headers": [(b"content-type", JSON)]})
        await send(
            {"type": "http.response.body", "body": b'{"detail": [{"loc": ["query", "k"], ', "more_body": True}
        )
        await send({"type": "http.response.body", "body": b'"msg": "bad", "type": "t"}]}'})

    sent, body = _run(refusing)
    assert sent[0]["status"] == 400 and dict(sent[0]["headers"])[b"content-length"] == str(len(body)).encode()
    assert json.loads(body) == {
        "error": "1 invalid field: query.k: bad",
        "detail": [{"loc": ["query", "k"], "msg": "bad", "type": "t"}],
    }

    async def answering(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]}
        )
        await send({"type": "http.response.body", "body": b"customer_id\nC1\n"})

    sent, body = _run(answering)
    assert sent[0]["status"] == 200 and sent[0]["headers"] == [(b"content-type", b"text/csv")]
    assert body == b"customer_id\nC1\n"
