"""Lists to download: a segment's export for a channel (with a control group), and the advisers' call
list with its plan for the team's capacity."""

from __future__ import annotations

import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from features.consent_gate import CHANNEL_PURPOSE
from features.retarget.plan import CallListError, Capacity, plan_calls
from features.segments.audiences import AudienceRuleError
from features.segments.export import ExportRefused
from serving.page.context import HEADERS, PREFIX, Page, error_text
from serving.page.sessions import Session
from serving.segments import UnknownSegment

REFUSED = (UnknownSegment, ExportRefused, ValueError, AudienceRuleError)


def routes(page: Page) -> list[Route]:
    async def downloads(request: Request, session: Session) -> Response:
        data = page.data
        result, error = None, ""
        try:
            name, channel, control = _download_args(request.query_params)
            if name:
                result = data.download(name, channel, control, as_csv=False)
        except REFUSED as exc:
            error = error_text(exc)
            name, channel, control = request.query_params.get("segment", ""), "email", 0.0
        return page.render(
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
            result = page.data.download(name, channel, control)
        except REFUSED as exc:
            return JSONResponse({"error": error_text(exc)}, status_code=400)
        page.audit(
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

    async def calls(request: Request, session: Session) -> Response:
        try:
            capacity, target = _capacity(request.query_params)
        except ValueError:
            capacity, target = _capacity({})
        try:
            frame, removed = page.data.call_list()
        except CallListError as exc:
            return page.render(request, "missing.html", session, 503, message=str(exc))
        plan = plan_calls(frame["conversion_probability"].to_numpy(), capacity, target)
        return page.render(
            request,
            "calls.html",
            session,
            plan=plan,
            capacity=capacity,
            target=target,
            rows=frame.head(50).to_dict(orient="records"),
            columns=list(frame.columns)[:8],
            removed=removed,
            size=len(frame),
        )

    async def calls_file(request: Request, session: Session) -> Response:
        form = await request.form()
        try:
            capacity, target = _capacity(form)
            frame, _ = page.data.call_list()
        except (ValueError, CallListError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        plan = plan_calls(frame["conversion_probability"].to_numpy(), capacity, target)
        out = frame.assign(planned=[i < plan.calls_made for i in range(len(frame))])
        buffer = io.StringIO()
        out.to_csv(buffer, index=False)
        page.audit(session, "export_call_list", target="calls", rows=len(out), planned=plan.calls_made)
        return Response(
            buffer.getvalue(),
            media_type="text/csv",
            headers={**HEADERS, "content-disposition": 'attachment; filename="call_list.csv"'},
        )

    return [
        Route(f"{PREFIX}/downloads", page.signed_in(downloads)),
        Route(f"{PREFIX}/downloads/file", page.signed_in(download_file, changes=True), methods=["POST"]),
        Route(f"{PREFIX}/calls", page.signed_in(calls)),
        Route(f"{PREFIX}/calls/file", page.signed_in(calls_file, changes=True), methods=["POST"]),
    ]


def _download_args(values: Any) -> tuple[str, str, float]:
    channel = str(values.get("channel") or "email")
    if channel not in CHANNEL_PURPOSE:
        raise ValueError(f"unknown channel {channel!r}")
    control = float(values.get("control") or 0)
    if not 0 <= control <= 50:
        raise ValueError("the control group is 0 to 50 percent")
    return str(values.get("segment", "")), channel, control


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
