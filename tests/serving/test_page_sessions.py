"""The page's session cookie and CSRF tokens, and how the API-key middleware routes the page."""

from __future__ import annotations

import stat
from pathlib import Path

from serving.auth import required_scope
from serving.page.sessions import SESSION_SECONDS, SignedOut, Signer, load_secret

NOW = 1_800_000_000.0


def test_a_session_reads_back_only_unaltered_unexpired_and_not_ended(tmp_path: Path) -> None:
    signer = Signer.for_home(tmp_path)
    cookie, session = signer.issue("crm-team", frozenset({"crm"}), now=NOW)
    assert signer.read(cookie, now=NOW + 60) == session
    assert session.key_id == "crm-team" and session.expires == NOW + SESSION_SECONDS
    body, mac = cookie.rsplit(".", 1)
    forged = body.replace(body[5], "A" if body[5] != "A" else "B") + "." + mac
    assert signer.read(forged, now=NOW) is None  # any change to the body breaks the signature
    assert Signer(b"another secret", SignedOut(tmp_path / "other")).read(cookie, now=NOW) is None
    assert signer.read(cookie, now=NOW + SESSION_SECONDS) is None  # expired
    assert signer.read(None) is None and signer.read("no-dot") is None
    signer.end(session)
    assert signer.read(cookie, now=NOW + 60) is None  # signed out


def test_a_sign_out_in_one_worker_holds_in_every_worker_of_the_home(tmp_path: Path) -> None:
    here, there = Signer.for_home(tmp_path), Signer.for_home(tmp_path)  # two processes, one home
    cookie, session = here.issue("crm-team", frozenset({"crm"}), now=NOW)
    other, _ = here.issue("crm-team", frozenset({"crm"}), now=NOW)
    assert there.read(cookie, now=NOW + 60) == session
    here.end(session)
    assert there.read(cookie, now=NOW + 60) is None
    assert there.read(other, now=NOW + 60) is not None  # only that session ended
    assert Signer.for_home(tmp_path).read(cookie, now=NOW + 60) is None  # and it stays ended on restart


def test_csrf_tokens_belong_to_one_session(tmp_path: Path) -> None:
    signer = Signer.for_home(tmp_path)
    _, mine = signer.issue("a", frozenset({"crm"}), now=NOW)
    _, theirs = signer.issue("b", frozenset({"crm"}), now=NOW)
    assert signer.check_csrf(mine, signer.csrf(mine))
    assert not signer.check_csrf(mine, signer.csrf(theirs))
    assert not signer.check_csrf(mine, None) and not signer.check_csrf(mine, "")


def test_the_secret_is_made_once_private_and_shared_by_workers(tmp_path: Path) -> None:
    first = load_secret(tmp_path)
    assert load_secret(tmp_path) == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / "page_secret").stat().st_mode) == 0o600


def test_the_page_checks_its_own_session_while_the_api_wants_keys() -> None:
    for path in ("/", "/favicon.ico", "/page", "/page/signin", "/page/segments", "/page/static/page.css"):
        assert required_scope("GET", path) is None
    assert required_scope("GET", "/segments") == "crm"
    assert required_scope("GET", "/pages") == "any"  # only the page's own prefix
