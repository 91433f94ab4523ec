"""The body limit holds whatever the framing: a chunked body is counted even beside a small Content-Length."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from serving.auth import ApiKey, ApiKeyMiddleware, ApiKeys, hash_key

KEYS = ApiKeys({hash_key("k"): ApiKey("test", hash_key("k"), frozenset({"site"}))})


async def _call(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """(status, bytes the app read) of one POST to /events through the middleware, with a site key."""
    read = 0

    async def app(scope: dict, receive: Any, send: Any) -> None:
        nonlocal read
        while True:
            message = await receive()
            read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    middleware = ApiKeyMiddleware(app, lambda: KEYS, max_body=1000)
    scope = {"type": "http", "method": "POST", "path": "/events", "headers": headers}
    await middleware(scope, receive, send)
    return sent[0]["status"], read


@pytest.mark.parametrize(
    ("headers", "chunks", "status"),
    [
        ([(b"content-length", b"10")], [b"x" * 10], 200),  # declared and small: passed through
        ([(b"content-length", b"5000")], [b"x" * 5000], 413),  # declared too big: refused unread
        ([(b"transfer-encoding", b"chunked")], [b"x" * 600, b"x" * 600], 413),  # counted as it comes
        # a small Content-Length beside a chunked body: the server reads the chunks, so they are counted
        ([(b"content-length", b"10"), (b"transfer-encoding", b"chunked")], [b"x" * 600, b"x" * 600], 413),
    ],
)
def test_the_body_limit_whatever_the_framing(headers: list, chunks: list[bytes], status: int) -> None:
    got, read = asyncio.run(_call([(b"x-api-key", b"k"), *headers], chunks))
    assert got == status
    assert read == (sum(map(len, chunks)) if status == 200 else 0)  # refused before the endpoint reads
