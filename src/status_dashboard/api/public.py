"""`GET /api/v1/dashboard[/{environment}]`: the hot path, as a plain ASGI callable.

A request here is a lookup of prebuilt bytes: no framework routing, no serialization, no
database. What it still does per request is what the contract asks: choose the coding, answer
conditional requests, count the client, and stamp trace ids.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from status_dashboard.api.asgi import Receive, Scope, Send, send_problem
from status_dashboard.api.negotiation import accepts_json, preferred_encoding
from status_dashboard.api.problems import InputIssue, Problem
from status_dashboard.api.tracing import new_trace_id, trace_headers
from status_dashboard.service.snapshot import DashboardSnapshot, RenderedDashboard, Representation
from status_dashboard.service.tracing import ClientTracker, user_agent_conforms

if TYPE_CHECKING:
    from status_dashboard.api.measure import RouteMeter

PREFIX = "/api/v1/dashboard"
ALLOW = b"GET, HEAD, OPTIONS"
_PREFLIGHT = (
    (b"allow", ALLOW),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", ALLOW),
    (b"access-control-allow-headers", b"Accept, BelGov-Trace-Id, If-None-Match, If-Modified-Since"),
    (b"access-control-max-age", b"86400"),
)
_NOT_JSON = Problem(406, "This resource is only available as application/json")
_USER_AGENT_HINT = (
    "User-Agent must identify the software and its connector as "
    "'{product}/{version} {connector}/{version}', e.g. 'myProduct/62.310.4 Technical/3.19.0'"
)


class PublicDashboard:
    def __init__(
        self, snapshot: DashboardSnapshot, tracker: ClientTracker, meter: RouteMeter | None = None
    ) -> None:
        self._snapshot = snapshot
        self._tracker = tracker
        self._meter = meter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        meter = self._meter
        if meter is None:
            await self._answer(scope, send)
            return
        started = time.perf_counter()
        status, environment = await self._answer(scope, send)
        meter.answered(scope["method"], status, environment, started)

    async def _answer(self, scope: Scope, send: Send) -> tuple[int, str]:
        """Answer the request; its status, and the environment answered for ("" if none)."""
        trace_id = new_trace_id()
        accept = accept_encoding = user_agent = if_none_match = if_modified_since = b""
        fetch_site = b""
        related: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value
            elif name == b"sec-fetch-site":
                fetch_site = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"user-agent":
                user_agent = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"if-modified-since":
                if_modified_since = value
            elif name == b"belgov-trace-id":
                related = value
        stamps = trace_headers(trace_id, related)
        head_only = scope["method"] == "HEAD"

        dashboard, problem = self.resolve(scope["path"], scope["method"])
        if problem is None and dashboard is not None:
            refusal = None if accepts_json(accept) else _NOT_JSON
            problem = self.admit(dashboard, user_agent, refusal, own_page=fetch_site == SAME_ORIGIN)
        if problem is not None or dashboard is None:
            problem = problem or Problem(503)
            await send_problem(send, problem, trace_id, stamps, head_only=head_only)
            return problem.status, "" if dashboard is None else dashboard.environment_key
        environment = dashboard.environment_key
        if scope["method"] == "OPTIONS":
            await send(
                {"type": "http.response.start", "status": 204, "headers": [*_PREFLIGHT, *stamps]}
            )
            await send({"type": "http.response.body", "body": b""})
            return 204, environment

        chosen = dashboard.representation(preferred_encoding(accept_encoding))
        if _not_modified(dashboard, chosen, if_none_match, if_modified_since):
            headers = [*chosen.not_modified_headers, *stamps]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return 304, environment
        await send(
            {"type": "http.response.start", "status": 200, "headers": [*chosen.headers, *stamps]}
        )
        await send({"type": "http.response.body", "body": b"" if head_only else chosen.body})
        return 200, environment

    def resolve(self, path: str, method: str) -> tuple[RenderedDashboard | None, Problem | None]:
        """The dashboard the path names, or the problem that answers instead (the live stream
        asks the same for its path without the `/stream` suffix)."""
        if path == PREFIX:
            key = None
        else:
            key = path[len(PREFIX) + 1 :]
            if path[len(PREFIX)] != "/" or not key or "/" in key:
                return None, Problem(404, f"No resource at '{path[:200]}'")
        if not self._snapshot.ready:
            return None, Problem(
                503,
                "The dashboard is starting; try again shortly",
                headers=((b"retry-after", b"1"),),
            )
        dashboard = self._snapshot.lookup(key)
        if dashboard is None:
            return None, Problem(404, f"No dashboard for environment '{(key or '')[:64]}'")
        if method not in ("GET", "HEAD", "OPTIONS"):
            return None, Problem(
                405,
                f"Method {method[:16]} is not allowed here; use GET",
                headers=((b"allow", ALLOW),),
            )
        return dashboard, None

    def admit(
        self,
        dashboard: RenderedDashboard,
        user_agent: bytes,
        not_acceptable: Problem | None,
        *,
        own_page: bool = False,
    ) -> Problem | None:
        """Count the client, then refuse it if the environment asks more than it gives.

        `not_acceptable` is the caller's 406 when its content negotiation failed: a refused
        client is counted all the same, and the 406 wins over the strict User-Agent rule.
        `own_page`: the browser says the request comes from our own status page
        (`Sec-Fetch-Site: same-origin`), whose script cannot set a User-Agent; the strict rule
        is for partners' clients, so it lets the page through."""
        agent = user_agent.decode("latin-1")
        conforming = user_agent_conforms(agent) if agent else False
        self._tracker.seen(dashboard.environment_key, agent, conforming, time.time())
        if not_acceptable is not None:
            return not_acceptable
        if dashboard.strict and not conforming and not own_page:
            issue = InputIssue("header", "User-Agent", _USER_AGENT_HINT, agent[:200] or None)
            return Problem(
                400,
                f"Environment '{dashboard.environment_key}' requires a conforming User-Agent header",
                issues=(issue,),
            )
        return None


SAME_ORIGIN = b"same-origin"


def _not_modified(
    dashboard: RenderedDashboard,
    chosen: Representation,
    if_none_match: bytes,
    if_modified_since: bytes,
) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when present; If-Modified-Since only without it."""
    if if_none_match:
        return if_none_match == chosen.etag or _etag_listed(if_none_match, chosen.etag)
    if if_modified_since:
        since = _http_date(if_modified_since)
        return since is not None and dashboard.last_modified.timestamp() <= since
    return False


def _etag_listed(header: bytes, etag: bytes) -> bool:
    for candidate in header.split(b","):
        candidate = candidate.strip()
        if candidate == b"*" or candidate.removeprefix(b"W/") == etag:
            return True
    return False


@lru_cache(maxsize=256)
def _http_date(value: bytes) -> float | None:
    try:
        moment: Any = parsedate_to_datetime(value.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return float(moment.timestamp())
