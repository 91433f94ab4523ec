"""Signing in with an API key of a page scope, and out; the root and the icon."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from serving.page.context import HEADERS, PREFIX, Page, https
from serving.page.sessions import COOKIE, PAGE_SCOPES, PRE_COOKIE, SESSION_SECONDS, Session

ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#0b1f3a"/>'
    '<circle cx="8" cy="8" r="4" fill="#fff"/><circle cx="8" cy="8" r="2" fill="#1f6feb"/></svg>'
)


def routes(page: Page) -> list[Route]:
    async def root(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/segments", status_code=303, headers=HEADERS)

    async def icon(request: Request) -> Response:
        return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    async def signin_form(request: Request, error: str = "", status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(16)
        token = page.signer.csrf(nonce)
        response = page.render(request, "signin.html", None, status, error=error, signin_csrf=token)
        response.set_cookie(
            PRE_COOKIE, nonce, 600, path=PREFIX, httponly=True, samesite="strict", secure=https(request)
        )
        return response

    async def signin(request: Request) -> Response:
        if request.method == "GET":
            return await signin_form(request)
        form = await request.form()
        nonce = request.cookies.get(PRE_COOKIE, "")
        if not nonce or not page.signer.check_csrf(nonce, str(form.get("csrf", ""))):
            return await signin_form(request, "the form expired: sign in again", 403)
        key = page.rt.keys().find(str(form.get("api_key", "")).strip())
        if key is None:
            return await signin_form(request, "unknown API key", 401)
        if not key.scopes & PAGE_SCOPES:
            return await signin_form(request, "this key lacks the crm scope: the page is for CRM keys", 403)
        cookie, _ = page.signer.issue(key.key_id, key.scopes)
        page.rt.audit(key.key_id, "page_signin", None)
        response = RedirectResponse(f"{PREFIX}/segments", status_code=303, headers=HEADERS)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="strict",
            secure=https(request),
        )
        response.delete_cookie(PRE_COOKIE, path=PREFIX)
        return response

    async def signout(request: Request, session: Session) -> Response:
        page.signer.end(session)
        response = RedirectResponse(f"{PREFIX}/signin", status_code=303, headers=HEADERS)
        response.delete_cookie(COOKIE, path="/")
        return response

    return [
        Route("/", root),
        Route("/favicon.ico", icon),
        Route(PREFIX, root),
        Route(f"{PREFIX}/", root),
        Route(f"{PREFIX}/signin", signin, methods=["GET", "POST"]),
        Route(f"{PREFIX}/signout", page.signed_in(signout, changes=True), methods=["POST"]),
    ]
