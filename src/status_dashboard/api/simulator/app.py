"""The simulator's ASGI application: its dashboard paths first, Starlette for the rest (the
scenario list, the conformance report, the index), errors as problem+json everywhere."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from status_dashboard.api.asgi import Receive, Scope, Send, send_problem
from status_dashboard.api.errors import (
    REFUSALS,
    TraceAndGuard,
    on_http_exception,
    on_problem,
    on_refusal,
    on_unexpected,
)
from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.api.simulator.dashboards import SimulatedDashboards
from status_dashboard.api.simulator.selection import is_dashboard_path
from status_dashboard.api.tracing import new_trace_id, trace_headers

log = logging.getLogger(__name__)


class SimulatorApp:
    def __init__(self, dashboards: SimulatedDashboards, routes: Sequence[BaseRoute]) -> None:
        self._dashboards = dashboards
        self._routes = TraceAndGuard(
            Starlette(
                routes=list(routes),
                exception_handlers={
                    HTTPException: on_http_exception,
                    ProblemError: on_problem,
                    **dict.fromkeys(REFUSALS, on_refusal),
                    Exception: on_unexpected,
                },
            )
        )

    def close_streams(self) -> None:
        """Called by the server when asked to stop, before it waits for open answers: the
        requests that `slow` and `timeout` hold are answered at once."""
        self._dashboards.release_held()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if is_dashboard_path(scope["path"]):
                await self._guarded(scope, receive, send)
            else:
                await self._routes(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The dashboard paths have no framework around them: a bug answers a 500 problem with
        # only an instance id, which the log line repeats.
        try:
            await self._dashboards(scope, receive, send)
        except Exception as exc:
            trace_id = new_trace_id()
            log.error("event=unhandled_error trace_id=%s", trace_id, exc_info=exc)
            with contextlib.suppress(Exception):  # the answer may have started already
                await send_problem(send, Problem(500), trace_id, trace_headers(trace_id, None))


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: the simulator holds no connection and no task."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
