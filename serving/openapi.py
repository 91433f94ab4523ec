"""The OpenAPI document the service publishes at ``/docs.json``: BentoML's, completed with what it leaves out.

BentoML 1.4 builds the document from the ``@bentoml.api`` signatures and the mounted FastAPI app but has
no way to declare an endpoint's other answers (its issue #2975: "override the openapi_spec property"); it
lists 400/404/500 with bodies it does not send, and FastAPI lists 422 where the service answers 400. So the
document is post-processed once, here, from the rules the service applies: the key and scope each route
needs (:func:`serving.auth.required_scope`), the body limit and content types the key middleware enforces,
the errors each route raises (``NOT_FOUND`` and ``UNAVAILABLE`` below), one error body
(:class:`serving.schemas.ApiError`), and the links a stateful client may follow (events → recommend).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from serving.auth import MAX_BODY_BYTES, ASGIApp, Receive, Scope, Send, required_scope
from serving.schemas import SCHEMA_RULES, ApiError, Readiness

DOC_PATH = "/docs.json"
REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": "#/components/schemas/ApiError"}
SECURITY = [{"bearer": []}, {"apiKey": []}]
PUBLIC_OPERATION = {"security": []}

# Where a 404 means "no such thing" rather than "no such route", and why.
NOT_FOUND = {
    ("get", "/customers/{customer_id}"): "No such customer in the online store.",
    ("get", "/customers/{customer_id}/export"): "No such customer in the raw data.",
    ("get", "/segments/{name}/members"): "No such segment in the latest snapshot.",
    ("get", "/segments/{name}/members.csv"): "No such segment in the latest snapshot.",
    ("get", "/segments/{name}/changes"): "No such segment, or no snapshot at or before `since`.",
    ("get", "/campaigns/{campaign_id}/results"): "No such campaign in the last materialised results.",
}
# Answers that need something the service may lack at the moment (a live model, the raw data).
UNAVAILABLE = {
    ("post", "/recommend"): "No live recommender champion.",
    ("post", "/similar_items"): "No live recommender champion.",
    ("post", "/bought_together"): "No live recommender champion.",
    ("post", "/retargeting/score"): "No live intent champion.",
    ("get", "/customers/{customer_id}/export"): "The service was started without the raw data (--data).",
}
NO_ROUTE = "No route matches the path (a path parameter holding '/')."
# the error bodies BentoML and FastAPI document, which ApiError replaces
REPLACED_SCHEMAS = (
    "InvalidArgument",
    "NotFound",
    "InternalServerError",
    "HTTPValidationError",
    "ValidationError",
)
WITH_BODY = ("post", "put", "patch", "delete")
# what each POST /events answer lets a client do next with the visitor it posted for
EVENT_LINKS = {
    "RecommendForTheVisitor": "cible__recommend",
    "ScoreTheVisitorsIntent": "cible__retargeting_score",
}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _errors(method: str, path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The error answers of one operation, from the rules the middlewares and the route apply."""
    out: dict[str, dict[str, Any]] = {}
    scope = required_scope(method.upper(), path)
    if operation.get("parameters") or operation.get("requestBody"):
        out["400"] = _error("A field or parameter is refused: `detail` names each one.")
    if scope is not None:
        challenge = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
        out["401"] = _error("No API key, or one the key file does not hold.", challenge)
        if scope != "any":
            out["403"] = _error(f"The key lacks the {scope.replace('|', ' or ')} scope.")
    if "{" in path or (method, path) in NOT_FOUND:
        out["404"] = _error(NOT_FOUND.get((method, path), NO_ROUTE))
    if method in WITH_BODY:
        out["413"] = _error(f"Request body over {MAX_BODY_BYTES:,} bytes.")
        out["415"] = _error("A body that is not JSON (form, multipart, pickle).")
    if (method, path) in UNAVAILABLE:
        out["503"] = _error(UNAVAILABLE[(method, path)])
    return out


