"""Security headers on every answer under /admin, pages and static files alike (docs/design.md §7)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/admin"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """Pure ASGI, so that it also covers answers made by Starlette itself (404, 405)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        on_tls = scope.get("scheme") == "https"
        static = path.startswith(PREFIX + "/static/")

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers[name] = value
                if on_tls:
                    headers["Strict-Transport-Security"] = HSTS
                if not static:
                    # Pages show who is signed in and what they may do: never from a cache.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, stamped)
