"""Failed sign-ins on SQL, one row per key, so that every replica counts the same failures.

A failure inserts the key's row if it is missing (ON CONFLICT DO NOTHING), then reads and
updates it under a row lock: two replicas counting one key at once both count. The table stays
small: keys without a failure for `FORGET_AFTER` are deleted, and past `MAX_KEYS` rows the
least recently failed go first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.throttle import FORGET_AFTER, MAX_KEYS, delay_after
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.audit import record_audit
from status_dashboard.store.errors import translated
from status_dashboard.store.tables import login_failures as table
from status_dashboard.store.transactions import row_writing


class SqlLoginFailures:
    """`LoginFailures` on a migrated database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def wait_s(self, keys: Sequence[str], now: datetime) -> float:
        query = select(func.max(table.c.blocked_until)).where(table.c.key.in_(list(keys)))
        with translated(self._engine.url), self._engine.connect() as connection:
            until = connection.execute(query).scalar_one_or_none()
        if until is None:
            return 0.0
        return max(0.0, (as_utc(until) - as_utc(now)).total_seconds())

    def failed(self, keys: Sequence[str], now: datetime, audit: AuditEntry) -> float:
        now = as_utc(now)
        longest = 0.0
        with row_writing(self._engine) as connection:
            for key in sorted(keys):  # one order everywhere: two replicas never deadlock
                connection.execute(_insert_missing(connection, key, now))
                current = connection.execute(
                    select(table.c.failures, table.c.last_failed_at)
                    .where(table.c.key == key)
                    .with_for_update()
                ).one()
                # A key not failed for FORGET_AFTER starts again, pruned or not yet.
                fresh = as_utc(current.last_failed_at) <= now - FORGET_AFTER
                failures = 1 if fresh else current.failures + 1
                wait = delay_after(failures)
                longest = max(longest, wait)
                connection.execute(
                    update(table)
                    .where(table.c.key == key)
                    .values(
                        failures=failures,
                        last_failed_at=now,
                        blocked_until=now + timedelta(seconds=wait),
                    )
                )
            record_audit(connection, audit)
            _prune(connection, now)
        return longest

    def succeeded(self, keys: Sequence[str], audit: AuditEntry) -> None:
        with row_writing(self._engine) as connection:
            connection.execute(delete(table).where(table.c.key.in_(list(keys))))
            record_audit(connection, audit)


def _insert_missing(connection: Connection, key: str, now: datetime) -> sqlalchemy.Executable:
    statement: postgresql.Insert | sqlite.Insert
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(table)
    else:
        statement = sqlite.insert(table)
    values = {"key": key, "failures": 0, "last_failed_at": now, "blocked_until": now}
    return statement.values(values).on_conflict_do_nothing(index_elements=[table.c.key])


def _prune(connection: Connection, now: datetime) -> None:
    connection.execute(delete(table).where(table.c.last_failed_at <= now - FORGET_AFTER))
    count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    if count > MAX_KEYS:
        oldest = select(table.c.key).order_by(table.c.last_failed_at).limit(count - MAX_KEYS)
        connection.execute(delete(table).where(table.c.key.in_(oldest)))
