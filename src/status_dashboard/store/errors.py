"""Store errors, and how a driver's exceptions become them.

    StoreError                 base of every error the store raises; `str()` is safe to show
    ├── UnsupportedDatabase    the URL names a database the service does not run on
    ├── StoreUnavailable       the database cannot be reached now (down, refused, timed out);
    │                          worth retrying later
    └── SchemaOutOfDate        the database has not been migrated to this version: run
                               `status-dashboard db upgrade`

Catalog contradictions are the domain's own `CatalogConflict`, raised unchanged.

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


class StoreUnavailable(StoreError):
    """The database cannot be reached or refused the connection."""


class SchemaOutOfDate(StoreError):
    """The tables this version needs are missing: the database has not been migrated."""


_UPGRADE_HINT = "the database schema is missing or out of date; run `status-dashboard db upgrade`"

# How SQLite (by message) and PostgreSQL (by SQLSTATE undefined_table, undefined_column) say
# that a table or column the code expects is not there, i.e. migrations have not run.
_SQLITE_MISSING = ("no such table", "no such column")
_POSTGRES_MISSING = {"42P01", "42703"}


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
    except (sa_exc.OperationalError, sa_exc.ProgrammingError, sa_exc.InterfaceError) as exc:
        reason = reason_of(exc, url)
        if _schema_missing(exc, reason):
            raise SchemaOutOfDate(f"{_UPGRADE_HINT} ({reason})") from None
        if isinstance(exc, sa_exc.ProgrammingError):
            raise StoreError(f"database rejected a statement: {reason}") from None
        raise StoreUnavailable(f"database unavailable: {reason}") from None
    except sa_exc.DBAPIError as exc:
        raise StoreError(f"database error: {reason_of(exc, url)}") from None


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
