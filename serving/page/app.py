"""The marketers' and advisers' page: a Starlette app mounted on the BentoML service at ``/`` and
``/page/…``, server-rendered (Jinja2) with a little vanilla JavaScript and inline SVG plots.

Sign-in takes an API key of scope crm or admin once and leaves a signed, HttpOnly, SameSite=Strict cookie
that expires; every form that changes something (or downloads a list) carries a CSRF token; ids and keys
travel in request bodies, never in URLs. The page reuses the service's own code: the segment index, the
profile the CRM endpoint answers, the export of ``cible segments export``, the call planner of
``cible retarget plan``; every read of a person and every download is in the audit trail with the key id.
"""

from __future__ import annotations

import io
import math
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from features.campaigns.kpis import KPI_COLUMNS
from features.consent_gate import CHANNEL_PURPOSE
from features.online_store.base import CONSENT_PROOF, REPORTED_CONTACTS
from features.retarget.plan import CallListError, Capacity, plan_calls
from features.segments.audience_store import rule_fields
from features.segments.audiences import Audience, AudienceRuleError
from features.segments.export import ExportRefused
from serving.page import charts
from serving.page.data import CHANNELS, KIND_LABELS, PageData, ReportsMissing
from serving.page.sessions import (
    COOKIE,
    PAGE_SCOPES,
    PRE_COOKIE,
    SESSION_SECONDS,
    Session,
    Signer,
)
from serving.segments import UnknownSegment

if TYPE_CHECKING:
    from serving.runtime import Runtime

