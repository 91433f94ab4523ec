"""Sign-in sessions of the marketers' page: a signed cookie naming the API key id (never the key), its
scopes and an expiry, with a CSRF token derived from the session.

The cookie is signed with a secret kept in the Cible home (created once, 0600), so every worker of the
service accepts the sessions the others issued. A session holds only while its key still exists with a
page scope: revoking the key ends the sessions made with it at their next request. Signing out is written
to the home too, so the cookie is refused by every worker and replica, not only the one that signed out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE = "cible_session"
PRE_COOKIE = "cible_signin"  # double-submit token guarding the sign-in form itself
PAGE_SCOPES = frozenset({"crm", "admin"})
SESSION_SECONDS = 8 * 3600  # a working day
SECRET_FILE = "page_secret"
SIGNED_OUT_FILE = "page_signed_out"


def load_secret(home: Path) -> bytes:
    """The home's signing secret, created on first use (exclusive create: two workers cannot race)."""
    path = home / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


@dataclass(frozen=True)
class Session:
    sid: str
    key_id: str
    scopes: frozenset[str]
    expires: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedOut:
    """Sessions signed out before they expire: one line each (id, expiry) appended to a file that every
    worker and replica sharing the home reads, reread only when its size or time changes (one stat per
    signed-in request). A line is ~40 bytes per sign-out; its expiry says when it can be pruned."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._ended: frozenset[str] = frozenset()

    def add(self, session: Session) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one O_APPEND write of one short line: concurrent workers never interleave
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, f"{session.sid} {session.expires:.0f}\n".encode())
        finally:
            os.close(fd)

    def __contains__(self, sid: str) -> bool:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return False
        stamp = (info.st_size, info.st_mtime_ns)
        if stamp != self._stamp:
            lines = self.path.read_text().splitlines()
            self._ended, self._stamp = frozenset(line.split()[0] for line in lines if line.strip()), stamp
        return sid in self._ended


class Signer:
    def __init__(self, secret: bytes, signed_out: SignedOut) -> None:
        self.secret = secret
        self.signed_out = signed_out

    @classmethod
    def for_home(cls, home: Path) -> Signer:
        """The signer every worker and replica serving ``home`` shares: its secret and its sign-outs."""
        return cls(load_secret(home), SignedOut(home / SIGNED_OUT_FILE))

    def _mac(self, text: str) -> str:
        return _b64(hmac.new(self.secret, text.encode(), hashlib.sha256).digest())

    def issue(self, key_id: str, scopes: frozenset[str], now: float | None = None) -> tuple[str, Session]:
        session = Session(secrets.token_urlsafe(16), key_id, scopes, (now or time.time()) + SESSION_SECONDS)
        body = _b64(
            json.dumps(
                {"sid": session.sid, "kid": key_id, "scopes": sorted(scopes), "exp": session.expires}
            ).encode()
        )
        return f"{body}.{self._mac(body)}", session

    def read(self, cookie: str | None, now: float | None = None) -> Session | None:
        if not cookie or "." not in cookie:
            return None
        body, mac = cookie.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        session = Session(str(data["sid"]), str(data["kid"]), frozenset(data["scopes"]), float(data["exp"]))
        if session.expires <= (now or time.time()) or session.sid in self.signed_out:
            return None
        return session

    def csrf(self, session_or_nonce: Session | str) -> str:
        """The CSRF token of a session (or of a sign-in form's nonce): a MAC, so nothing is stored."""
        sid = session_or_nonce.sid if isinstance(session_or_nonce, Session) else session_or_nonce
        return self._mac(f"csrf:{sid}")

    def check_csrf(self, session_or_nonce: Session | str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(session_or_nonce), str(token))

    def end(self, session: Session) -> None:
        self.signed_out.add(session)
