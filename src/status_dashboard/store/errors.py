"""Store errors, and how a driver's exceptions become them.

    StoreError                 base of every error the store raises; `str()` is safe to show
    ├── UnsupportedDatabase    the URL names a database the service does not run on
    ├── StoreUnavailable       the database cannot be reached now (down, restarting, refused,
    │                          timed out, the connection lost mid-way, no pooled connection
    │                          free); worth retrying in `retry_after_s` seconds
    └── SchemaOutOfDate        the database has not been migrated to this version: run
                               `status-dashboard db upgrade`

Catalog contradictions are the domain's own `CatalogConflict`, raised unchanged.

The HTTP layers answer `StoreUnavailable` with 503 and a Retry-After header. They do not
import the store (the layers' contract), so they know a passing outage by the exception's
`retry_after_s` attribute alone.

Driver messages are long, multi-line, and may echo the statement and its parameters; the
`translated` boundary keeps the first line of the driver's reason and masks the URL's password,
so an error can be logged or shown without leaking a secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL
from sqlalchemy import exc as sa_exc


class StoreError(Exception):
    """Base of every error the store raises."""


class UnsupportedDatabase(StoreError):
    """The database URL names an engine or driver the service does not support."""


RETRY_AFTER_S = 5
"""How long a client is asked to wait after `StoreUnavailable`: a PostgreSQL restart or a
failover takes seconds, and a SQLite write lock is held for milliseconds."""


class StoreUnavailable(StoreError):
    """The database cannot be reached, refused the connection, or lost it mid-way."""

    retry_after_s: int = RETRY_AFTER_S


class SchemaOutOfDate(StoreError):
    """The tables this version needs are missing: the database has not been migrated."""


_UPGRADE_HINT = "the database schema is missing or out of date; run `status-dashboard db upgrade`"

# How SQLite (by message) and PostgreSQL (by SQLSTATE undefined_table, undefined_column) say
# that a table or column the code expects is not there, i.e. migrations have not run.
_SQLITE_MISSING = ("no such table", "no such column")
_POSTGRES_MISSING = {"42P01", "42703"}
# SQLSTATEs of a server that is going or not there yet, whatever class the driver gives them:
# connection exceptions (class 08), and admin_shutdown, crash_shutdown, cannot_connect_now
# (the server is starting, in recovery, or shutting down).
_POSTGRES_GONE_CLASS = "08"
_POSTGRES_GONE = {"57P01", "57P02", "57P03"}


@contextmanager
def translated(url: URL) -> Iterator[None]:
    """Turn driver exceptions raised inside the block into `StoreError`s with a short reason.

    `IntegrityError` passes through untouched: only the caller knows what a violated constraint
    means (a catalog conflict, an unknown environment, ...).
    """
    try:
        yield
    except sa_exc.IntegrityError:
        raise
    except sa_exc.DBAPIError as exc:
        raise driver_error(exc, url) from None
    except (sa_exc.TimeoutError, sa_exc.DisconnectionError) as exc:
        # The pool's own: every connection is in use past the pool's wait, or a connection
        # failed its check-out ping and could not be replaced.
        raise StoreUnavailable(f"database unavailable: {_pool_reason(exc)}") from None


def driver_error(exc: sa_exc.DBAPIError, url: URL) -> StoreError:
    """The store's error for a driver's exception (not an `IntegrityError`)."""
    reason = reason_of(exc, url)
    if _schema_missing(exc, reason):
        return SchemaOutOfDate(f"{_UPGRADE_HINT} ({reason})")
    if _connection_gone(exc):
        return StoreUnavailable(f"database unavailable: {reason}")
    if isinstance(exc, sa_exc.ProgrammingError):
        return StoreError(f"database rejected a statement: {reason}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return StoreUnavailable(f"database unavailable: {reason}")
    return StoreError(f"database error: {reason}")


def _connection_gone(exc: sa_exc.DBAPIError) -> bool:
    """Whether the failure was the connection's, not the statement's: SQLAlchemy saw the
    connection invalidated (its dialect knows each driver's "server closed the connection"), or
    PostgreSQL said it is going or not there yet."""
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if not isinstance(sqlstate, str):
        return False
    return sqlstate.startswith(_POSTGRES_GONE_CLASS) or sqlstate in _POSTGRES_GONE


def _pool_reason(exc: sa_exc.SQLAlchemyError) -> str:
    """SQLAlchemy's message without its "(Background on this error at: ...)" link."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first.split(" (Background on this error")[0].strip()


def _schema_missing(exc: sa_exc.DBAPIError, reason: str) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _POSTGRES_MISSING:
        return True
    return reason.startswith(_SQLITE_MISSING)


def reason_of(exc: sa_exc.DBAPIError, url: URL) -> str:
    """The driver's own first line, without the statement, parameters or password."""
    text = str(exc.orig).strip() if exc.orig is not None else type(exc).__name__
    first = text.splitlines()[0].strip() if text else type(exc.orig).__name__
    if url.password:
        first = first.replace(str(url.password), "***")
    return first
