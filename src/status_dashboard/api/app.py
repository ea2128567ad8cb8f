"""The ASGI application: the raw dashboard path first, Starlette for everything else."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from status_dashboard.api.admin.common import AdminServices
from status_dashboard.api.admin.routes import ROUTES as ADMIN_ROUTES
from status_dashboard.api.asgi import ASGIApp, Receive, Scope, Send, send_problem
from status_dashboard.api.errors import (
    REFUSALS,
    TraceAndGuard,
    on_http_exception,
    on_problem,
    on_refusal,
    on_unexpected,
)
from status_dashboard.api.forwarded import forwarded_scope
from status_dashboard.api.measure import MeasuredRoutes, RouteMeter, StreamMeter, route_of
from status_dashboard.api.metrics import metrics_route
from status_dashboard.api.openapi import openapi_document
from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.api.public import PREFIX, PublicDashboard
from status_dashboard.api.push import push_route
from status_dashboard.api.request_log import TraceLogging
from status_dashboard.api.stream import (
    DEFAULT_MAX_STREAMS_PER_CLIENT,
    EventStream,
    is_stream_path,
)
from status_dashboard.api.tracing import new_trace_id, trace_headers
from status_dashboard.service.broadcast import DashboardBroadcaster
from status_dashboard.service.health import HealthReport
from status_dashboard.service.metrics import ServerMetrics
from status_dashboard.service.push import PushReceiver
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.service.tracing import ClientTracker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppParts:
    """What the HTTP layer needs from the composition root."""

    snapshot: DashboardSnapshot
    tracker: ClientTracker
    health: Callable[[], HealthReport]
    startup: Callable[[], Awaitable[None]]
    shutdown: Callable[[], Awaitable[None]]
    admin: AdminServices | None = None
    push: PushReceiver | None = None
    """Receives the heartbeats of push checks; None where no monitor store is wired."""
    extra_routes: Sequence[BaseRoute] = ()
    """Routes of sibling parts (the admin web UI), mounted beside the API's own."""
    middleware: Sequence[Middleware] = ()
    broadcaster: DashboardBroadcaster | None = None
    """Feeds the live streams (`.../stream`); without it those paths are dashboards' 404s."""
    metrics: ServerMetrics | None = None
    """Counts and times every answer; None measures nothing and serves no `/metrics`."""
    metrics_token: str | None = None
    """The bearer token of `GET /metrics`; None (or empty) turns that route off (404)."""
    trusted_proxies: frozenset[str] = frozenset()
    """Peers whose `X-Forwarded-Proto` is believed (api/forwarded.py)."""
    max_streams_per_client: int = DEFAULT_MAX_STREAMS_PER_CLIENT
    """Live streams one client address may hold open at once in this process."""


class StatusDashboardApp:
    def __init__(self, parts: AppParts) -> None:
        self._parts = parts
        metrics = parts.metrics
        self._dashboard = PublicDashboard(
            parts.snapshot,
            parts.tracker,
            None if metrics is None else RouteMeter(metrics, "dashboard"),
        )
        self._stream = (
            None
            if parts.broadcaster is None
            else EventStream(
                self._dashboard,
                parts.broadcaster,
                None if metrics is None else StreamMeter(metrics),
                max_per_client=parts.max_streams_per_client,
            )
        )
        routes: ASGIApp = TraceAndGuard(TraceLogging(_framework_routes(parts)))
        self._routes = routes if metrics is None else MeasuredRoutes(routes, metrics)

    def close_streams(self) -> None:
        """End every live stream now, on the event loop. The server calls this when asked to
        stop, before it waits for open answers to finish: a stream never finishes by itself."""
        if self._parts.broadcaster is not None:
            self._parts.broadcaster.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path.startswith(PREFIX):
                handler: ASGIApp = self._dashboard
                if self._stream is not None and is_stream_path(path):
                    # Streams are capped per client: behind a proxy, the client it names.
                    handler = self._stream
                    scope = forwarded_scope(scope, self._parts.trusted_proxies)
                await self._guarded(handler, scope, receive, send)
            else:
                # The dashboard path builds no link and sets no cookie: only the rest needs
                # the scheme the client used.
                scope = forwarded_scope(scope, self._parts.trusted_proxies)
                await self._routes(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _guarded(self, handler: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        # The hot path has no framework around it, so it carries its own guard: a bug answers a
        # 500 problem with only an instance id, which the log line repeats.
        try:
            await handler(scope, receive, send)
        except Exception as exc:
            trace_id = new_trace_id()
            log.error("event=unhandled_error trace_id=%s path=%s", trace_id, PREFIX, exc_info=exc)
            if self._parts.metrics is not None:  # rare: a meter of its own is cheap enough
                meter = RouteMeter(self._parts.metrics, route_of(scope["path"]), timed=False)
                meter.counted(scope["method"], 500, "")
            with contextlib.suppress(Exception):  # the answer may have started already
                await send_problem(send, Problem(500), trace_id, trace_headers(trace_id, None))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                started = time.monotonic()
                try:
                    await self._parts.startup()
                except Exception as exc:
                    log.exception("event=startup_failed")
                    await send({"type": "lifespan.startup.failed", "message": type(exc).__name__})
                    return
                log.info("event=started seconds=%.3f", time.monotonic() - started)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close_streams()
                await self._parts.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _framework_routes(parts: AppParts) -> Starlette:
    openapi = orjson.dumps(openapi_document())

    async def health(request: Request) -> Response:
        report = parts.health()
        return Response(
            orjson.dumps(report.document()),
            report.http_status,
            {"cache-control": "no-store"},
            media_type="application/json",
        )

    async def openapi_json(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        keys = parts.snapshot.environment_keys()
        document = {
            "dashboards": {key: f"{base}{PREFIX}/{key}" for key in keys},
            "default": f"{base}{PREFIX}",
            "openapi": f"{base}/api/v1/openapi.json",
            "health": f"{base}/health",
        }
        return Response(orjson.dumps(document), media_type="application/json")

    routes: list[BaseRoute] = [
        Route("/api/v1", index, methods=["GET", "HEAD"]),
        Route("/api/v1/openapi.json", openapi_json, methods=["GET", "HEAD"]),
        Route("/health", health, methods=["GET", "HEAD"]),
    ]
    if parts.metrics is not None:
        routes.append(metrics_route(parts.metrics, parts.metrics_token))
    if parts.push is not None:
        routes.append(push_route(parts.push))
    if parts.admin is not None:
        routes.extend(ADMIN_ROUTES)
    routes.extend(parts.extra_routes)
    app = Starlette(
        routes=routes,
        middleware=list(parts.middleware),
        exception_handlers={
            HTTPException: on_http_exception,
            ProblemError: on_problem,
            **dict.fromkeys(REFUSALS, on_refusal),
            Exception: on_unexpected,
        },
    )
    app.state.admin = parts.admin
    return app
