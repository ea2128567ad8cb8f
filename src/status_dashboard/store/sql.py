"""The SQL adapters of the domain ports: one code path for SQLite and PostgreSQL.

The dashboard store and the client register live here; accounts, operations, monitoring and the
audit log have their own modules and are re-exported, so every SQL adapter is imported from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy
from sqlalchemy import Insert, delete, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from status_dashboard.domain.audit import AuditEntry, Page
from status_dashboard.domain.catalog import CatalogMerge, CatalogSpec, StatusChange, merge_catalog
from status_dashboard.domain.errors import (
    CatalogConflict,
    ConflictError,
    NotFoundError,
    StaleRevision,
)
from status_dashboard.domain.model import Environment
from status_dashboard.domain.ports import OVERFLOW_IDENTITY, ClientRecord, ClientSighting
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.accounts import SqlAccountStore
from status_dashboard.store.audit import SqlAuditLog, record_audit
from status_dashboard.store.catalog_write import (
    record_status_changes,
    stored_checks,
    write_catalog,
    write_checks,
)
from status_dashboard.store.engine import immediate
from status_dashboard.store.errors import StoreError, reason_of, translated
from status_dashboard.store.monitor import SqlMonitorStore
from status_dashboard.store.operations import SqlOperationsStore
from status_dashboard.store.plan import plan_write
from status_dashboard.store.sightings import DEFAULT_MAX_CLIENTS, admit, combine
from status_dashboard.store.tables import client_register, environments, item_status_events
from status_dashboard.store.throttle import SqlLoginFailures
from status_dashboard.store.transactions import bump_revision, read_revision, reading, writing
from status_dashboard.store.tree import load_tree
from status_dashboard.store.uniqueness import ensure_unique
from status_dashboard.store.uptime import SqlUptimeStore
from status_dashboard.store.users import SqlUserDirectory

__all__ = [
    "SqlAccountStore",
    "SqlAuditLog",
    "SqlClientRegister",
    "SqlDashboardStore",
    "SqlLoginFailures",
    "SqlMonitorStore",
    "SqlOperationsStore",
    "SqlUptimeStore",
    "SqlUserDirectory",
]


_DEFAULT_STAYS = "Environment '{}' is the default one; make another the default first"


class SqlDashboardStore:
    """`DashboardStore` on a migrated database (see `store.migrate`)."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def revision(self) -> int:
        with translated(self._engine.url), self._engine.connect() as connection:
            return read_revision(connection)

    def environments(self) -> Sequence[Environment]:
        with reading(self._engine) as connection:
            return load_tree(connection, effective=True)

    def apply_catalog(
        self,
        spec: CatalogSpec,
        now: datetime,
        *,
        prune: bool = False,
        audit: AuditEntry | None = None,
        expected_revision: int | None = None,
    ) -> CatalogMerge:
        now = as_utc(now)
        with writing(self._engine) as connection:
            # `writing` holds the revision lock, so this comparison stays true until commit.
            if expected_revision is not None and read_revision(connection) != expected_revision:
                raise StaleRevision("the catalog changed while this write was planned")
            current = load_tree(connection)
            checks = stored_checks(connection) if spec.declares_checks else {}
            merge = merge_catalog(current, spec, now, prune=prune, checks=checks)
            if merge.changed:
                ensure_unique(merge.environments)
                self._write(connection, current, merge, now)
                if audit is not None:
                    record_audit(connection, audit)
        return merge

    def _write(
        self,
        connection: Connection,
        current: Sequence[Environment],
        merge: CatalogMerge,
        now: datetime,
    ) -> None:
        try:
            write_catalog(connection, plan_write(current, merge.environments), now)
            write_checks(connection, merge.check_writes, now)
            record_status_changes(connection, merge.status_changes)
            bump_revision(connection)
        except sa_exc.IntegrityError as exc:
            # `ensure_unique` catches what a catalog can get wrong on its own; what is left is a
            # rare order of renames the statements cannot follow (two items swapping ids).
            raise CatalogConflict(
                f"the catalog contradicts the stored data: {_violation(exc, self._engine)}"
            ) from None
        except ConflictError as exc:  # a push token taken, which the merge should have seen
            raise CatalogConflict(f"the catalog contradicts the stored checks: {exc}") from None

    def delete_environment(
        self, environment_key: str, audit: AuditEntry, *, expected_revision: int | None = None
    ) -> None:
        with writing(self._engine) as connection:
            if expected_revision is not None and read_revision(connection) != expected_revision:
                raise StaleRevision("the catalog changed while this write was planned")
            found = connection.execute(
                select(environments.c.is_default).where(environments.c.key == environment_key)
            ).first()
            if found is None:
                raise NotFoundError(f"No environment '{environment_key[:40]}'")
            if found.is_default:
                raise ConflictError(_DEFAULT_STAYS.format(environment_key))
            # Groups, items, states, history, incidents, windows and the client register go
            # with it (ON DELETE CASCADE); the audit log keeps every word of it.
            connection.execute(delete(environments).where(environments.c.key == environment_key))
            record_audit(connection, audit)
            bump_revision(connection)

    def status_history(self, item_id: str) -> tuple[StatusChange, ...]:
        """Every recorded change of the item's status, oldest first."""
        events = item_status_events
        query = select(events).where(events.c.item_id == item_id).order_by(events.c.at, events.c.id)
        with translated(self._engine.url), self._engine.connect() as connection:
            return tuple(
                StatusChange(
                    item_id=row.item_id,
                    environment_key=row.environment_key,
                    at=row.at,
                    from_code=None if row.from_code is None else StatusCode(row.from_code),
                    to_code=StatusCode(row.to_code),
                    description=row.description,
                    reason=row.reason,
                )
                for row in connection.execute(query)
            )

    def ping(self) -> None:
        with translated(self._engine.url), self._engine.connect() as connection:
            connection.execute(select(1))


