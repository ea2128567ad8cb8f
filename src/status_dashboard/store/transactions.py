"""The two kinds of transaction the SQL adapters run: a consistent read, and a serialised write.

A write locks the `meta` row first (PostgreSQL `SELECT ... FOR UPDATE`; on SQLite the write lock
is taken by `BEGIN IMMEDIATE`), so writers that change what a dashboard shows run one after
another and each reads the state the previous one committed. Every such writer must go through
`writing` and take the lock before touching anything else, or two writers can deadlock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from status_dashboard.store.engine import immediate
from status_dashboard.store.errors import SchemaOutOfDate, translated
from status_dashboard.store.notify import announce_change
from status_dashboard.store.tables import meta

_ROW = meta.c.id == 1
# Renders as plain SELECT on SQLite, where BEGIN IMMEDIATE has already taken the lock.
_LOCK = select(meta.c.revision).where(_ROW).with_for_update()
_NOT_MIGRATED = "the meta row is missing; run `status-dashboard db upgrade`"


@contextmanager
def reading(engine: sqlalchemy.Engine) -> Iterator[Connection]:
    """A transaction in which several SELECTs see one snapshot.

    PostgreSQL gives a snapshot per statement unless asked for REPEATABLE READ; SQLite in WAL
    mode keeps one snapshot for the whole transaction already.
    """
    options: dict[str, Any] = {}
    if engine.dialect.name == "postgresql":
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with (
        translated(engine.url),
        engine.connect().execution_options(**options) as connection,
        connection.begin(),
    ):
        yield connection


@contextmanager
def writing(engine: sqlalchemy.Engine) -> Iterator[Connection]:
    """One write transaction, holding the store's write lock from its first statement."""
    with translated(engine.url), immediate(engine).begin() as connection:
        if connection.execute(_LOCK).first() is None:
            raise SchemaOutOfDate(_NOT_MIGRATED)
        yield connection


def read_revision(connection: Connection) -> int:
    revision = connection.execute(select(meta.c.revision).where(_ROW)).scalar_one_or_none()
    if revision is None:
        raise SchemaOutOfDate(_NOT_MIGRATED)
    return int(revision)


def bump_revision(connection: Connection, environment: str | None = None) -> int:
    """Tell readers that what a dashboard shows has changed; returns the new revision.

    On PostgreSQL the transaction also announces it to every listening server process, on
    commit (`store.notify`); `environment` names the one the write was about, if there is one."""
    connection.execute(update(meta).where(_ROW).values(revision=meta.c.revision + 1))
    revision = read_revision(connection)
    announce_change(connection, revision, environment)
    return revision


@contextmanager
def row_writing(engine: sqlalchemy.Engine) -> Iterator[Connection]:
    """A write that changes only monitoring rows (a check's lease and state, its results, a
    heartbeat), without the store's write lock, so that workers do not queue behind each other
    on PostgreSQL. It must lock nothing that a `writing` transaction locks before the rows it
    changes: a catalog write that deletes a check waits for the check's row, never the reverse.
    On SQLite it still begins with BEGIN IMMEDIATE, the one writer there is.
    """
    with translated(engine.url), immediate(engine).begin() as connection:
        yield connection
