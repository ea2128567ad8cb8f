"""The operators' web UI, as routes and middleware for the application to mount."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from status_dashboard.service.accounts import Accounts
from status_dashboard.service.operator import Operations
from status_dashboard.web import board, incidents, items, login, maintenance, records
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import public
from status_dashboard.web.headers import SecurityHeaders
from status_dashboard.web.ratelimit import LoginThrottle
from status_dashboard.web.render import STATIC, Pages
from status_dashboard.web.session import SESSION_COOKIE, SESSION_MAX_AGE_S

MIN_SECRET_LENGTH = 32


def admin_ui(
    accounts: Accounts,
    operations: Operations,
    *,
    session_secret: str,
    secure_cookies: bool,
    environment_keys: Callable[[], Sequence[str]],
) -> tuple[list[BaseRoute], list[Middleware]]:
    """Routes under /admin (pages) and /admin/static (CSS, JS), and the middleware they need:
    the signed session cookie `sd_session` and the security headers."""
    if len(session_secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the session secret must be at least {MIN_SECRET_LENGTH} characters")
    ui = Ui(accounts, operations, environment_keys, LoginThrottle(), Pages(environment_keys))
    routes: list[BaseRoute] = [
        Mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static"),
        *login.routes(ui),
        *board.routes(ui),
        *items.routes(ui),
        *incidents.routes(ui),
        *maintenance.routes(ui),
        *records.routes(ui),
        Route("/admin/{rest:path}", public(ui, _not_found), methods=["GET", "POST"]),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_secret,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE_S,
            path="/admin",
            same_site="strict",
            https_only=secure_cookies,
        ),
    ]
    return routes, middleware


async def _not_found(request: Request, ui: Ui) -> Response:
    return ui.pages.error(request, 404, "Not found", "There is no page at this address.")
