"""API keys with scopes, checked by an ASGI middleware before any endpoint runs.

Keys live in a YAML file as SHA-256 hashes (a key is a long random token, so a plain hash is enough and a
leaked file reveals no key). The plain key is shown once, when ``cible keys create`` makes it; it is read
from the ``Authorization: Bearer`` or ``X-API-Key`` header only, never from the URL, so access logs
cannot hold it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from features.errors import CibleError

SCOPES = ("site", "crm", "admin")
KEYS_ENV = "CIBLE_API_KEYS"
MAX_BODY_BYTES = 2_000_000  # 1,000 events of a few hundred bytes each, with room to spare

# Which scope each route needs. Paths not listed and not public need a valid key of any scope.
PUBLIC = frozenset({"/healthz", "/livez", "/readyz", "/metrics", "/", "/docs.json", "/schema.json"})
PUBLIC_PREFIXES = ("/static_content/", "/assets/")
PAGE_PREFIX = "/page"
SITE_ROUTES = frozenset({"/recommend", "/similar_items", "/bought_together", "/retargeting/score", "/events"})
# Bodies BentoML would parse as forms (a malformed one raises inside BentoML and becomes a 500) or pickles:
# every endpoint takes JSON, so these are refused up front (but by the page, whose forms Starlette parses).
NOT_JSON = ("multipart/", "application/x-www-form-urlencoded", "application/vnd.bentoml+pickle")
# consent is collected on the site (forms) and by advisers (the CRM): either scope may record it
SITE_OR_CRM_ROUTES = frozenset({"/consents"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class KeyFileError(CibleError, ValueError):
    pass


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    sha256: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class ApiKeys:
    by_hash: dict[str, ApiKey]

    @classmethod
    def load(cls, path: Path) -> ApiKeys:
        if not path.exists():
            return cls({})
        try:
            entries = (yaml.safe_load(path.read_text()) or {}).get("keys") or []
        except yaml.YAMLError as exc:
            raise KeyFileError(f"{path}: not valid YAML ({exc})") from exc
        keys: dict[str, ApiKey] = {}
        for n, entry in enumerate(entries, start=1):
            scopes = frozenset(entry.get("scopes") or ())
            digest = str(entry.get("sha256", ""))
            if not entry.get("id") or len(digest) != 64 or not scopes <= set(SCOPES) or not scopes:
                raise KeyFileError(
                    f"{path}: key #{n} needs an id, a 64-hex sha256 and scopes among {', '.join(SCOPES)}"
                )
            keys[digest] = ApiKey(str(entry["id"]), digest, scopes)
        return cls(keys)

    def find(self, presented: str) -> ApiKey | None:
        key = self.by_hash.get(hash_key(presented))
        # the dict lookup already matched; compare_digest keeps the final check constant-time
        return key if key is not None and hmac.compare_digest(key.sha256, hash_key(presented)) else None


def keys_path(home: Path) -> Path:
    return Path(os.environ[KEYS_ENV]) if os.environ.get(KEYS_ENV) else home / "api_keys.yaml"


def create_key(path: Path, key_id: str, scopes: Iterable[str]) -> str:
    """Add a key to the file (replacing one of the same id) and return it: the only time it is shown."""
    wanted = sorted(set(scopes))
    if not wanted or not set(wanted) <= set(SCOPES):
        raise KeyFileError(f"scopes must be among {', '.join(SCOPES)}, got {', '.join(wanted) or 'none'}")
    entries = []
    if path.exists():
        entries = [e for e in (yaml.safe_load(path.read_text()) or {}).get("keys") or [] if e["id"] != key_id]
    key = f"cible_{secrets.token_urlsafe(32)}"
    entries.append({"id": key_id, "sha256": hash_key(key), "scopes": wanted})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump({"keys": entries}, sort_keys=False))
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


def is_page(path: str) -> bool:
    """The marketers' page checks its own session cookie (a key is typed once, at sign-in)."""
    return path in ("/", "/favicon.ico", PAGE_PREFIX) or path.startswith(PAGE_PREFIX + "/")


def required_scope(method: str, path: str) -> str | None:
    """The scope a request needs ("site|crm": either); None for public routes and the page."""
    if path in PUBLIC or path.startswith(PUBLIC_PREFIXES) or is_page(path):
        return None
    if path in SITE_ROUTES:
        return "site"
    if path in SITE_OR_CRM_ROUTES:
        return "site|crm"
    if path.startswith("/admin/") or (method == "DELETE" and path.startswith("/customers/")):
        return "admin"
    if path.startswith("/customers/") and path.endswith("/export"):
        return "admin"
    if path.startswith(("/customers/", "/segments", "/campaigns/")) or path == "/contacts":
        return "crm"
    return "any"


def _presented_key(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].decode("latin-1").strip()
        if name == b"x-api-key":
            return value.decode("latin-1").strip()
    return None


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


async def reply(send: Send, status: int, body: dict[str, Any], headers: list | None = None) -> None:
    payload = json.dumps(body).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head + (headers or [])})
    await send({"type": "http.response.body", "body": payload})


class ApiKeyMiddleware:
    """401 without a valid key, 403 with a key lacking the scope, 413 for a body over the limit. The key id
    is left in ``scope["cible.key_id"]`` for the audit log; the key itself goes nowhere."""

    def __init__(self, app: ASGIApp, keys: Callable[[], ApiKeys], max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.keys = keys
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        needed = required_scope(scope["method"], scope["path"])
        if needed is not None:
            presented = _presented_key(scope)
            if not presented:
                return await reply(
                    send, 401, {"error": "an API key is required"}, [(b"www-authenticate", b"Bearer")]
                )
            key = self.keys().find(presented)
            if key is None:
                return await reply(
                    send, 401, {"error": "unknown API key"}, [(b"www-authenticate", b"Bearer")]
                )
            if needed != "any" and not key.scopes & set(needed.split("|")):
                return await reply(send, 403, {"error": f"this key lacks the {needed!r} scope"})
            scope["cible.key_id"] = key.key_id
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            if _content_type(scope).startswith(NOT_JSON) and not is_page(scope["path"]):
                return await reply(send, 415, {"error": "send the request body as application/json"})
            declared = _content_length(scope)
            if declared is not None and declared > self.max_body:
                return await reply(send, 413, {"error": f"request body over {self.max_body} bytes"})
            if declared is None:  # chunked: counted as it comes, before the endpoint parses anything
                body = await self._read_body(receive)
                if body is None:
                    return await reply(send, 413, {"error": f"request body over {self.max_body} bytes"})
                receive = _replay(body, receive)
            # with a Content-Length the server reads exactly that many bytes: nothing to count
        return await self.app(scope, receive, send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None past the limit: checked before the endpoint parses anything."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    """The declared body size, or None when the server will not hold the body to it: no header, or a
    chunked body (HTTP servers let Transfer-Encoding win over Content-Length)."""
    declared = None
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                return None
    return declared


def _replay(body: bytes, then: Receive) -> Receive:
    """The buffered body first, then the real channel (a later call waits for the client's disconnect)."""
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive
