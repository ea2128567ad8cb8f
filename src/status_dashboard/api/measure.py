"""Requests counted and timed, by route: the hot path's meter and the framework routes' wrapper.

A route is one of `service.metrics.ROUTES`, read from the path alone (`route_of`), and the
method is one of a few known ones or `other`: whatever a client sends, it adds no series. The
environment label is set only on the dashboard and its stream, and only to an environment the
snapshot knows (a 404 has none).

The dashboard path answers some ten thousand requests a second per process, so its meter does
no label lookup per request: each (method, status, environment) child is made once, on its first
answer, and kept in a dict of our own; a request then costs one dict lookup, one counter
increment and one histogram observation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.metrics import Counter

from status_dashboard.api.asgi import ASGIApp, Message, Receive, Scope, Send
from status_dashboard.api.public import PREFIX
from status_dashboard.api.stream import is_stream_path
from status_dashboard.domain.ids import KEY_PATTERN
from status_dashboard.service.metrics import ROUTES, ServerMetrics

_METHODS = {m: m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")}
_NOT_ENVIRONMENTS = frozenset(
    {"admin", "api", "badges", "feeds", "health", "history", "items", "metrics", "static"}
)


def method_label(method: str) -> str:
    """The method as a label: the usual ones as they are, anything else `other`."""
    return _METHODS.get(method, "other")


def route_of(path: str) -> str:
    """Which part of the service answers `path`, as the `route` label."""
    if path.startswith(PREFIX):
        return "stream" if is_stream_path(path) else "dashboard"
    if path.startswith("/api/v1/push/"):
        return "push"
    if path == "/health":
        return "health"
    if path == "/admin" or path.startswith(("/admin/", "/api/admin/")):
        return "admin"
    if path.startswith("/feeds/"):
        return "feed"
    if path.startswith("/badges/"):
        return "badge"
    return "page" if _is_page(path) else "other"


def _is_page(path: str) -> bool:
    """`/`, `/history`, `/items/{id}`, `/static/{name}`, `/{env}` and `/{env}/history`."""
    segments = path[1:].split("/")
    first, rest = segments[0], segments[1:]
    if path in ("/", "/history"):
        return True
    if first in ("items", "static"):
        return len(rest) == 1 and rest[0] != ""
    is_environment = (
        first not in _NOT_ENVIRONMENTS
        and "." not in first
        and KEY_PATTERN.fullmatch(first) is not None
    )
    return is_environment and rest in ([], ["history"])


class RouteMeter:
    """Counts and times the answers of one route."""

    __slots__ = ("_children", "_latency", "_requests", "_route")

    def __init__(self, metrics: ServerMetrics, route: str, *, timed: bool = True) -> None:
        """`timed`: whether the route's answers are timed (a stream's is not: it lasts)."""
        self._route = route
        self._requests = metrics.requests
        self._latency = metrics.request_duration.labels(route) if timed else None
        self._children: dict[tuple[str, int, str], Counter] = {}

    def answered(self, method: str, status: int, environment: str, started: float) -> None:
        """One answer of `status`, begun at `started` (`time.perf_counter()`)."""
        if self._latency is not None:
            self._latency.observe(time.perf_counter() - started)
        self.counted(method, status, environment)

    def counted(self, method: str, status: int, environment: str) -> None:
        """One answer of `status`, counted but not timed (a stream's start)."""
        # Keyed by the label, not the raw method: odd methods must not grow the dict either.
        key = (_METHODS.get(method, "other"), status, environment)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._requests.labels(
                self._route, key[0], str(status), environment
            )
        child.inc()


class MeasuredRoutes:
    """The framework's routes, each answer counted and timed under the route its path names."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self._app = app
        # The dashboard and its stream never come here (the app gives them their raw handlers).
        self._meters = {
            route: RouteMeter(metrics, route)
            for route in ROUTES
            if route not in ("dashboard", "stream")
        }
        self._other = self._meters["other"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before it answers

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, watched)
        finally:
            meter = self._meters.get(route_of(scope["path"]), self._other)
            meter.answered(scope["method"], status, "", started)


class StreamMeter:
    """The live streams' answers, counted when they start, and the streams open."""

    __slots__ = ("_answers", "_open", "_opened")

    def __init__(self, metrics: ServerMetrics) -> None:
        self._answers = RouteMeter(metrics, "stream", timed=False)
        self._open = metrics.sse_open
        self._opened = metrics.sse_opened

    def answered(self, method: str, status: int, environment: str) -> None:
        self._answers.counted(method, status, environment)

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """For the life of one open stream."""
        self._opened.inc()
        self._open.inc()
        try:
            yield
        finally:
            self._open.dec()
