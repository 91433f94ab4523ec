"""Reading the results: KPIs by channel month by month with the churn-risk bands, campaign results
against their control groups, and one customer's card."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from features.campaigns.kpis import KPI_COLUMNS
from features.online_store.base import CONSENT_PROOF, REPORTED_CONTACTS
from serving.page import charts
from serving.page.context import PREFIX, Page
from serving.page.data import ReportsMissing
from serving.page.sessions import Session

KPI_CHART_MONTHS = 24


def routes(page: Page) -> list[Route]:
    async def kpis(request: Request, session: Session) -> Response:
        data = page.data
        segment = request.query_params.get("segment") or None
        measure = request.query_params.get("measure", "average_basket")
        if measure not in KPI_COLUMNS:
            measure = "average_basket"
        try:
            frame = data.kpis(segment)
            segments_known = data.kpi_segments()
            risk = data.churn_risk(segment)
        except ReportsMissing as exc:
            return page.render(request, "missing.html", session, 503, message=str(exc))
        months = sorted(frame["month"].unique())[-KPI_CHART_MONTHS:]
        frame = frame[frame["month"].isin(months)]
        wide = frame.pivot(index="channel", columns="month", values=measure).reindex(columns=months)
        series = {ch: [float(v) for v in wide.loc[ch].to_numpy()] for ch in wide.index}
        series = {ch: ys for ch, ys in series.items() if any(not math.isnan(v) and v != 0 for v in ys)}
        chart = charts.lines(series, months, f"{measure.replace('_', ' ')} by channel, month by month")
        recent = months[-12:]
        table = [
            {"channel": ch, "values": [wide.loc[ch, m] for m in recent]} for ch in wide.index if ch in series
        ]
        return page.render(
            request,
            "kpis.html",
            session,
            chart=chart,
            risk_chart=charts.bars(risk, "customers by churn-risk band (latest scores)", fmt="{:,.0f}")
            if risk
            else None,
            table=table,
            months=recent,
            measure=measure,
            measures=KPI_COLUMNS,
            segment=segment or "",
            segments=segments_known,
            digits=2 if measure in ("repeat_rate",) else 0,
        )

    async def campaigns(request: Request, session: Session) -> Response:
        try:
            rows = page.data.campaign_results()
        except ReportsMissing:
            rows = None  # campaign measurement writes the file; until then the view says so
        return page.render(request, "campaigns.html", session, rows=rows)

    async def customer(request: Request, session: Session) -> Response:
        if request.method == "GET":
            return page.render(request, "customer.html", session, card=None, error="")
        form = await request.form()
        if not page.signer.check_csrf(session, str(form.get("csrf", ""))):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        cid = str(form.get("customer_id", "")).strip()[:64]
        from serving.engine import NotFoundError

        try:
            profile = page.rt.engine.profile(cid)
        except NotFoundError:
            return page.render(
                request, "customer.html", session, 404, card=None, error=f"no customer {cid!r}"
            )
        page.audit(session, "read_customer", cid)
        record = page.rt.store.get(cid) or {}
        contacts = sorted(
            [*(record.get("recent_contacts") or []), *(record.get(REPORTED_CONTACTS) or {}).values()],
            reverse=True,
        )
        return page.render(
            request,
            "customer.html",
            session,
            card=profile,
            proofs=record.get(CONSENT_PROOF) or {},
            contacts=contacts[:20],
            error="",
        )

    return [
        Route(f"{PREFIX}/kpis", page.signed_in(kpis)),
        Route(f"{PREFIX}/campaigns", page.signed_in(campaigns)),
        Route(f"{PREFIX}/customer", page.signed_in(customer), methods=["GET", "POST"]),
    ]
