"""No silent skips on CI: a Redis or PostgreSQL server that is not there fails the run when ``CI`` is set
and is a skip (saying why) only on a developer's machine; a server that is there but answers with an
error is an error everywhere. Checked against a closed port and against fake servers on random ports."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis.exceptions
from psycopg2 import OperationalError

from tests import ci
from tests.online_store import test_backends
from tests.training import test_mlflow_postgres


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _fake_server(reply_to_each_command: bytes | None) -> Iterator[int]:
    """A server on a random port: it answers every Redis command with ``reply_to_each_command``, or (None)
    hangs up on whoever connects."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                while reply_to_each_command is not None and not stop.is_set():
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        break
                    if not data:
                        break
                    conn.sendall(reply_to_each_command * max(1, data.count(b"*")))  # one per RESP array

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("", False), ("0", False)])
def test_ci_is_on_when_the_variable_says_so(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv(ci.CI_ENV, value)
    assert ci.on_ci() is expected


def test_a_redis_that_is_not_there_fails_on_ci_and_is_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(test_backends, "REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    monkeypatch.setenv(ci.CI_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)Redis at .* is not answering .*CI is set"):
        test_backends.redis_store()
    monkeypatch.delenv(ci.CI_ENV)
    with pytest.raises(pytest.skip.Exception, match=r"Redis at .* is not answering"):
        test_backends.redis_store()


def test_a_redis_that_answers_with_an_error_is_an_error_even_off_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ci.CI_ENV, raising=False)
    with _fake_server(b"-ERR this is not the Redis you are looking for\r\n") as port:
        monkeypatch.setattr(test_backends, "REDIS_URL", f"redis://127.0.0.1:{port}/0")
        with pytest.raises(redis.exceptions.ResponseError, match="not the Redis"):
            test_backends.redis_store()


def test_a_postgres_that_is_not_there_fails_on_ci_and_is_skipped_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(test_mlflow_postgres, "SERVER", f"postgresql://postgres@127.0.0.1:{_closed_port()}")
    monkeypatch.setenv(ci.CI_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)PostgreSQL at .* is not answering .*CI is set"):
        test_mlflow_postgres.admin_connection()
    monkeypatch.delenv(ci.CI_ENV)
    with pytest.raises(pytest.skip.Exception, match="Connection refused"):
        test_mlflow_postgres.admin_connection()


def test_a_postgres_that_hangs_up_is_an_error_even_off_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ci.CI_ENV, raising=False)
    with _fake_server(None) as port:
        monkeypatch.setattr(test_mlflow_postgres, "SERVER", f"postgresql://postgres@127.0.0.1:{port}")
        with pytest.raises(OperationalError, match="server closed the connection"):
            test_mlflow_postgres.admin_connection()


def test_every_collected_test_has_its_own_node_id(request: pytest.FixtureRequest) -> None:
    # pytest-xdist schedules by node id: of tests sharing one it runs the first alone, silently (it did so
    # with Schemathesis's per-operation tests, which fuzzed GET /healthz only; tests/serving/conftest.py)
    ids = [item.nodeid for item in request.session.items]
    repeated = sorted({nodeid for nodeid in ids if ids.count(nodeid) > 1})
    assert not repeated, f"{len(repeated)} node ids name several tests: {repeated[:3]}"
