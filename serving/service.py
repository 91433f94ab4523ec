"""The BentoML service: real-time recommendations and retargeting for the web site, profiles and segment
lists for the CRM, event ingestion, admin reload and privacy endpoints.

Site endpoints are BentoML APIs (``async def``: the work is light and never blocks on I/O beyond the
embedded store); the CRM's GET and DELETE routes are a FastAPI app mounted on the same service, and the
marketers' page (``serving/page``) a Starlette app mounted at ``/`` and ``/page/…`` that signs in with a
CRM key once and keeps a session cookie. An ASGI middleware checks API keys and body sizes before any runs.
"""

from __future__ import annotations

import gc
from datetime import date
from typing import Annotated, Any

import bentoml
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import PlainTextResponse
from pydantic import Field

from serving import schemas as s
from serving.auth import ApiKeyMiddleware
from serving.engine import NotFoundError, Unavailable
from serving.page.app import build_page
from serving.readiness import ReadinessMiddleware
from serving.runtime import Runtime, ServeConfig
from serving.segments import UnknownSegment

crm = FastAPI(title="Cible CRM and admin routes")
_current: Runtime | None = None  # the worker's runtime, for the middlewares built before the service


def _runtime() -> Runtime:
    assert _current is not None, "the service is not started"
    return _current


def _key_id(ctx: bentoml.Context | Request) -> str | None:
    request = ctx.request if isinstance(ctx, bentoml.Context) else ctx
    return request.scope.get("cible.key_id")


def _unavailable(exc: Exception) -> bentoml.exceptions.ServiceUnavailable:
    return bentoml.exceptions.ServiceUnavailable(str(exc))


K = Annotated[int, Field(ge=1, le=s.MAX_K)]
Skus = Annotated[list[s.Sku], Field(max_length=s.MAX_LIST)]