def complete(service: Any) -> dict[str, Any]:
    """BentoML's document of ``service`` with each operation's real answers, its security and its links."""
    doc = service.openapi_spec.asdict()
    doc["openapi"] = "3.1.0"  # the schemas are pydantic's JSON Schema (`type: null`), which 3.0 lacks
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (ApiError, Readiness):
        schema = model.model_json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for unused in REPLACED_SCHEMAS:
        schemas.pop(unused, None)
    doc["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key>"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            answers = operation.get("responses", {}).items()
            operation["responses"] = {str(code): answer for code, answer in answers if str(code) < "300"}
            operation["responses"].update(_errors(method, path, operation))
            scope = required_scope(method.upper(), path)
            if scope is None:
                operation.update(PUBLIC_OPERATION)
            else:
                operation["security"] = SECURITY
                operation["x-cible-scopes"] = scope.split("|") if scope != "any" else []
    _endpoint_bodies(service, doc)
    for name, rules in SCHEMA_RULES.items():
        schemas[name].update(rules)
    _infrastructure(doc["paths"])
    _links(doc["paths"])
    return doc


def _endpoint_bodies(service: Any, doc: dict[str, Any]) -> None:
    """The BentoML endpoints' answers from their pydantic models: BentoML flattens each field to the first
    branch of its ``anyOf``, so ``Offer | None`` was documented as never null. A body with required fields
    is itself required (BentoML leaves it optional, and an empty request is refused)."""
    schemas = doc["components"]["schemas"]
    for api in service.apis.values():
        operation = doc["paths"][api.route]["post"]
        answer = api.output_spec.model_json_schema(ref_template=REF, mode="serialization")
        schemas.update(answer.pop("$defs", {}))
        operation["responses"]["200"]["content"] = {api.output_spec.mime_type(): {"schema": answer}}
        if "requestBody" not in operation:
            continue
        name = f"{api.name}__Input"
        asked = api.input_spec.model_json_schema(ref_template=REF)
        schemas.update(asked.pop("$defs", {}))
        schemas[name] = {**asked, "title": name}
        operation["requestBody"]["content"] = {
            "application/json": {"schema": {"$ref": REF.format(model=name)}}
        }
        if asked.get("required") or name in SCHEMA_RULES:  # a rule needs a body to hold
            operation["requestBody"]["required"] = True


def _infrastructure(paths: dict[str, Any]) -> None:
    """BentoML's probes, with what they answer."""
    text = {"text/plain": {"schema": {"type": "string"}}}
    for probe in ("/healthz", "/livez"):
        if probe in paths:
            paths[probe]["get"]["responses"]["200"]["content"] = text
    if "/metrics" in paths:
        paths["/metrics"]["get"]["responses"]["200"]["content"] = text
    if "/readyz" in paths:
        status = {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}
        responses = paths["/readyz"]["get"]["responses"]
        responses["200"] = {"description": "Every model the service needs is live.", "content": status}
        responses["503"] = {"description": "A model is missing or failed to load.", "content": status}


def _links(paths: dict[str, Any]) -> None:
    events = paths.get("/events", {}).get("post")
    if events is None:
        return
    events["responses"]["200"]["links"] = {
        name: {
            "operationId": target,
            "requestBody": {"visitor_id": "$request.body#/events/0/visitor_id", "k": 5},
            "description": "The visitor whose events were just stored.",
        }
        for name, target in EVENT_LINKS.items()
    }


class OpenApiMiddleware:
    """Answers ``/docs.json`` with the completed document, built at the first request and kept."""

    def __init__(self, app: ASGIApp, document: Callable[[], dict[str, Any]]) -> None:
        self.app = app
        self.document = document
        self._payload: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != DOC_PATH or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        if self._payload is None:
            self._payload = json.dumps(self.document()).encode()
        head = [(b"content-type", b"application/json"), (b"content-length", str(len(self._payload)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": self._payload if scope["method"] == "GET" else b""})
