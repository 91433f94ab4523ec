"""Segments (the RFM grid, the clusters' profiles, who entered and left) and rule-based audiences."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from features.segments.audience_store import rule_fields
from features.segments.audiences import Audience, AudienceRuleError
from serving.page import charts
from serving.page.context import HEADERS, PREFIX, Page, error_text
from serving.page.data import ReportsMissing
from serving.page.sessions import Session
from serving.segments import UnknownSegment

CLUSTER_MEASURES = (
    ("share", "share of customers"),
    ("revenue_share_365d", "revenue share, 12 months"),
    ("orders_365d_mean", "orders, 12 months"),
    ("avg_basket_web", "basket on the web"),
    ("avg_basket_phone", "basket by phone"),
    ("avg_basket_store", "basket in store"),
    ("reach_email", "reachable by e-mail"),
    ("reach_phone", "reachable by phone"),
)


def routes(page: Page) -> list[Route]:
    async def segments(request: Request, session: Session) -> Response:
        data = page.data
        try:
            rows = data.segment_rows()
        except ReportsMissing as exc:
            return page.render(request, "missing.html", session, 503, message=str(exc))
        counts, names = data.rfm_grid()
        grid = charts.heat_map(
            counts, [f"R{r}" for r in range(5, 0, -1)], [f"FM{f}" for f in range(1, 6)], names, "RFM grid"
        )
        query = request.query_params
        changes, error = None, ""
        chosen = query.get("segment", "")
        since = query.get("since", "")
        channel = query.get("channel") or None
        if chosen and since:
            try:
                changes = data.segments.changes(chosen, date.fromisoformat(since), channel, data.store)
                page.audit(session, "read_segment_changes", target=chosen, since=since)
            except (UnknownSegment, ValueError) as exc:
                error = error_text(exc)
        return page.render(
            request,
            "segments.html",
            session,
            rows=rows,
            grid=grid,
            clusters=_cluster_charts(rows),
            changes=changes,
            error=error,
            chosen=chosen,
            since=since,
            channel=channel or "",
            names=data.names(),
            baskets=[col for col in rows[0] if col.startswith("avg_basket_")] if rows else [],
        )

    async def audiences(
        request: Request, session: Session, error: str = "", form: dict[str, str] | None = None
    ) -> Response:
        store = page.data.audiences
        saved = [store.load(name) for name in store.names()]
        fields = sorted(f for f in rule_fields() if not f.startswith("category_share_"))
        return page.render(
            request,
            "audiences.html",
            session,
            400 if error else 200,
            saved=saved,
            error=error,
            form=form or {},
            fields=fields,
        )

    async def preview(request: Request, session: Session) -> Response:
        try:
            body = await request.json()
            result = page.data.preview(str(body.get("rule", "")))
        except AudienceRuleError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400, headers=HEADERS)
        except (ValueError, AttributeError):
            return JSONResponse({"error": 'send {"rule": "..."}'}, status_code=400, headers=HEADERS)
        except ReportsMissing as exc:
            return JSONResponse({"error": str(exc)}, status_code=503, headers=HEADERS)
        return JSONResponse(
            {"members": result.members, "reach": result.reach, "needs_profiling": result.needs_profiling},
            headers=HEADERS,
        )

    async def save_audience(request: Request, session: Session) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf"}
        try:
            audience = Audience.from_mapping(form, rule_fields(), source="audience")
        except AudienceRuleError as exc:
            return await audiences(request, session, str(exc), form)
        page.data.audiences.save(audience)
        page.audit(session, "save_audience", target=audience.name, rule=audience.rule.text)
        return RedirectResponse(f"{PREFIX}/audiences", status_code=303, headers=HEADERS)

    return [
        Route(f"{PREFIX}/segments", page.signed_in(segments)),
        Route(f"{PREFIX}/audiences", page.signed_in(audiences)),
        Route(f"{PREFIX}/audiences/preview", page.signed_in(preview, changes=True), methods=["POST"]),
        Route(f"{PREFIX}/audiences/save", page.signed_in(save_audience, changes=True), methods=["POST"]),
    ]


def _cluster_charts(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each behavioural cluster's profile as bars on scales shared by every cluster."""
    cluster_rows = [row for row in rows if row["kind"] == "cluster_name"]
    tops = [max(abs(float(r.get(col) or 0.0)) for r in cluster_rows) for col, _ in CLUSTER_MEASURES]
    return [
        (
            row["segment"],
            charts.bars(
                [(label, float(row.get(col) or 0.0)) for col, label in CLUSTER_MEASURES],
                row["segment"],
                fmt="{:.2f}",
                tops=tops,
            ),
        )
        for row in cluster_rows
    ]
