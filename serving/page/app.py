"""The marketers' and advisers' page: a Starlette app mounted on the BentoML service at ``/`` and
``/page/…``, server-rendered (Jinja2) with a little vanilla JavaScript and inline SVG plots.

Sign-in takes an API key of scope crm or admin once and leaves a signed, HttpOnly, SameSite=Strict cookie
that expires; every form that changes something (or downloads a list) carries a CSRF token; ids and keys
travel in request bodies, never in URLs. The page reuses the service's own code: the segment index, the
profile the CRM endpoint answers, the export of ``cible segments export``, the call planner of
``cible retarget plan``; every read of a person and every download is in the audit trail with the key id.

One module per group of views (sign-in, segments and audiences, lists, reports and the customer card),
each giving its routes over the shared :class:`serving.page.context.Page`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from serving.page import list_views, report_views, segment_views, signin_views
from serving.page.context import HERE, PREFIX, Page

if TYPE_CHECKING:
    from serving.runtime import Runtime


def build_page(runtime: Callable[[], Runtime]) -> Starlette:
    page = Page(runtime)
    routes = [
        *signin_views.routes(page),
        *segment_views.routes(page),
        *list_views.routes(page),
        *report_views.routes(page),
        Mount(f"{PREFIX}/static", app=StaticFiles(directory=HERE / "static"), name="page-static"),
    ]
    return Starlette(routes=routes)
