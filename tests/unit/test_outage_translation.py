"""Which driver failures are a passing outage (`StoreUnavailable`, answered 503 with
Retry-After) and which are not: the connection's failures are, the statement's are not."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url

from status_dashboard.store.engine import POOL_WAIT_S, create_engine_for
from status_dashboard.store.errors import (
    RETRY_AFTER_S,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
    translated,
)
from status_dashboard.store.sql import SqlDashboardStore

from support.server import free_port

URL = make_url("postgresql+psycopg://status:s3cret@db.example/dashboard")
_STATEMENT = "SELECT revision FROM meta WHERE id = 1"

FAILURES: list[tuple[str, Exception, type[StoreError]]] = [
    (
        "the server refused the connection",
        sa_exc.OperationalError(_STATEMENT, None, psycopg.OperationalError("Connection refused")),
        StoreUnavailable,
    ),
    (
        "the server closed the connection mid-way",
        sa_exc.OperationalError(
            _STATEMENT,
            None,
            psycopg.OperationalError("consuming input failed: server closed the connection"),
            connection_invalidated=True,
        ),
        StoreUnavailable,
    ),
    (
        "the server is shutting down (admin_shutdown, 57P01)",
        sa_exc.OperationalError(_STATEMENT, None, pg.AdminShutdown("terminating connection")),
        StoreUnavailable,
    ),
    (
        "the server is starting up (cannot_connect_now, 57P03)",
        sa_exc.OperationalError(_STATEMENT, None, pg.CannotConnectNow("starting up")),
        StoreUnavailable,
    ),
    (
        "a connection failure the driver files as an internal error (class 08)",
        sa_exc.InternalError(_STATEMENT, None, pg.ConnectionFailure("connection failure")),
        StoreUnavailable,
    ),
    (
        "any driver error on a connection SQLAlchemy saw die",
        sa_exc.DatabaseError(
            _STATEMENT, None, psycopg.DatabaseError("lost"), connection_invalidated=True
        ),
        StoreUnavailable,
    ),
    (
        "every pooled connection in use past the pool's wait",
        sa_exc.TimeoutError(
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 5.00 "
            "(Background on this error at: https://sqlalche.me/e/20/3o7r)"
        ),
        StoreUnavailable,
    ),
    (
        "a connection that failed its check-out ping and could not be replaced",
        sa_exc.DisconnectionError("connection was invalidated"),
        StoreUnavailable,
    ),
    (
        "a table the code expects is missing",
        sa_exc.ProgrammingError(_STATEMENT, None, pg.UndefinedTable('relation "meta"')),
        SchemaOutOfDate,
    ),
    (
        "a statement the server rejects",
        sa_exc.ProgrammingError(_STATEMENT, None, pg.SyntaxError("syntax error at or near")),
        StoreError,
    ),
    (
        "a value the server cannot store",
        sa_exc.DataError(_STATEMENT, None, pg.NumericValueOutOfRange("integer out of range")),
        StoreError,
    ),
]


@pytest.mark.parametrize(
    ("case", "failure", "kind"), FAILURES, ids=[case for case, _, _ in FAILURES]
)
def test_a_driver_failure_becomes_the_store_error_of_its_kind(
    case: str, failure: Exception, kind: type[StoreError]
) -> None:
    with pytest.raises(StoreError) as raised, translated(URL):
        raise failure
    assert type(raised.value) is kind
    assert raised.value.__cause__ is None
    assert "\n" not in str(raised.value)
    assert "Background on this error" not in str(raised.value)


def test_only_a_passing_outage_says_when_to_try_again() -> None:
    assert StoreUnavailable("database unavailable: refused").retry_after_s == RETRY_AFTER_S
    for lasting in (StoreError("x"), SchemaOutOfDate("x")):
        assert not hasattr(lasting, "retry_after_s")


def test_a_postgresql_pool_waits_seconds_not_half_a_minute_for_a_free_connection() -> None:
    engine = create_engine_for("postgresql+psycopg://status@db.example/dashboard")
    try:
        assert engine.pool.timeout() == POOL_WAIT_S  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_a_server_that_refuses_connections_fails_a_read_at_once() -> None:
    engine = create_engine_for(f"postgresql+psycopg://status@127.0.0.1:{free_port()}/gone")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"^database unavailable: "):
            SqlDashboardStore(engine).revision()
        assert time.monotonic() - started < 2.0
    finally:
        engine.dispose()