HERE = Path(__file__).parent
PREFIX = "/page"
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
KPI_CHART_MONTHS = 24
ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#0b1f3a"/>'
    '<circle cx="8" cy="8" r="4" fill="#fff"/><circle cx="8" cy="8" r="2" fill="#1f6feb"/></svg>'
)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class PageState:
    """Built on the first request, once the service's runtime exists."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime
        self._data: PageData | None = None
        self._signer: Signer | None = None

    @property
    def rt(self) -> Runtime:
        return self._runtime()

    @property
    def data(self) -> PageData:
        if self._data is None:
            rt = self.rt
            self._data = PageData(rt.config.settings, rt.segments, rt.store)
        return self._data

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = Signer.for_home(self.rt.config.settings.home)
        return self._signer

    def session(self, request: Request) -> Session | None:
        """The request's session, if its key still exists with a page scope (a revoked key ends it)."""
        session = self.signer.read(request.cookies.get(COOKIE))
        if session is None:
            return None
        live = {k.key_id: k.scopes for k in self.rt.keys().by_hash.values()}
        if not live.get(session.key_id, frozenset()) & PAGE_SCOPES:
            return None
        return session


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
    env.filters["num"] = _num
    env.filters["pct"] = lambda v: "–" if v is None or _nan(v) else f"{float(v):.0%}"
    env.globals.update(prefix=PREFIX, kind_labels=KIND_LABELS, channels=CHANNELS)
    return env


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _num(value: Any, digits: int = 0) -> str:
    if value is None or _nan(value):
        return "–"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def build_page(runtime: Callable[[], Runtime]) -> Starlette:
    state = PageState(runtime)
    env = _environment()

    def render(request: Request, template: str, session: Session | None, status: int = 200, **ctx: Any):
        csrf = state.signer.csrf(session) if session else ""
        html = env.get_template(template).render(session=session, csrf=csrf, view=template[:-5], **ctx)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def audit(session: Session, action: str, customer_id: str | None = None, **detail: object) -> None:
        state.rt.audit(session.key_id, action, customer_id, via="page", **detail)

    Handler = Callable[[Request, Session], Awaitable[Response]]

    def signed_in(handler: Handler, changes: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """Run the view for a live session with a page scope; a changing request needs the CSRF token."""

        async def view(request: Request) -> Response:
            session = state.session(request)
            if session is None:
                if request.method == "GET":
                    return RedirectResponse(f"{PREFIX}/signin", status_code=303, headers=HEADERS)
                return JSONResponse({"error": "sign in first"}, status_code=401, headers=HEADERS)
            if changes:
                token = request.headers.get("x-csrf-token")
                if token is None and request.headers.get("content-type", "").startswith(
                    "application/x-www-form-urlencoded"
                ):
                    token = str((await request.form()).get("csrf", ""))
                if not state.signer.check_csrf(session, token):
                    return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
            return await handler(request, session)

        return view

    # -- sign in and out ----------------------------------------------------------------------------------
    async def root(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/segments", status_code=303, headers=HEADERS)

    async def signin_form(request: Request, error: str = "", status: int = 200) -> Response:
        import secrets

        nonce = secrets.token_urlsafe(16)
        token = state.signer.csrf(nonce)
        response = render(request, "signin.html", None, status, error=error, signin_csrf=token)
        response.set_cookie(
            PRE_COOKIE, nonce, 600, path=PREFIX, httponly=True, samesite="strict", secure=_https(request)
        )
        return response

    async def signin(request: Request) -> Response:
        if request.method == "GET":
            return await signin_form(request)
        form = await request.form()
        nonce = request.cookies.get(PRE_COOKIE, "")
        if not nonce or not state.signer.check_csrf(nonce, str(form.get("csrf", ""))):
            return await signin_form(request, "the form expired: sign in again", 403)
        key = state.rt.keys().find(str(form.get("api_key", "")).strip())
        if key is None:
            return await signin_form(request, "unknown API key", 401)
        if not key.scopes & PAGE_SCOPES:
            return await signin_form(request, "this key lacks the crm scope: the page is for CRM keys", 403)
        cookie, _ = state.signer.issue(key.key_id, key.scopes)
        state.rt.audit(key.key_id, "page_signin", None)
        response = RedirectResponse(f"{PREFIX}/segments", status_code=303, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="strict",
            secure=_https(request),
        )
        response.delete_cookie(PRE_COOKIE, path=PREFIX)
        return response

    async def signout(request: Request, session: Session) -> Response:
        state.signer.end(session)
        response = RedirectResponse(f"{PREFIX}/signin", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- segments -----------------------------------------------------------------------------------------
    async def segments(request: Request, session: Session) -> Response:
        data = state.data
        try:
            rows = data.segment_rows()
        except ReportsMissing as exc:
            return render(request, "missing.html", session, 503, message=str(exc))
        counts, names = data.rfm_grid()
        grid = charts.heat_map(
            counts, [f"R{r}" for r in range(5, 0, -1)], [f"FM{f}" for f in range(1, 6)], names, "RFM grid"
        )
        cluster_rows = [row for row in rows if row["kind"] == "cluster_name"]
        tops = [max(abs(float(r.get(col) or 0.0)) for r in cluster_rows) for col, _ in CLUSTER_MEASURES]
        clusters = [
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
        query = request.query_params
        changes, error = None, ""
        chosen = query.get("segment", "")
        since = query.get("since", "")
        channel = query.get("channel") or None
        if chosen and since:
            try:
                changes = data.segments.changes(chosen, date.fromisoformat(since), channel, data.store)
                audit(session, "read_segment_changes", target=chosen, since=since)
            except (UnknownSegment, ValueError) as exc:
                error = str(exc.args[0]) if exc.args else str(exc)
        return render(
            request,
            "segments.html",
            session,
            rows=rows,
            grid=grid,
            clusters=clusters,
            changes=changes,
            error=error,
            chosen=chosen,
            since=since,
            channel=channel or "",
            names=data.names(),
            baskets=[col for col in rows[0] if col.startswith("avg_basket_")] if rows else [],
        )

    # -- audiences ----------------------------------------------------------------------------------------
    async def audiences(request: Request, session: Session, error: str = "", form: dict | None = None):
        store = state.data.audiences
        saved = [store.load(name) for name in store.names()]
        fields = sorted(f for f in rule_fields() if not f.startswith("category_share_"))
        return render(
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
            result = state.data.preview(str(body.get("rule", "")))
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
        state.data.audiences.save(audience)
        audit(session, "save_audience", target=audience.name, rule=audience.rule.text)
        return RedirectResponse(f"{PREFIX}/audiences", status_code=303, headers=HEADERS)

    # -- downloads ----------------------------------------------------------------------------------------
    def _download_args(values: Any) -> tuple[str, str, float]:
        channel = str(values.get("channel") or "email")
        if channel not in CHANNEL_PURPOSE:
            raise ValueError(f"unknown channel {channel!r}")
        control = float(values.get("control") or 0)
        if not 0 <= control <= 50:
            raise ValueError("the control group is 0 to 50 percent")
        return str(values.get("segment", "")), channel, control

    async def downloads(request: Request, session: Session) -> Response:
        data = state.data
        result, error = None, ""
        try:
            name, channel, control = _download_args(request.query_params)
            if name:
                result = data.download(name, channel, control, as_csv=False)
        except (UnknownSegment, ExportRefused, ValueError, AudienceRuleError) as exc:
            error = str(exc.args[0]) if exc.args else str(exc)
            name, channel, control = request.query_params.get("segment", ""), "email", 0.0
        return render(
            request,
            "downloads.html",
            session,
            result=result,
            error=error,
            names=data.names(),
            chosen=name,
            channel=channel,
            control=control,
        )

    async def download_file(request: Request, session: Session) -> Response:
        form = await request.form()
        try:
            name, channel, control = _download_args(form)
            result = state.data.download(name, channel, control)
        except (UnknownSegment, ExportRefused, ValueError, AudienceRuleError) as exc:
            return JSONResponse({"error": str(exc.args[0]) if exc.args else str(exc)}, status_code=400)
        audit(
            session,
            "export_segment",
            target=name,
            channel=channel,
            rows=result.exported,
            control=result.control,
            removed=result.removed,
        )
        filename = f"{name}_{channel}.csv".replace(" ", "_")
        return Response(
            result.csv,
            media_type="text/csv",
            headers={**HEADERS, "content-disposition": f'attachment; filename="{filename}"'},
        )

    # -- KPIs ---------------------------------------------------------------------------------------------
    async def kpis(request: Request, session: Session) -> Response:
        data = state.data
        segment = request.query_params.get("segment") or None
        measure = request.query_params.get("measure", "average_basket")
        if measure not in KPI_COLUMNS:
            measure = "average_basket"
        try:
            frame = data.kpis(segment)
            segments_known = data.kpi_segments()
            risk = data.churn_risk(segment)
        except ReportsMissing as exc:
            return render(request, "missing.html", session, 503, message=str(exc))
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
        return render(
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

    # -- campaign results -----------------------------------------------------------------------------------
    async def campaigns(request: Request, session: Session) -> Response:
        try:
            rows = state.data.campaign_results()
        except ReportsMissing:
            rows = None  # campaign measurement writes the file; until then the view says so
        return render(request, "campaigns.html", session, rows=rows)

    # -- customer card ------------------------------------------------------------------------------------
    async def customer(request: Request, session: Session) -> Response:
        if request.method == "GET":
            return render(request, "customer.html", session, card=None, error="")
        form = await request.form()
        if not state.signer.check_csrf(session, str(form.get("csrf", ""))):
            return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
        cid = str(form.get("customer_id", "")).strip()[:64]
        from serving.engine import NotFoundError

        try:
            profile = state.rt.engine.profile(cid)
        except NotFoundError:
            return render(request, "customer.html", session, 404, card=None, error=f"no customer {cid!r}")
        audit(session, "read_customer", cid)
        record = state.rt.store.get(cid) or {}
        contacts = sorted(
            [*(record.get("recent_contacts") or []), *(record.get(REPORTED_CONTACTS) or {}).values()],
            reverse=True,
        )
        return render(
            request,
            "customer.html",
            session,
            card=profile,
            proofs=record.get(CONSENT_PROOF) or {},
            contacts=contacts[:20],
            error="",
        )

    # -- advisers' calls ------------------------------------------------------------------------------------
    def _capacity(values: Any) -> tuple[Capacity, float | None]:
        capacity = Capacity(
            advisers=max(1, int(values.get("advisers") or 12)),
            hours_per_day=max(0.01, float(values.get("hours_per_day") or 1.0)),
            days=max(1, int(values.get("days") or 5)),
            minutes_per_call=max(0.01, float(values.get("minutes_per_call") or 2.0)),
            pickup_rate=min(1.0, max(0.0, float(values.get("pickup_rate") or 0.8))),
        )
        target = values.get("target")
        return capacity, float(target) if target not in (None, "") else None

    async def calls(request: Request, session: Session) -> Response:
        try:
            capacity, target = _capacity(request.query_params)
        except ValueError:
            capacity, target = _capacity({})
        try:
            frame, removed = state.data.call_list()
        except CallListError as exc:
            return render(request, "missing.html", session, 503, message=str(exc))
        plan = plan_calls(frame["conversion_probability"].to_numpy(), capacity, target)
        shown = frame.head(50).to_dict(orient="records")
        return render(
            request,
            "calls.html",
            session,
            plan=plan,
            capacity=capacity,
            target=target,
            rows=shown,
            columns=list(frame.columns)[:8],
            removed=removed,
            size=len(frame),
        )

    async def calls_file(request: Request, session: Session) -> Response:
        form = await request.form()
        try:
            capacity, target = _capacity(form)
            frame, _ = state.data.call_list()
        except (ValueError, CallListError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        plan = plan_calls(frame["conversion_probability"].to_numpy(), capacity, target)
        out = frame.assign(planned=[i < plan.calls_made for i in range(len(frame))])
        buffer = io.StringIO()
        out.to_csv(buffer, index=False)
        audit(session, "export_call_list", target="calls", rows=len(out), planned=plan.calls_made)
        return Response(
            buffer.getvalue(),
            media_type="text/csv",
            headers={**HEADERS, "content-disposition": 'attachment; filename="call_list.csv"'},
        )

    async def icon(request: Request) -> Response:
        return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    routes = [
        Route("/", root),
        Route("/favicon.ico", icon),
        Route(PREFIX, root),
        Route(f"{PREFIX}/", root),
        Route(f"{PREFIX}/signin", signin, methods=["GET", "POST"]),
        Route(f"{PREFIX}/signout", signed_in(signout, changes=True), methods=["POST"]),
        Route(f"{PREFIX}/segments", signed_in(segments)),
        Route(f"{PREFIX}/audiences", signed_in(audiences)),
        Route(f"{PREFIX}/audiences/preview", signed_in(preview, changes=True), methods=["POST"]),
        Route(f"{PREFIX}/audiences/save", signed_in(save_audience, changes=True), methods=["POST"]),
        Route(f"{PREFIX}/downloads", signed_in(downloads)),
        Route(f"{PREFIX}/downloads/file", signed_in(download_file, changes=True), methods=["POST"]),
        Route(f"{PREFIX}/kpis", signed_in(kpis)),
        Route(f"{PREFIX}/campaigns", signed_in(campaigns)),
        Route(f"{PREFIX}/customer", signed_in(customer), methods=["GET", "POST"]),
        Route(f"{PREFIX}/calls", signed_in(calls)),
        Route(f"{PREFIX}/calls/file", signed_in(calls_file, changes=True), methods=["POST"]),
        Mount(f"{PREFIX}/static", app=StaticFiles(directory=HERE / "static"), name="page-static"),
    ]
    return Starlette(routes=routes)


def _https(request: Request) -> bool:
    return request.url.scheme == "https"
