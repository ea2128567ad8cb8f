"""`GET /api/v1/dashboard[/{environment}]/stream`: the dashboard as server-sent events.

On connect the stream sends `retry: 5000`, then the current dashboard (unless the request's
`Last-Event-ID` is already its ETag), then the dashboard again after every change of its ETag,
and a heartbeat every `STATUS_DASHBOARD_SSE_HEARTBEAT` seconds:

    event: dashboard
    id: "<the ETag of GET /api/v1/dashboard/{environment}>"
    data: <the body of GET /api/v1/dashboard/{environment}, on one line>

    event: heartbeat
    data: {"at": "2026-12-01T08:00:00Z"}

It is a plain ASGI callable beside the dashboard path, and shares that path's rules (which
environment, readiness, methods, client tracing, strict User-Agent) by asking it. An open stream
is one coroutine waiting on a future (service/broadcast.py); each event is encoded once and the
same bytes go to every stream, so thousands of open streams cost work only when they get data.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from status_dashboard.api.asgi import Receive, Scope, Send, send_problem
from status_dashboard.api.forwarded import client_address
from status_dashboard.api.negotiation import accepts_event_stream
from status_dashboard.api.problems import Problem
from status_dashboard.api.public import ALLOW, PREFIX, SAME_ORIGIN, PublicDashboard
from status_dashboard.api.tracing import new_trace_id, trace_headers
from status_dashboard.service.broadcast import DashboardBroadcaster, Subscriber
from status_dashboard.service.snapshot import RenderedDashboard

if TYPE_CHECKING:
    from status_dashboard.api.measure import StreamMeter

STREAM_SUFFIX = "/stream"
RETRY_MILLISECONDS = 5000
"""How long EventSource waits before it reconnects after the stream dropped."""

_RETRY = f"retry: {RETRY_MILLISECONDS}\n\n".encode("ascii")
_HEADERS = (
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    # nginx buffers proxied answers by default, which would hold events back until its
    # buffer fills; this header turns that off for this answer only.
    (b"x-accel-buffering", b"no"),
    (b"access-control-allow-origin", b"*"),
)
_PREFLIGHT = (
    (b"allow", ALLOW),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", ALLOW),
    (b"access-control-allow-headers", b"Accept, BelGov-Trace-Id, Last-Event-ID, Cache-Control"),
    (b"access-control-max-age", b"86400"),
)
_NOT_EVENT_STREAM = Problem(406, "This resource is only available as text/event-stream")
_STOPPING = Problem(
    503, "The server is stopping; reconnect shortly", headers=((b"retry-after", b"1"),)
)
DEFAULT_MAX_STREAMS_PER_CLIENT = 20
STREAMS_RETRY_AFTER_S = 30
"""How long a client refused for too many streams is asked to wait before it tries again."""


def is_stream_path(path: str) -> bool:
    """True for `.../stream` under the dashboard prefix, `/api/v1/dashboard/stream` included:
    that is the default environment's stream, never the dashboard of an environment "stream"."""
    return path.endswith(STREAM_SUFFIX) and path.startswith(PREFIX)


class EventFrames:
    """Each event's bytes, encoded by the first stream that needs them and reused by the rest."""

    def __init__(self) -> None:
        self._dashboards: dict[str, tuple[bytes, bytes]] = {}
        self._heartbeat: tuple[int, bytes] = (-1, b"")

    def dashboard(self, dashboard: RenderedDashboard) -> bytes:
        plain = dashboard.identity
        cached = self._dashboards.get(dashboard.environment_key)
        if cached is not None and cached[0] == plain.etag:
            return cached[1]
        # The body is orjson's, which escapes every line break inside strings: it is one line,
        # so one `data:` field carries it unchanged.
        frame = b"event: dashboard\nid: " + plain.etag + b"\ndata: " + plain.body + b"\n\n"
        self._dashboards[dashboard.environment_key] = (plain.etag, frame)
        return frame

    def heartbeat(self, beat: int, at: datetime) -> bytes:
        if self._heartbeat[0] != beat:
            stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            frame = f'event: heartbeat\ndata: {{"at": "{stamp}"}}\n\n'.encode("ascii")
            self._heartbeat = (beat, frame)
        return self._heartbeat[1]


