"""``/readyz`` with the live version of each model, answered before BentoML's own plain-text probe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serving.auth import ASGIApp, Receive, Scope, Send, reply

Status = Callable[[], tuple[bool, dict[str, Any]]]


class ReadinessMiddleware:
    def __init__(self, app: ASGIApp, status: Callable[[], Status | None]) -> None:
        self.app = app
        self.status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = self.status()
        probe = scope["type"] == "http" and scope["path"] == "/readyz" and scope["method"] in ("GET", "HEAD")
        if probe and status is not None:
            ready, detail = status()
            return await reply(send, 200 if ready else 503, {"ready": ready, **detail})
        return await self.app(scope, receive, send)
