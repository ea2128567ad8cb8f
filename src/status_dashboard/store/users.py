"""Users for sessions and user management on SQL: each write one transaction with its audit
entry, under the store's write lock, so the last-admin rule sees every committed change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import sqlalchemy
from sqlalchemy import select, update

from status_dashboard.domain.accounts import User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.domain.users import UserChange, check_admins_remain, user_record
from status_dashboard.store.accounts import user_of
from status_dashboard.store.audit import record_audit
from status_dashboard.store.errors import translated
from status_dashboard.store.tables import users
from status_dashboard.store.transactions import writing


class SqlUserDirectory:
    """`UserDirectory` on a migrated database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def user_by_id(self, user_id: int) -> User | None:
        with translated(self._engine.url), self._engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
        return None if row is None else user_of(row)

    def user_by_name(self, name: str) -> User | None:
        with translated(self._engine.url), self._engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name)).first()
        return None if row is None else user_of(row)

    def users(self) -> Sequence[User]:
        with translated(self._engine.url), self._engine.connect() as connection:
            rows = connection.execute(select(users).order_by(users.c.id))
            return tuple(user_of(row) for row in rows)

    def change_user(self, user_id: int, change: UserChange, audit: AuditEntry) -> User:
        with writing(self._engine) as connection:
            everyone = [user_of(row) for row in connection.execute(select(users))]
            before = next((user for user in everyone if user.id == user_id), None)
            if before is None:
                raise unknown_user(user_id)
            after = change.applied(before)
            check_admins_remain(before, after, everyone)
            connection.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    role=after.role.value,
                    disabled=after.disabled,
                    password_hash=after.password_hash,
                    session_epoch=users.c.session_epoch + 1,
                )
            )
            record_audit(
                connection, replace(audit, before=user_record(before), after=user_record(after))
            )
        return after

    def end_sessions(self, user_id: int, audit: AuditEntry) -> None:
        with writing(self._engine) as connection:
            connection.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(session_epoch=users.c.session_epoch + 1)
            )
            record_audit(connection, audit)


def unknown_user(user_id: int) -> NotFoundError:
    return NotFoundError(f"no user #{user_id}")
