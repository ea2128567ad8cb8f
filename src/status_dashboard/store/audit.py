"""The audit log on SQL: entries are written inside the transaction of the change they record,
and read back filtered and newest first. Nothing here, or anywhere, updates or deletes one; the
database refuses it too (triggers of migration 0002)."""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, insert, select, true
from sqlalchemy.engine import Connection, Row

from status_dashboard.domain.audit import AuditEntry, AuditQuery, Page
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.errors import translated
from status_dashboard.store.records import check_limit, decode_json, encode_json, page
from status_dashboard.store.tables import audit_log


class SqlAuditLog:
    """`AuditLog` on a migrated database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def entries(self, query: AuditQuery, *, cursor: int | None, limit: int) -> Page[AuditEntry]:
        check_limit(limit)
        condition = _matching(query)
        if cursor is not None:
            condition = condition & (audit_log.c.id < cursor)
        statement = (
            select(audit_log).where(condition).order_by(audit_log.c.id.desc()).limit(limit + 1)
        )
        with translated(self._engine.url), self._engine.connect() as connection:
            rows = [_entry(row) for row in connection.execute(statement)]
        return page(rows, limit, lambda entry: entry.id)


def record_audit(connection: Connection, entry: AuditEntry) -> int:
    """Append `entry` in the caller's transaction; its id. A `before`/`after` that JSON cannot
    hold raises TypeError, which rolls the whole transaction back."""
    values = {
        "at": as_utc(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "environment_key": entry.environment_key,
        "before": encode_json(entry.before),
        "after": encode_json(entry.after),
    }
    inserted = connection.execute(insert(audit_log).values(values).returning(audit_log.c.id))
    return int(inserted.scalar_one())


def _matching(query: AuditQuery) -> ColumnElement[bool]:
    table = audit_log
    condition: ColumnElement[bool] = true()
    for column, value in (
        (table.c.actor, query.actor),
        (table.c.action, query.action),
        (table.c.target, query.target),
        (table.c.environment_key, query.environment_key),
    ):
        if value is not None:
            condition = condition & (column == value)
    if query.environments is not None:
        # IN never matches NULL: an entry of no environment stays out, as it must.
        condition = condition & table.c.environment_key.in_(sorted(query.environments))
    if query.since is not None:
        condition = condition & (table.c.at >= query.since)
    if query.until is not None:
        condition = condition & (table.c.at < query.until)
    return condition


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        environment_key=row.environment_key,
        before=decode_json(row.before),
        after=decode_json(row.after),
        id=row.id,
    )
