"""What every view of the page shares: the state built on the first request, the templates, the
security headers, and the sign-in check that wraps each view (:class:`Page`)."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from serving.page.data import CHANNELS, KIND_LABELS, PageData
from serving.page.sessions import COOKIE, PAGE_SCOPES, Session, Signer

if TYPE_CHECKING:
    from serving.runtime import Runtime

HERE = Path(__file__).parent
PREFIX = "/page"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

View = Callable[[Request, Session], Awaitable[Response]]


class Page:
    """The page's state (built on the first request, once the service's runtime exists) and what its
    views do alike: render a template, write the audit trail, check the session and the CSRF token."""

    def __init__(self, runtime: Callable[[], Runtime]) -> None:
        self._runtime = runtime
        self._data: PageData | None = None
        self._signer: Signer | None = None
        self.env = _environment()

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

    def render(
        self, request: Request, template: str, session: Session | None, status: int = 200, **ctx: Any
    ) -> HTMLResponse:
        csrf = self.signer.csrf(session) if session else ""
        html = self.env.get_template(template).render(session=session, csrf=csrf, view=template[:-5], **ctx)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def audit(self, session: Session, action: str, customer_id: str | None = None, **detail: object) -> None:
        self.rt.audit(session.key_id, action, customer_id, via="page", **detail)

    def signed_in(self, view: View, changes: bool = False) -> Callable[[Request], Awaitable[Response]]:
        """Run the view for a live session with a page scope; a changing request needs the CSRF token."""

        async def endpoint(request: Request) -> Response:
            session = self.session(request)
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
                if not self.signer.check_csrf(session, token):
                    return JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403)
            return await view(request, session)

        return endpoint


def error_text(exc: Exception) -> str:
    """What the page shows of an error: its message alone."""
    return str(exc.args[0]) if exc.args else str(exc)


def https(request: Request) -> bool:
    return request.url.scheme == "https"


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
