"""Every 4xx and 5xx answer in one JSON shape (:class:`serving.schemas.ApiError`), whichever layer refused.

BentoML's own refusals come in three shapes (its exceptions as a one-item list, pydantic's error list
under ``detail`` beside ``error``, its router's plain-text 404 and 405), FastAPI's in two more (``detail``
as a string, or as a list with status 422). Clients and the OpenAPI document get one shape and 400 for
any refused field. The marketers' page (``serving.auth.is_page``) keeps its HTML answers.
Only error answers are buffered and rewritten: a 2xx passes through untouched.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from serving.auth import ASGIApp, Receive, Scope, Send, is_page

JSON = b"application/json"


def error_body(status: int, content_type: bytes, raw: bytes) -> tuple[int, dict[str, Any]]:
    """The status to answer and the :class:`ApiError` body for an error answer as a layer wrote it."""
    parsed: Any = None
    if content_type.startswith(JSON):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
    if isinstance(parsed, list) and len(parsed) == 1 and isinstance(parsed[0], dict):
        parsed = parsed[0]  # BentoML 1.4 wraps its exceptions' message in a tuple
    try:
        fallback = HTTPStatus(status).phrase
    except ValueError:  # a status outside the standard list
        fallback = "Error"
    if not isinstance(parsed, dict):
        text = raw.decode("utf-8", errors="replace").strip() if raw else ""
        return status, {"error": text[:500] or fallback}
    problems = parsed.get("detail")
    message = parsed.get("error")
    if not isinstance(message, str):
        message = problems if isinstance(problems, str) else fallback
    if not isinstance(problems, list):
        return status, {"error": message}
    detail = [_problem(p) for p in problems if isinstance(p, dict)]
    if status == 422:  # FastAPI's refused parameter: the same 400 the BentoML endpoints answer
        status = 400
    if "error" not in parsed:
        message = f"{len(detail)} invalid field{'s' if len(detail) != 1 else ''}: " + "; ".join(
            f"{'.'.join(str(part) for part in p['loc'])}: {p['msg']}" for p in detail
        )
    return status, {"error": message, "detail": detail}


def _problem(item: dict[str, Any]) -> dict[str, Any]:
    loc = item.get("loc") or []
    return {
        "loc": [part if isinstance(part, int) else str(part) for part in loc],
        "msg": str(item.get("msg", "")),
        "type": str(item.get("type", "")),
    }


class ErrorBodyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_page(scope["path"]):  # the page answers people, in HTML
            return await self.app(scope, receive, send)
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Any) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] >= 400:
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            headers = start.get("headers") or []
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            status, body = error_body(start["status"], content_type.lower(), b"".join(chunks))
            payload = json.dumps(body).encode()
            kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length")]
            head = [(b"content-type", JSON), (b"content-length", str(len(payload)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": head + kept})
            await send({"type": "http.response.body", "body": payload})

        await self.app(scope, receive, rewrite)
