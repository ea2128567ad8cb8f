"""With the database unreachable, the admin API answers 503 problem+json with Retry-After and
the admin UI a 503 page that says so: never the 500 of a bug, and within a second.

The application is the real composition (bootstrap's `ServerRuntime`) over HTTP on a loopback
port, on a PostgreSQL URL where nothing listens: every connection it opens is refused. Its
start-up, which would read that database, is not run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from status_dashboard.api.errors import unavailable_problem
from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings
from status_dashboard.store.errors import (
    RETRY_AFTER_S,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
)

from support.in_process import serving_in_thread
from support.server import CONFORMING_AGENT, free_port

ANSWER_LIMIT_S = 1.0
LIMIT_S = 15.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _without_start_up(app: Any) -> Any:
    """`app`, whose lifespan start-up and shutdown are acknowledged without running."""

    async def served(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return served


@pytest.fixture
def unreachable_server() -> Iterator[str]:
    """The service's application on Granian, in a thread, over a database nobody serves."""
    database = f"postgresql+psycopg://status:s3cret@127.0.0.1:{free_port()}/gone"
    settings = Settings(
        database_url=SecretStr(database),
        session_secret=SecretStr(
            "TFuuRBbrcremTKj9P6TC1IGA631r-SYrUfV1buZlyR4bgzyqxvEXZ2MUL7Lx4zth"
        ),
        monitor=False,
    )
    runtime = ServerRuntime(settings, open_stores(settings))
    try:
        with serving_in_thread(_without_start_up(runtime.app()), limit_s=LIMIT_S) as url:
            yield url
    finally:
        runtime.stores.close()


def _client(url: str, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, headers={"User-Agent": CONFORMING_AGENT, **headers}, timeout=10.0
    )


ADMIN_CALLS = [
    ("PATCH", "/api/admin/v1/dashboards/prod/items/" + "0" * 32, {"status_code": 2}),
    ("GET", "/api/admin/v1/dashboards/prod/items/" + "0" * 32 + "/history", None),
    ("POST", "/api/admin/v1/dashboards/prod/incidents", {"title": "IDP down", "impact": "major"}),
    ("GET", "/api/admin/v1/me", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS, ids=[c[1] for c in ADMIN_CALLS])
def test_an_admin_call_without_a_database_answers_503_problem_with_retry_after(
    unreachable_server: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    with _client(unreachable_server, Authorization="Bearer sd_some-operator-token") as client:
        started = time.monotonic()
        answer = client.request(method, path, json=body)
        took = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == str(RETRY_AFTER_S)
    assert answer.headers["cache-control"] == "no-store"
    problem = answer.json()
    assert problem["type"] == "urn:problem-type:belgif:serviceUnavailable"
    assert problem["status"] == 503
    assert problem["detail"] == (
        f"The database is unavailable at the moment; try again in {RETRY_AFTER_S} s"
    )
    assert problem["instance"] == f"urn:uuid:{answer.headers['belgov-trace-id']}"
    # The driver's reason names the database's host, port and user: not for the client.
    for secret in ("127.0.0.1", "s3cret", "status@", "refused"):
        assert secret not in answer.text
    assert took < ANSWER_LIMIT_S, f"answered after {took:.2f} s"


def test_signing_in_without_a_database_answers_a_503_page_that_says_so(
    unreachable_server: str,
) -> None:
    with _client(unreachable_server) as browser:
        form = browser.get("/admin/login")
        assert form.status_code == 200
        token = _CSRF.search(form.text)
        assert token, "the sign-in page has no CSRF field"
        answer = browser.post(
            "/admin/login",
            data={"csrf_token": token.group(1), "name": "olga", "password": "pw-long-enough-1"},
        )
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["retry-after"] == str(RETRY_AFTER_S)
    assert "Database unavailable" in answer.text
    assert f"Try again in {RETRY_AFTER_S} seconds" in answer.text
    assert "127.0.0.1" not in answer.text


PROBLEMS: list[tuple[str, Exception, int | None]] = [
    ("the database unreachable", StoreUnavailable("database unavailable: refused"), 503),
    ("the schema out of date", SchemaOutOfDate("run db upgrade"), None),
    ("another store error", StoreError("database rejected a statement"), None),
    ("a bug", KeyError("retry_after_s"), None),
]


@pytest.mark.parametrize(("case", "exc", "status"), PROBLEMS, ids=[c[0] for c in PROBLEMS])
def test_only_a_passing_outage_is_answered_with_503(
    case: str, exc: Exception, status: int | None
) -> None:
    problem = unavailable_problem(exc)
    assert (problem.status if problem else None) == status
    if problem is not None:
        assert dict(problem.headers) == {b"retry-after": str(RETRY_AFTER_S).encode()}