@bentoml.asgi_app(build_page(_runtime), path="/")
@bentoml.asgi_app(crm, path="/")
@bentoml.service(name="cible", traffic={"timeout": 30})
class Cible:
    def __init__(self) -> None:
        global _current
        self.rt = Runtime.start(ServeConfig.from_env())
        _current = self.rt
        # Start-up leaves ~400k long-lived objects (models, pandas, MLflow): a full collection walking them
        # took ~180 ms here, stalling a request. Frozen, the collector skips them; request garbage is freed.
        gc.collect()
        gc.freeze()

    # -- site ------------------------------------------------------------------------------------------
    @bentoml.api(route="/recommend")
    async def recommend(
        self,
        customer_id: s.Id | None = None,
        visitor_id: s.Id | None = None,
        context: s.Context | None = None,
        k: K = 10,
        exclude: Skus = [],  # noqa: B006 - BentoML builds the request model from this signature
    ) -> s.Recommendations:
        """k products for a customer or a visitor, best first, with the next best offer."""
        visit = self.rt.engine.visit(customer_id, visitor_id)
        try:
            items, version = self.rt.engine.recommend(visit, k, context, exclude)
        except Unavailable as exc:
            raise _unavailable(exc) from exc
        return s.Recommendations(
            customer_id=customer_id,
            visitor_id=visitor_id,
            personal=visit.personal,
            items=items,
            next_best_offer=self.rt.engine.offer(visit),
            model_version=version,
        )

    @bentoml.api(route="/similar_items")
    async def similar_items(self, sku: s.Sku, k: K = 10) -> s.Related:
        """Products bought by the same customers, for a product page."""
        return self._related(sku, k, together=False)

    @bentoml.api(route="/bought_together")
    async def bought_together(self, sku: s.Sku, k: K = 10) -> s.Related:
        """Products found in the same orders, for a cart."""
        return self._related(sku, k, together=True)

    def _related(self, sku: str, k: int, together: bool) -> s.Related:
        try:
            items, version = self.rt.engine.related(sku, k, together)
        except Unavailable as exc:
            raise _unavailable(exc) from exc
        return s.Related(sku=sku, items=items, model_version=version)

    @bentoml.api(route="/retargeting/score")
    async def retargeting_score(
        self,
        customer_id: s.Id | None = None,
        visitor_id: s.Id | None = None,
        events: Annotated[list[s.Event], Field(max_length=s.MAX_LIST)] = [],  # noqa: B006
        k: K = 5,
        explain: bool = False,
    ) -> s.RetargetingScore:
        """Purchase intent within 7 days, whether a follow-up is allowed, on which channel, with what."""
        if customer_id is None and visitor_id is None:
            raise bentoml.exceptions.InvalidArgument("give a customer_id or a visitor_id")
        visit = self.rt.engine.visit(customer_id, visitor_id, events)
        try:
            return self.rt.engine.retarget_score(visit, k, explain)
        except Unavailable as exc:
            raise _unavailable(exc) from exc

    @bentoml.api(route="/events")
    async def events(
        self, events: Annotated[list[s.Event], Field(min_length=1, max_length=s.MAX_EVENTS)]
    ) -> s.EventsAccepted:
        """Up to 1,000 events; stored at once and idempotent on event_id."""
        stored = self.rt.store.add_events([s.StoredEvent.of(e) for e in events])
        return s.EventsAccepted(received=len(events), stored=stored)

    @bentoml.api(route="/consents")
    async def consents(
        self,
        changes: Annotated[list[s.ConsentChange], Field(min_length=1, max_length=s.MAX_EVENTS)],
        ctx: bentoml.Context,
    ) -> s.Applied:
        """Consents given or withdrawn (web forms, advisers): they hold for every answer at once."""
        applied, unknown = self.rt.record_consents(changes, _key_id(ctx))
        return s.Applied(applied=applied, unknown_customers=unknown)

    @bentoml.api(route="/contacts")
    async def contacts(
        self,
        contacts: Annotated[list[s.ContactMade], Field(min_length=1, max_length=s.MAX_EVENTS)],
        ctx: bentoml.Context,
    ) -> s.Applied:
        """Messages sent and calls made since the last materialisation: the pressure cap counts them now."""
        applied, unknown = self.rt.record_contacts(contacts, _key_id(ctx))
        return s.Applied(applied=applied, unknown_customers=unknown)

    # -- admin -----------------------------------------------------------------------------------------
    @bentoml.api(route="/admin/reload")
    async def reload(self, ctx: bentoml.Context) -> dict[str, Any]:
        """Load any champion whose alias moved now, instead of at the next poll."""
        changed = self.rt.champions.refresh()
        self.rt.audit(_key_id(ctx), "reload_models", None, target="models", changed=changed)
        ready, detail = self.rt.champions.status()
        return {"changed": changed, "ready": ready, **detail}

    # -- CRM (FastAPI class views: ``self`` is the service instance) ------------------------------------
    @crm.get("/customers/{customer_id}", response_model=s.CustomerProfile)
    def customer(self, request: Request, customer_id: Annotated[s.Id, PathParam()]) -> s.CustomerProfile:
        """Segments, scores, risk band, reasons and next best offer, for advisers' screens."""
        try:
            profile = self.rt.engine.profile(customer_id)
        except NotFoundError as exc:
            raise HTTPException(404, str(exc)) from exc
        self.rt.audit(_key_id(request), "read_customer", customer_id)
        return profile

    @crm.delete("/customers/{customer_id}")
    def erase(self, request: Request, customer_id: Annotated[s.Id, PathParam()]) -> dict[str, Any]:
        """Right to erasure: out of the online store at once, tombstoned for every later load."""
        result = self.rt.erase(customer_id, _key_id(request))
        return {
            "erased": True,
            "removed_from_online_store": result.removed_from_online_store,
            "snapshots_rewritten": result.snapshots_rewritten,
        }

    @crm.get("/customers/{customer_id}/export")
    def access(self, request: Request, customer_id: Annotated[s.Id, PathParam()]) -> dict[str, Any]:
        """Right of access: everything Cible holds about the person (reads the raw data: seconds)."""
        try:
            report = self.rt.access_report(customer_id, _key_id(request))
        except LookupError as exc:
            raise HTTPException(404, str(exc.args[0])) from exc
        except RuntimeError as exc:
            raise HTTPException(503, str(exc)) from exc
        return report

    @crm.get("/campaigns/{campaign_id}/results", response_model=s.CampaignResult)
    def campaign_result(self, campaign_id: Annotated[str, PathParam(max_length=100)]) -> s.CampaignResult:
        """A campaign against its control group: conversion, revenue and margin per customer, the
        incremental effect with its 95% interval, net of the offer's cost (as of the last materialise)."""
        reports = self.rt.campaign_reports
        row = reports.result(campaign_id) if reports is not None else None
        if row is None:
            raise HTTPException(404, f"no results for campaign {campaign_id!r}: run `cible materialize`")
        return s.CampaignResult(**row)

    @crm.get("/segments", response_model=list[s.SegmentSummary])
    def segments(self) -> list[s.SegmentSummary]:
        """Every segment of the latest snapshot with its size (before consent)."""
        return self.rt.segments.summaries()

    @crm.get("/segments/{name}/members", response_model=s.SegmentPage)
    def members(
        self,
        request: Request,
        name: Annotated[str, PathParam(max_length=100)],
        channel: s.Channel | None = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> s.SegmentPage:
        """One page of a segment's members allowed on ``channel`` (consent and profiling checked)."""
        try:
            result = self.rt.segments.page(name, channel, page, page_size, self.rt.store)
        except UnknownSegment as exc:
            raise HTTPException(404, str(exc)) from exc
        self.rt.audit(_key_id(request), "read_segment", None, target=name, channel=channel, page=page)
        return result

    @crm.get("/segments/{name}/changes", response_model=s.SegmentChanges)
    def changes(
        self,
        request: Request,
        name: Annotated[str, PathParam(max_length=100)],
        since: Annotated[date, Query(description="A day of the retailer's local calendar (YYYY-MM-DD).")],
        channel: s.Channel | None = None,
    ) -> s.SegmentChanges:
        """Who entered and who left the segment since a date, and why ("recency score 4→2")."""
        try:
            result = self.rt.segments.changes(name, since, channel, self.rt.store)
        except UnknownSegment as exc:
            raise HTTPException(404, str(exc)) from exc
        self.rt.audit(_key_id(request), "read_segment_changes", None, target=name, since=str(since))
        return result

    @crm.get("/segments/{name}/members.csv", response_class=PlainTextResponse)
    def members_csv(
        self,
        request: Request,
        name: Annotated[str, PathParam(max_length=100)],
        channel: s.Channel | None = None,
    ) -> PlainTextResponse:
        """The whole consent-filtered list as CSV, for the CRM tool."""
        try:
            text = self.rt.segments.csv(name, channel, self.rt.store)
        except UnknownSegment as exc:
            raise HTTPException(404, str(exc)) from exc
        self.rt.audit(_key_id(request), "export_segment", None, target=name, channel=channel)
        filename = f"{name}_{channel or 'all'}.csv".replace(" ", "_")
        return PlainTextResponse(
            text,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )


Cible.add_asgi_middleware(ReadinessMiddleware, status=lambda: _current.champions.status if _current else None)
Cible.add_asgi_middleware(ApiKeyMiddleware, keys=lambda: _runtime().keys())
