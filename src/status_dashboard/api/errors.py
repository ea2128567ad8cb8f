"""Every error becomes a problem, in one place: Starlette's handlers for its routes, and an outer
guard for anything that escapes, including the raw dashboard path.

A database that cannot be reached for a moment is not a bug: it answers 503 with Retry-After
(`unavailable_problem`), logged as a warning, so that an operator's write fails cleanly and
its client knows when to try again. The store's `StoreUnavailable` is known by its
`retry_after_s` attribute, since this layer does not import the store.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from status_dashboard.api.asgi import ASGIApp, Message, Receive, Scope, Send, send_problem
from status_dashboard.api.problems import PROBLEM_JSON, InputIssue, Problem, ProblemError
from status_dashboard.api.tracing import new_trace_id, trace_headers
from status_dashboard.domain.errors import (
    CatalogConflict,
    ConflictError,
    DomainError,
    NotFoundError,
    UnknownEnvironment,
)
from status_dashboard.domain.idempotency import IdempotencyKeyReused
from status_dashboard.service import ServiceError
from status_dashboard.service.accounts import Forbidden, InvalidInput, Unauthenticated

log = logging.getLogger(__name__)

TRACE_ID = "status_dashboard.trace_id"
"""Where the answer's trace id waits in the ASGI scope, for handlers and the error guard."""


def _trace_id(request: Request) -> str:
    value = request.scope.get(TRACE_ID)
    return value if isinstance(value, str) else new_trace_id()


def problem_response(problem: Problem, trace_id: str) -> Response:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in problem.headers}
    headers["cache-control"] = "no-store"
    return Response(
        problem.body(trace_id), problem.status, headers, media_type=PROBLEM_JSON.decode()
    )


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers: tuple[tuple[bytes, bytes], ...] = ()
    if exc.headers and "Allow" in exc.headers:
        headers = ((b"allow", exc.headers["Allow"].encode("latin-1")),)
    detail = {
        404: f"No resource at '{request.url.path[:200]}'",
        405: f"Method {request.method[:16]} is not allowed here",
    }.get(exc.status_code, exc.detail)
    return problem_response(Problem(exc.status_code, detail, headers=headers), _trace_id(request))


async def on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.problem, _trace_id(request))


_CHALLENGE = ((b"www-authenticate", b'Bearer realm="status-dashboard"'),)


def retry_after_of(exc: BaseException) -> int | None:
    """The seconds to wait that a passing outage's exception carries; None for any other."""
    seconds = getattr(exc, "retry_after_s", None)
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds > 0:
        return seconds
    return None


def unavailable_problem(exc: BaseException) -> Problem | None:
    """503 with Retry-After for a passing outage (the database is down, restarting, or its
    connection was lost); None for anything else. The detail says what is missing, never the
    driver's reason, which names the database's host."""
    seconds = retry_after_of(exc)
    if seconds is None:
        return None
    return Problem(
        503,
        f"The database is unavailable at the moment; try again in {seconds} s",
        headers=((b"retry-after", str(seconds).encode("ascii")),),
    )


def log_unavailable(exc: BaseException, trace_id: str, path: str) -> None:
    reason = str(exc).replace('"', "'")[:300]
    log.warning(
        'event=store_unavailable trace_id=%s path=%s error=%s reason="%s"',
        trace_id, path[:200], type(exc).__name__, reason,
    )  # fmt: skip


def refusal_problem(exc: Exception) -> Problem | None:
    """The problem that answers a use case's refusal; None for anything else (a bug)."""
    if isinstance(exc, Unauthenticated):
        return Problem(401, str(exc), headers=_CHALLENGE, kind=exc.kind)
    if isinstance(exc, Forbidden):
        return Problem(403, str(exc))
    if isinstance(exc, InvalidInput):
        return Problem(400, str(exc), (InputIssue("body", exc.field, exc.detail),))
    if isinstance(exc, NotFoundError | UnknownEnvironment):
        return Problem(404, str(exc))
    if isinstance(exc, ConflictError | CatalogConflict):
        field = getattr(exc, "field", None)  # e.g. LastAdmin: the field that cannot change so
        issues = () if not isinstance(field, str) else (InputIssue("body", field, str(exc)),)
        return Problem(409, str(exc), issues)
    if isinstance(exc, IdempotencyKeyReused):
        # The draft's answer to a key reused with another payload: 422 Unprocessable Content.
        return Problem(422, str(exc), (InputIssue("header", "Idempotency-Key", str(exc)),))
    return None


async def on_refusal(request: Request, exc: Exception) -> Response:
    problem = refusal_problem(exc)
    if problem is None:
        return await on_unexpected(request, exc)
    return problem_response(problem, _trace_id(request))


REFUSALS = (ServiceError, DomainError)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    trace_id = _trace_id(request)
    request.scope[TRACE_ID + ".logged"] = True
    unavailable = unavailable_problem(exc)
    if unavailable is not None:
        log_unavailable(exc, trace_id, request.url.path)
        return problem_response(unavailable, trace_id)
    log.error("event=unhandled_error trace_id=%s path=%s", trace_id, request.url.path, exc_info=exc)
    return problem_response(Problem(500), trace_id)


class TraceAndGuard:
    """Outermost layer for framework routes: gives every answer its BelGov-Trace-Id, and turns an
    exception that escapes before the answer started into a 500 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        related = next((v for k, v in scope["headers"] if k == b"belgov-trace-id"), None)
        trace_id = new_trace_id()
        scope[TRACE_ID] = trace_id
        stamps = trace_headers(trace_id, related)
        started = False

        async def stamped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *stamps]
            await send(message)

        try:
            await self._app(scope, receive, stamped)
        except Exception as exc:
            unavailable = unavailable_problem(exc)
            if not scope.get(TRACE_ID + ".logged"):
                if unavailable is not None:
                    log_unavailable(exc, trace_id, str(scope.get("path", "")))
                else:
                    log.error("event=unhandled_error trace_id=%s", trace_id, exc_info=exc)
            if not started:
                await send_problem(send, unavailable or Problem(500), trace_id, stamps)
