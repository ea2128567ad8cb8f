"""The trace ids of a request on every log line it causes (docs/design.md §3: logs carry both).

Sits inside `errors.TraceAndGuard`, which gives the answer its BelGov-Trace-Id, and binds that
id and the request's own BelGov-Trace-Id (when it is one the answer echoes) to the context the
request runs in; work handed to threads (`asyncio.to_thread`) copies the context, so the lines
of the services it calls carry them too.
"""

from __future__ import annotations

from status_dashboard.api.asgi import ASGIApp, Receive, Scope, Send
from status_dashboard.api.errors import TRACE_ID
from status_dashboard.api.tracing import trace_headers
from status_dashboard.logs import bind_trace, unbind_trace


class TraceLogging:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        trace_id = scope.get(TRACE_ID)
        if not isinstance(trace_id, str):
            await self._app(scope, receive, send)
            return
        token = bind_trace(trace_id, _echoed_related(scope, trace_id))
        try:
            await self._app(scope, receive, send)
        finally:
            unbind_trace(token)


def _echoed_related(scope: Scope, trace_id: str) -> str | None:
    """The request's BelGov-Trace-Id if the answer echoes it: the same rule keeps a forged
    header (spaces, `key=value`) out of the answer and out of the log."""
    related = next((v for k, v in scope["headers"] if k == b"belgov-trace-id"), None)
    stamps = trace_headers(trace_id, related)
    return stamps[1][1].decode("ascii") if len(stamps) > 1 else None
