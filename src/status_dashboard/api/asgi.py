"""The few ASGI types and helpers the raw handlers share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from status_dashboard.api.problems import PROBLEM_JSON, Problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def send_problem(
    send: Send,
    problem: Problem,
    trace_id: str,
    stamps: Sequence[tuple[bytes, bytes]],
    *,
    head_only: bool = False,
) -> None:
    """Answer with `problem` as application/problem+json; its instance is the answer's trace id."""
    body = problem.body(trace_id)
    headers = [
        (b"content-type", PROBLEM_JSON),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
        *problem.headers,
        *stamps,
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else body})
