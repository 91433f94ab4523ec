"""Schemathesis against the service's own OpenAPI document (``/docs.json``): every operation, with a key of
its scope, of every other scope and with none; generated valid and invalid input. The service never answers
5xx, every answer (status, content type, body) is one the document declares, every refusal is the
documented JSON error, and a stateful run follows the document's links (POST /events → recommend, intent).

Examples are bounded and derandomized, so a run is reproducible and takes seconds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from serving.openapi import complete
from serving.service import Cible, _runtime
from tests.serving.conftest import Served

SCOPES = ("site", "crm", "admin")
UNKNOWN_KEY = {"Authorization": "Bearer cible_nobody-was-given-this-key-0123456789"}
FUZZ = settings(
    max_examples=20,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
PER_KEY = settings(FUZZ, max_examples=3)
STATEFUL = settings(FUZZ, max_examples=15, stateful_step_count=4)


class _Service:
    """The session's service app for Schemathesis's client, given once the session fixture started it.

    Schemathesis parametrizes tests from a schema it has at import time, before any fixture runs (its
    fixture-based loader does not run on this pytest), so the schema holds this stand-in. The service's
    lifespan already ran under the session's TestClient: a second start (a second runtime loading every
    model) is answered here without reaching it."""

    app: Callable[..., Any] | None = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "lifespan":
            assert self.app is not None, "request the `service` fixture"
            return await self.app(scope, receive, send)
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


SERVICE = _Service()
DOCUMENT = complete(Cible)


def _config(**generation: object) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "generation": {
                # an unknown query parameter is ignored, as HTTP services do; Schemathesis counts it invalid
                "allow-extra-parameters": False,
                # the keys are the tests' to give (the auth check then sends none and a wrong one)
                "with-security-parameters": False,
                **generation,
            },
            "checks": {
                # Starlette's router answers an unsupported method with the methods of the first route of
                # the path only (Allow: GET on /customers/{id}, which DELETE also serves): its limit, not ours
                "allow_header_conformance": {"enabled": False},
            },
        }
    )


every = schemathesis.openapi.from_dict(DOCUMENT, config=_config())
every.app = SERVICE
valid = schemathesis.openapi.from_dict(DOCUMENT, config=_config(mode="positive")).exclude(path="/metrics")
valid.app = SERVICE
# /metrics needs BentoML's multiprocess Prometheus directory, which only `bentoml serve` sets up (the
# real-server tests read it over HTTP); the access export reads the raw data at each call (a second or
# so), so it gets fewer examples, below.
EXPORT = "/customers/{customer_id}/export"
schema = every.exclude(path="/metrics").exclude(path=EXPORT)
export = every.include(path=EXPORT)


@pytest.fixture
def service(client: TestClient) -> _Service:
    SERVICE.app = client.app
    return SERVICE


def test_the_service_publishes_the_document_under_test(client: TestClient) -> None:
    answer = client.get("/docs.json")
    assert answer.status_code == 200 and answer.json() == json.loads(json.dumps(DOCUMENT))


def _scopes(case: schemathesis.Case) -> list[str] | None:
    """The scopes that may call the operation; None for a public one."""
    raw = case.operation.definition.raw
    return None if raw.get("security") == [] else raw["x-cible-scopes"]


def _operations(of: schemathesis.BaseSchema) -> list[Any]:
    """Every operation of ``of``, to parametrize a test with: each its own test (and node id).

    Not Schemathesis's ``parametrize()``: its pytest items all carry the test function's node id, the
    operation only in their name, and pytest-xdist, which schedules by node id, ran the first operation
    (GET /healthz) alone (tests/test_no_silent_skips.py checks that node ids are unique)."""
    return [result.ok() for result in of.get_all_operations()]


def _label(operation: Any) -> str:
    return str(operation.label)


@pytest.mark.parametrize("operation", _operations(schema), ids=_label)
def test_every_operation_with_a_key_of_its_scope(
    operation: Any, service: _Service, served_home: Served
) -> None:
    @FUZZ
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        scopes = _scopes(case)
        headers = served_home.headers(scopes[0]) if scopes else {}
        case.call_and_validate(headers=headers)

    check()


@pytest.fixture
def raw_data(small_synthetic_dir: Path) -> Iterator[None]:
    """The raw data the access export reads, as `cible serve --data` gives it."""
    runtime = _runtime()
    before, runtime.config.data_dir = runtime.config.data_dir, small_synthetic_dir
    yield
    runtime.config.data_dir = before


@pytest.mark.parametrize("operation", _operations(export), ids=_label)
def test_the_access_export_with_the_raw_data(
    operation: Any, service: _Service, raw_data: None, served_home: Served
) -> None:
    @settings(FUZZ, max_examples=5)
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=served_home.headers("admin"))

    check()


@pytest.mark.parametrize("operation", _operations(valid), ids=_label)
def test_every_operation_with_every_key_and_none(
    operation: Any, service: _Service, raw_data: None, served_home: Served
) -> None:
    @PER_KEY
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        _every_key_and_none(case, served_home)

    check()


def _every_key_and_none(case: schemathesis.Case, served_home: Served) -> None:
    scopes = _scopes(case)
    if scopes is None:  # public: the probes answer anyone, with a key or without
        assert case.call(headers=UNKNOWN_KEY).status_code < 400
        return
    for name in SCOPES:
        answer = case.call(headers=served_home.headers(name))
        if name not in scopes:
            assert answer.status_code == 403, answer.text
            assert answer.json() == {"error": f"this key lacks the {'|'.join(scopes)!r} scope"}
        case.validate_response(answer, headers=served_home.headers(name))
    for headers in ({}, UNKNOWN_KEY):
        answer = case.call(headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == ["Bearer"]
        case.validate_response(answer, headers=headers)


def _keyed(machine: type, served: Served) -> type:
    """A state machine sending each operation the key of its scope."""
    scopes = {
        op.ok().definition.raw.get("operationId"): op.ok().definition.raw.get("x-cible-scopes")
        for op in schema.get_all_operations()
    }

    class Keyed(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            allowed = scopes.get(case.operation.definition.raw.get("operationId"))
            return {"headers": served.headers(allowed[0])} if allowed else {}

    return Keyed


def test_stateful_runs_over_every_link(service: _Service, served_home: Served) -> None:
    # the document's links and the ones Schemathesis infers (GET /segments -> a segment's lists)
    _keyed(schema.as_state_machine(), served_home).run(settings=settings(STATEFUL, max_examples=10))


def test_the_links_from_posted_events_to_the_visitors_answers(service: _Service, served_home: Served) -> None:
    # on the whole document, Schemathesis starts from operations that produce something it can name
    # (GET /segments); the events flow is run on its own so that its links are surely followed
    visitors = schema.include(path_regex="^/(events|recommend|retargeting/score)$")
    followed: list[tuple[str, str | None, str | None]] = []  # link, visitor asked for, visitor answered

    class Visitors(_keyed(visitors.as_state_machine(), served_home)):  # type: ignore[misc]
        def step(self, input: Any) -> Any:
            output = super().step(input)
            link = input.transition
            if link is not None and not link.is_inferred and input.is_applied:
                answered = output.response.json() if output.response.status_code == 200 else {}
                followed.append((link.id, input.case.body.get("visitor_id"), answered.get("visitor_id")))
            return output

    Visitors.run(settings=STATEFUL)
    for link in (
        "RecommendForTheVisitor",
        "ScoreTheVisitorsIntent",
    ):  # in "POST /events -> [200] <link> -> …"
        assert any(link in name for name, _, _ in followed), followed
    # the visitor the events were posted for is the one answered about
    assert all(asked == answered for _, asked, answered in followed if answered is not None), followed
    assert any(answered is not None for _, _, answered in followed), followed
