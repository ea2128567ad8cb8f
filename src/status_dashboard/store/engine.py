"""One SQLAlchemy engine per database URL, configured for how the service uses it.

SQLite is the one-machine engine: WAL lets readers proceed while one writer commits, and the
service takes over BEGIN from the sqlite3 driver so that every transaction really is one (the
driver's legacy mode starts none for SELECT or DDL) and so that writes can start with
`BEGIN IMMEDIATE`, taking the write lock up front instead of failing half-way with "database is
locked". PostgreSQL is the distributed engine, always through psycopg 3.

A PostgreSQL that goes away (a crash, a restart, a failover) leaves the pool full of dead
connections; each is pinged when checked out and replaced when the ping fails, so the pool
recovers by itself once the server is back, and no request fails on a connection that died
while it sat in the pool. While the server is gone, a request fails within seconds: a refused
connection at once, an unanswered one after `CONNECT_TIMEOUT_S`, and a wait for a pooled
connection after `POOL_WAIT_S`; all of them as `StoreUnavailable`.

A server that is there but does not answer (frozen, or a statement stuck behind a lock) is
bounded too, by `timeout_s` (the setting `database_timeout`, default `DEFAULT_TIMEOUT_S`):
PostgreSQL cancels a statement or a lock wait a little before it (`statement_timeout` and
`lock_timeout` at `SERVER_SHARE` of it), the kernel gives up on a connection whose packets go
unacknowledged that long (`tcp_user_timeout`) and probes idle ones (TCP keepalives), and
`store.watchdog` ends any call still unanswered at the bound from the client's side, which is
what catches a frozen server whose kernel still acknowledges every packet. Migrations run
unbounded: an operator runs them and they may be long.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import URL, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url

from status_dashboard.store.errors import StoreError, UnsupportedDatabase

DEFAULT_URL = "sqlite:///./var/status-dashboard.db"

IMMEDIATE = "status_dashboard_begin_immediate"
"""Execution option: on SQLite, begin this connection's transactions with BEGIN IMMEDIATE."""

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    # NORMAL is durable across application crashes in WAL mode; only a power cut can lose the
    # last commits, which the next catalog load or check result restores.
    "PRAGMA synchronous=NORMAL",
)

CONNECT_TIMEOUT_S = 5
"""How long a new PostgreSQL connection may take; also keeps /health and startup from hanging."""
DEFAULT_TIMEOUT_S = 5.0
"""How long one PostgreSQL statement, commit or rollback may take unless the settings say."""
SERVER_SHARE = 0.8
"""PostgreSQL's own `statement_timeout` and `lock_timeout`, as a share of the bound."""
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT = 10, 5, 3
"""An idle connection to a machine that went away is found dead after 10 + 3 x 5 s."""
POOL_WAIT_S = 5.0
"""How long a request waits for a pooled connection when all are in use (SQLAlchemy's default
is 30 s: a request held that long behind connections that each wait for an unreachable server
is a hang to its client)."""

_POSTGRES_SCHEMES = {"postgresql+psycopg", "postgresql", "postgres"}
_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite"}
_EXPECTED = "expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"


def create_engine_for(url: str, timeout_s: float | None = DEFAULT_TIMEOUT_S) -> sqlalchemy.Engine:
    """An engine for `url`; raises `UnsupportedDatabase` for any other kind of database.

    On PostgreSQL every call fails after `timeout_s` seconds without an answer; None leaves the
    calls unbounded (migrations)."""
    parsed = parse_url(url)
    if parsed.drivername in _SQLITE_SCHEMES:
        return _sqlite_engine(parsed)
    return _postgres_engine(parsed, timeout_s)


def parse_url(url: str) -> URL:
    """`url` checked and normalised: PostgreSQL URLs always name the psycopg driver."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        # The text is not echoed: an unparsable URL may still contain a password.
        raise UnsupportedDatabase(f"the database URL could not be read; {_EXPECTED}") from None
    if parsed.drivername in _POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_SCHEMES:
        return parsed
    raise UnsupportedDatabase(f"unsupported database {parsed.drivername!r}; {_EXPECTED}")


def immediate(engine: sqlalchemy.Engine) -> sqlalchemy.Engine:
    """The same engine (and pool), whose transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{IMMEDIATE: True})


def _sqlite_engine(url: URL) -> sqlalchemy.Engine:
    if _is_file_database(url):
        directory = Path(str(url.database)).parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create {directory} for the database: {exc.strerror}"
            ) from None
    engine = sqlalchemy.create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # None stops the driver from issuing BEGIN itself; `_begin` below does it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = "BEGIN IMMEDIATE" if connection.get_execution_options().get(IMMEDIATE) else "BEGIN"
        connection.exec_driver_sql(mode)

    return engine


def _is_file_database(url: URL) -> bool:
    database = url.database
    return bool(database) and database != ":memory:" and url.query.get("uri") != "true"


def _postgres_engine(url: URL, timeout_s: float | None) -> sqlalchemy.Engine:
    # The application name shows the service in pg_stat_activity. The URL may override it, the
    # connect timeout and the server options.
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "application_name" not in url.query:
        connect_args["application_name"] = "status-dashboard"
    if timeout_s is not None:
        connect_args.update(_bounds(url, timeout_s))
    try:
        engine = sqlalchemy.create_engine(
            url, pool_pre_ping=True, pool_timeout=POOL_WAIT_S, connect_args=connect_args
        )
    except ImportError:
        raise UnsupportedDatabase(
            "PostgreSQL support is not installed: install status-dashboard[postgres]"
        ) from None
    if timeout_s is not None:
        _watch_calls(engine, timeout_s)
    return engine


def _bounds(url: URL, timeout_s: float) -> dict[str, Any]:
    """libpq parameters that bound what the server and the kernel wait for."""
    bound_ms = max(1, round(timeout_s * 1000))
    # The server gives up first: its cancel leaves the connection usable, where the watchdog's
    # (at the bound itself) has to end it.
    server_ms = max(1, round(bound_ms * SERVER_SHARE))
    bounds: dict[str, Any] = {
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE_S,
        "keepalives_interval": KEEPALIVE_INTERVAL_S,
        "keepalives_count": KEEPALIVE_COUNT,
        "tcp_user_timeout": bound_ms,
    }
    if "options" not in url.query:
        bounds["options"] = f"-c statement_timeout={server_ms} -c lock_timeout={server_ms}"
    return {name: value for name, value in bounds.items() if name not in url.query}


def _watch_calls(engine: sqlalchemy.Engine, timeout_s: float) -> None:
    from status_dashboard.store import watchdog  # psycopg is there: the engine was made

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        return watchdog.connect(timeout_s, *cargs, **cparams)
