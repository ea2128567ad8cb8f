"""`POST /api/v1/push/{token}`: the heartbeat of a push check (docs/design.md §4).

Any method but POST is refused with 405, so a crawler or a prefetching browser that follows the
URL cannot keep a dead service looking alive.
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.service.push import PushReceiver

PUSH_PATH = "/api/v1/push/{token}"


def push_route(receiver: PushReceiver) -> Route:
    async def push(request: Request) -> Response:
        token = request.path_params["token"]
        at = await asyncio.to_thread(receiver.receive, token)
        if at is None:
            raise ProblemError(Problem(404, "no push check has this token"))
        document = {"status": "received", "at": as_utc(at).isoformat()}
        return Response(
            orjson.dumps(document),
            200,
            {"cache-control": "no-store"},
            media_type="application/json",
        )

    return Route(PUSH_PATH, push, methods=["POST"])