class SqlClientRegister:
    """`ClientRegister` on a migrated database, holding at most `max_per_environment`
    identities per environment (besides the overflow line)."""

    def __init__(
        self, engine: sqlalchemy.Engine, max_per_environment: int = DEFAULT_MAX_CLIENTS
    ) -> None:
        if max_per_environment < 1:
            raise ValueError("max_per_environment must be at least 1")
        # BEGIN IMMEDIATE on SQLite: counting the room and using it happen under one write lock.
        self._engine = immediate(engine)
        self._max = max_per_environment

    def record(self, sightings: Sequence[ClientSighting]) -> None:
        by_environment: dict[str, list[ClientSighting]] = {}
        for sighting in combine(sightings):
            by_environment.setdefault(sighting.environment_key, []).append(sighting)
        if not by_environment:
            return
        try:
            with translated(self._engine.url), self._engine.begin() as connection:
                rows = [
                    _client_row(sighting)
                    for env in sorted(by_environment)  # one lock order for every writer
                    for sighting in self._admitted(connection, env, by_environment[env])
                ]
                connection.execute(_upsert(connection), rows)
        except sa_exc.IntegrityError:
            raise StoreError("a client sighting names an environment that does not exist") from None

    def _admitted(
        self, connection: Connection, env: str, batch: list[ClientSighting]
    ) -> list[ClientSighting]:
        table = client_register
        # Replicas flush at the same time: the environment's row, locked until commit, makes
        # them count the room one after the other (PostgreSQL; SQLite has one writer anyway).
        connection.execute(
            select(environments.c.key)
            .where(environments.c.key == env)
            .with_for_update(key_share=True)
        )
        of_env = table.c.environment_key == env
        held = connection.execute(
            select(sqlalchemy.func.count())
            .select_from(table)
            .where(of_env, table.c.user_agent != OVERFLOW_IDENTITY)
        ).scalar_one()
        names = [s.user_agent for s in batch]
        known: set[str] = set()
        for start in range(0, len(names), _IN_CHUNK):
            chunk = names[start : start + _IN_CHUNK]
            known.update(
                connection.execute(
                    select(table.c.user_agent).where(of_env, table.c.user_agent.in_(chunk))
                ).scalars()
            )
        return admit(batch, known, self._max - held)

    def clients(
        self, environment_key: str, cursor: int | None = None, limit: int = 50
    ) -> Page[ClientRecord]:
        table = client_register
        start = cursor or 0
        query = (
            select(table)
            .where(table.c.environment_key == environment_key)
            .order_by(table.c.last_seen.desc(), table.c.user_agent)
            .offset(start)
            .limit(limit + 1)
        )
        with translated(self._engine.url), self._engine.connect() as connection:
            records = [
                ClientRecord(
                    environment_key=row.environment_key,
                    user_agent=row.user_agent,
                    conforming=row.conforming,
                    request_count=row.request_count,
                    first_seen=row.first_seen,
                    last_seen=row.last_seen,
                )
                for row in connection.execute(query)
            ]
        more = len(records) > limit
        return Page(tuple(records[:limit]), start + limit if more else None)

    def prune(self, seen_before: datetime) -> int:
        table = client_register
        with translated(self._engine.url), self._engine.begin() as connection:
            done = connection.execute(delete(table).where(table.c.last_seen < as_utc(seen_before)))
        return done.rowcount


_IN_CHUNK = 500
"""User-Agents per `IN (...)` list: well below every driver's limit of bound parameters."""


def _client_row(s: ClientSighting) -> dict[str, object]:
    return {
        "environment_key": s.environment_key,
        "user_agent": s.user_agent,
        "conforming": s.conforming,
        "request_count": s.count,
        "first_seen": s.first_seen,
        "last_seen": s.last_seen,
    }


def _upsert(connection: Connection) -> Insert:
    """INSERT ... ON CONFLICT DO UPDATE, which each dialect spells with its own construct."""
    table = client_register
    statement: postgresql.Insert | sqlite.Insert
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(table)
    else:
        statement = sqlite.insert(table)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.environment_key, table.c.user_agent],
        set_={
            "request_count": table.c.request_count + new.request_count,
            # min()/max() as CASE: SQLite and PostgreSQL spell the two-argument forms differently.
            "first_seen": sqlalchemy.case(
                (new.first_seen < table.c.first_seen, new.first_seen), else_=table.c.first_seen
            ),
            "last_seen": sqlalchemy.case(
                (new.last_seen > table.c.last_seen, new.last_seen), else_=table.c.last_seen
            ),
            "conforming": new.conforming,
        },
    )


def _violation(exc: sa_exc.IntegrityError, engine: sqlalchemy.Engine) -> str:
    """The violated rule; PostgreSQL also names the value, e.g. `Key (id)=(...) already exists.`"""
    reason = reason_of(exc, engine.url)
    detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None)
    return f"{reason} ({detail})" if detail else reason
