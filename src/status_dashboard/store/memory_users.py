"""Users for sessions and user management, and failed sign-ins, in memory: views of a
`MemoryDatabase`, each write atomic under its lock like the SQL twin's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from status_dashboard.domain.accounts import User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.domain.throttle import FORGET_AFTER, MAX_KEYS, delay_after
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.domain.users import UserChange, check_admins_remain, user_record
from status_dashboard.store.memory_db import AuditRow, MemoryDatabase


class MemoryUserDirectory:
    """`UserDirectory` held in `database`, shared with its `MemoryAccountStore`."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database

    def user_by_id(self, user_id: int) -> User | None:
        with self.database.lock:
            return self.database.users.get(user_id)

    def user_by_name(self, name: str) -> User | None:
        with self.database.lock:
            return next((u for u in self.database.users.values() if u.name == name), None)

    def users(self) -> Sequence[User]:
        with self.database.lock:
            return tuple(sorted(self.database.users.values(), key=lambda user: user.id))

    def change_user(self, user_id: int, change: UserChange, audit: AuditEntry) -> User:
        db = self.database
        with db.lock:
            before = db.users.get(user_id)
            if before is None:
                raise NotFoundError(f"no user #{user_id}")
            after = change.applied(before)
            check_admins_remain(before, after, db.users.values())
            row = AuditRow.of(replace(audit, before=user_record(before), after=user_record(after)))
            db.users[user_id] = after
            db.append_audit(row)
        return after

    def end_sessions(self, user_id: int, audit: AuditEntry) -> None:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            user = db.users.get(user_id)
            if user is not None:
                db.users[user_id] = replace(user, session_epoch=user.session_epoch + 1)
            db.append_audit(row)


@dataclass(frozen=True, slots=True)
class _Count:
    failures: int
    last_failed_at: datetime
    blocked_until: datetime


class MemoryLoginFailures:
    """`LoginFailures` held beside `database` (its audit log), bounded like the SQL table."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database
        self._counts: dict[str, _Count] = {}

    def wait_s(self, keys: Sequence[str], now: datetime) -> float:
        with self.database.lock:
            waits = [
                (count.blocked_until - as_utc(now)).total_seconds()
                for key in keys
                if (count := self._counts.get(key)) is not None
            ]
        return max([0.0, *waits])

    def failed(self, keys: Sequence[str], now: datetime, audit: AuditEntry) -> float:
        now = as_utc(now)
        row = AuditRow.of(audit)
        longest = 0.0
        with self.database.lock:
            for key in keys:
                count = self._counts.get(key)
                fresh = count is None or count.last_failed_at <= now - FORGET_AFTER
                failures = 1 if fresh or count is None else count.failures + 1
                wait = delay_after(failures)
                longest = max(longest, wait)
                self._counts.pop(key, None)  # re-inserted last: the dict keeps failure order
                self._counts[key] = _Count(failures, now, now + timedelta(seconds=wait))
            self.database.append_audit(row)
            self._prune(now)
        return longest

    def succeeded(self, keys: Sequence[str], audit: AuditEntry) -> None:
        row = AuditRow.of(audit)
        with self.database.lock:
            for key in keys:
                self._counts.pop(key, None)
            self.database.append_audit(row)

    def _prune(self, now: datetime) -> None:
        for key in [k for k, c in self._counts.items() if c.last_failed_at <= now - FORGET_AFTER]:
            del self._counts[key]
        while len(self._counts) > MAX_KEYS:
            del self._counts[next(iter(self._counts))]