class EventStream:
    def __init__(
        self,
        dashboards: PublicDashboard,
        broadcaster: DashboardBroadcaster,
        meter: StreamMeter | None = None,
        max_per_client: int = DEFAULT_MAX_STREAMS_PER_CLIENT,
    ) -> None:
        self._dashboards = dashboards
        self._broadcaster = broadcaster
        self._frames = EventFrames()
        self._meter = meter
        self._max_per_client = max_per_client
        self._too_many = Problem(
            429,
            f"At most {max_per_client} live streams per client; close one or try again later",
            headers=((b"retry-after", str(STREAMS_RETRY_AFTER_S).encode("ascii")),),
        )
        # Open streams per client address. Only the event loop touches it: no lock.
        self._open: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = user_agent = last_event_id = fetch_site = b""
        related: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value
            elif name == b"sec-fetch-site":
                fetch_site = value
            elif name == b"user-agent":
                user_agent = value
            elif name == b"last-event-id":
                last_event_id = value
            elif name == b"belgov-trace-id":
                related = value
        trace_id = new_trace_id()
        stamps = trace_headers(trace_id, related)
        method = scope["method"]
        path = scope["path"][: -len(STREAM_SUFFIX)]

        dashboard, problem = self._dashboards.resolve(path, method)
        if problem is None and dashboard is not None:
            refusal = None if accepts_event_stream(accept) else _NOT_EVENT_STREAM
            problem = self._dashboards.admit(
                dashboard, user_agent, refusal, own_page=fetch_site == SAME_ORIGIN
            )
        if problem is None and self._broadcaster.closed:
            problem = _STOPPING
        streams = method == "GET" and problem is None and dashboard is not None
        client = client_address(HTTPConnection(scope)) if streams else ""
        if streams and self._open.get(client, 0) >= self._max_per_client:
            problem, streams = self._too_many, False
        if not streams:
            await self._answer(
                method, path, dashboard, problem, last_event_id, trace_id, stamps, receive, send
            )
            return
        # Counted before the first await: the client's next request already sees this stream.
        self._open[client] = self._open.get(client, 0) + 1
        try:
            await self._answer(
                method, path, dashboard, problem, last_event_id, trace_id, stamps, receive, send
            )
        finally:
            left = self._open.pop(client) - 1
            if left:
                self._open[client] = left

    async def _answer(
        self,
        method: str,
        path: str,
        dashboard: RenderedDashboard | None,
        problem: Problem | None,
        last_event_id: bytes,
        trace_id: str,
        stamps: list[tuple[bytes, bytes]],
        receive: Receive,
        send: Send,
    ) -> None:
        meter = self._meter
        if problem is not None or dashboard is None:
            problem = problem or Problem(503)
            if meter is not None:
                meter.answered(
                    method, problem.status, dashboard.environment_key if dashboard else ""
                )
            head_only = method == "HEAD"
            await send_problem(send, problem, trace_id, stamps, head_only=head_only)
            return
        if meter is not None:
            meter.answered(method, 204 if method == "OPTIONS" else 200, dashboard.environment_key)
        if method == "OPTIONS":
            await send(
                {"type": "http.response.start", "status": 204, "headers": [*_PREFLIGHT, *stamps]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [*_HEADERS, *stamps]})
        if method == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        topic = None if path == PREFIX else path[len(PREFIX) + 1 :]
        known = dashboard.identity.etag if _names(last_event_id, dashboard) else None
        with contextlib.nullcontext() if meter is None else meter.streaming():
            await self._stream(topic, known, receive, send)

    async def _stream(
        self, topic: str | None, sent: bytes | None, receive: Receive, send: Send
    ) -> None:
        """Send what changed until the client goes, the environment goes, or the server stops."""
        broadcaster = self._broadcaster
        beat = broadcaster.beats
        await send({"type": "http.response.body", "body": _RETRY, "more_body": True})
        with broadcaster.subscribe(topic) as subscriber:
            departure = _Departure(receive, subscriber)
            try:
                # The state is read afresh on every turn, and the stream waits only when it has
                # sent all of it: so a wakeup that came while it was sending cannot be missed.
                while not (departure.gone or broadcaster.closed):
                    dashboard = broadcaster.dashboard(topic)
                    if dashboard is None:
                        break  # the environment was removed: a reconnect will get its 404
                    if dashboard.identity.etag != sent:
                        sent = dashboard.identity.etag
                        frame = self._frames.dashboard(dashboard)
                    elif broadcaster.beats != beat:
                        beat = broadcaster.beats
                        frame = self._frames.heartbeat(beat, broadcaster.beat_at)
                    else:
                        await subscriber.wait()
                        continue
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
            finally:
                departure.stop()
        if not departure.gone:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _names(last_event_id: bytes, dashboard: RenderedDashboard) -> bool:
    """True when a reconnecting client's Last-Event-ID is the current ETag (quoted or bare)."""
    if not last_event_id:
        return False
    etag = dashboard.identity.etag
    given = last_event_id.strip()
    return given == etag or given == etag.strip(b'"')


class _Departure:
    """Notices the client leaving (ASGI `http.disconnect`) by a callback on `receive()`.

    Servers that keep sending into a closed connection without an error (Granian does) would
    otherwise keep a stream of a gone client until the process stops. Granian's `receive()`
    gives a future, so listening costs no task; elsewhere `ensure_future` makes one.
    """

    __slots__ = ("_pending", "_receive", "_subscriber", "gone")

    def __init__(self, receive: Receive, subscriber: Subscriber) -> None:
        self._receive = receive
        self._subscriber = subscriber
        self._pending: asyncio.Future[Any] | None = None
        self.gone = False
        self._listen()

    def _listen(self) -> None:
        pending = asyncio.ensure_future(self._receive())
        self._pending = pending
        pending.add_done_callback(self._heard)

    def _heard(self, pending: asyncio.Future[Any]) -> None:
        if self._pending is not pending:
            return  # stopped
        heard = None if pending.cancelled() or pending.exception() else pending.result()
        if heard is not None and heard.get("type") == "http.request":
            self._listen()  # a part of the request body, which a stream ignores
            return
        self.gone = True
        self._subscriber.wake()

    def stop(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
