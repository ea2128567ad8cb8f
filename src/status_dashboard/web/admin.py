"""The operators' web UI, as routes and middleware for the application to mount."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from status_dashboard.service.operator import Operations
from status_dashboard.service.sessions import Sessions
from status_dashboard.service.users import UserAdmin
from status_dashboard.web import board, incidents, items, login, maintenance, records, users
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import public
from status_dashboard.web.headers import SecurityHeaders
from status_dashboard.web.render import STATIC, Pages
from status_dashboard.web.session import SESSION_COOKIE, SESSION_MAX_AGE_S
from status_dashboard.web.session_secret import check_session_secret


def admin_ui(
    sessions: Sessions,
    users_admin: UserAdmin,
    operations: Operations,
    *,
    session_secret: str,
    secure_cookies: bool,
    environment_keys: Callable[[], Sequence[str]],
) -> tuple[list[BaseRoute], list[Middleware]]:
    """Routes under /admin (pages) and /admin/static (CSS, JS), and the middleware they need:
    the signed session cookie `sd_session` and the security headers. Raises WeakSessionSecret
    for a placeholder or guessable secret."""
    check_session_secret(session_secret)
    pages = Pages(environment_keys)
    ui = Ui(sessions, users_admin, operations, environment_keys, pages)
    routes: list[BaseRoute] = [
        Mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static"),
        *login.routes(ui),
        *board.routes(ui),
        *items.routes(ui),
        *incidents.routes(ui),
        *maintenance.routes(ui),
        *records.routes(ui),
        *users.routes(ui),
        Route("/admin/{rest:path}", public(ui, _not_found), methods=["GET", "POST"]),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SchemeSessions, secret_key=session_secret, always_secure=secure_cookies),
    ]
    return routes, middleware


class SchemeSessions:
    """Starlette's signed cookie sessions, whose cookie is `Secure` when the request came over
    HTTPS (its own scheme, or the one a trusted proxy tells: api/forwarded.py), or always with
    `secure_cookies`. Starlette fixes the flag once, so there is one middleware per flag."""

    def __init__(self, app: ASGIApp, *, secret_key: str, always_secure: bool) -> None:
        def sessions(secure: bool) -> SessionMiddleware:
            return SessionMiddleware(
                app,
                secret_key=secret_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE_S,
                path="/admin",
                same_site="strict",
                https_only=secure,
            )

        self._secure = sessions(True)
        self._plain = self._secure if always_secure else sessions(False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = scope["type"] in ("http", "websocket") and scope.get("scheme") in ("https", "wss")
        await (self._secure if secure else self._plain)(scope, receive, send)


async def _not_found(request: Request, ui: Ui) -> Response:
    return ui.pages.error(request, 404, "Not found", "There is no page at this address.")
