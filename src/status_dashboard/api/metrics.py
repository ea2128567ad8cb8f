"""`GET /metrics` on the service's own port: the Prometheus figures behind a bearer token.

The figures say how busy the service is and who calls it, so they are not public: the route
answers only with `Authorization: Bearer <STATUS_DASHBOARD_METRICS_TOKEN>`, and without that
setting it is a 404 like any unknown path (metrics are off here). A scraper on a private network
may use the metrics port instead (`api/metrics_port.py`), which asks for nothing.
"""

from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.service.metrics import CONTENT_TYPE, Metrics

METRICS_PATH = "/metrics"
_CHALLENGE = ((b"www-authenticate", b'Bearer realm="metrics"'),)


def metrics_route(metrics: Metrics, token: str | None) -> Route:
    """The route; `token` None or empty turns it off (404): an empty token would let an empty
    `Authorization: Bearer` in."""
    expected = token.encode("utf-8") if token else None

    async def serve(request: Request) -> Response:
        if expected is None:
            raise ProblemError(Problem(404, f"No resource at '{METRICS_PATH}'"))
        _authorize(request.headers.get("authorization", ""), expected)
        # A scrape renders every series: off the event loop, so the dashboards keep answering.
        body = await asyncio.to_thread(metrics.exposition)
        return Response(body, 200, {"cache-control": "no-store"}, media_type=CONTENT_TYPE)

    return Route(METRICS_PATH, serve, methods=["GET", "HEAD"])


def _authorize(header: str, expected: bytes) -> None:
    scheme, _, given = header.partition(" ")
    if not header or scheme.lower() != "bearer":
        raise ProblemError(
            Problem(
                401,
                "The Authorization header must carry the metrics token: 'Bearer <token>'",
                headers=_CHALLENGE,
            )
        )
    # Compared in constant time, so the answer's timing tells nothing of the token.
    if not hmac.compare_digest(given.strip().encode("utf-8", "replace"), expected):
        raise ProblemError(
            Problem(
                401,
                "The Authorization header's bearer token is not the metrics token",
                headers=_CHALLENGE,
                kind="invalidAccessToken",
            )
        )
