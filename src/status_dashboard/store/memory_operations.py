"""Accounts, operations and the audit log in memory: views of a `MemoryDatabase`.

Each write checks everything and encodes its audit entry before it changes anything, so a
refused write (an audit entry JSON cannot hold included) leaves the database as it was, as a
rolled-back transaction does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from status_dashboard.domain.accounts import ApiToken, Role, User
from status_dashboard.domain.audit import AuditEntry, AuditQuery, Page
from status_dashboard.domain.history import HistoryEvent, ReconcileInputs, StateChange, still_needed
from status_dashboard.domain.idempotency import ScopedKey
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.domain.versions import item_version
from status_dashboard.store.memory_db import AuditRow, MemoryDatabase
from status_dashboard.store.memory_monitor import check_verdicts
from status_dashboard.store.records import (
    Clock,
    check_limit,
    incident_resolved,
    page,
    token_name_taken,
    unknown_incident,
    unknown_item,
    unknown_token,
    unknown_window,
    user_name_taken,
    utc_now,
    version_moved,
    window_cancelled,
)

T = TypeVar("T")


class MemoryAccountStore:
    """`AccountStore` held in `database` (a new one when not given)."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.database = database if database is not None else MemoryDatabase()

    def create_user(self, name: str, role: Role, password_hash: str, audit: AuditEntry) -> User:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            if any(user.name == name for user in db.users.values()):
                raise user_name_taken(name)
            user = User(db.next_id("user"), name, role, password_hash, as_utc(audit.at))
            db.users[user.id] = user
            db.append_audit(row)
        return user

    def user_by_name(self, name: str) -> User | None:
        with self.database.lock:
            return next((u for u in self.database.users.values() if u.name == name), None)

    def users(self) -> Sequence[User]:
        with self.database.lock:
            return tuple(self.database.users.values())

    def create_token(
        self,
        name: str,
        role: Role,
        token_hash: str,
        environments: frozenset[str] | None,
        expires_at: datetime | None,
        audit: AuditEntry,
    ) -> ApiToken:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            if any(
                (t.name == name and t.revoked_at is None) or t.token_hash == token_hash
                for t in db.tokens.values()
            ):
                raise token_name_taken(name)
            token = ApiToken(
                id=db.next_id("token"),
                name=name,
                role=role,
                token_hash=token_hash,
                created_at=as_utc(audit.at),
                environments=None if environments is None else frozenset(environments),
                expires_at=None if expires_at is None else as_utc(expires_at),
                created_by=audit.actor,
            )
            db.tokens[token.id] = token
            db.append_audit(row)
        return token

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        with self.database.lock:
            tokens = self.database.tokens.values()
            return next((t for t in tokens if t.token_hash == token_hash), None)

    def touch_token(self, token_id: int, at: datetime) -> None:
        db = self.database
        with db.lock:
            token = db.tokens.get(token_id)
            if token is not None:
                db.tokens[token_id] = replace(token, last_used_at=as_utc(at))

    def revoke_token(self, token_id: int, at: datetime, audit: AuditEntry) -> ApiToken:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            token = db.tokens.get(token_id)
            if token is None:
                raise unknown_token(token_id)
            if token.revoked_at is not None:
                return token  # already revoked: nothing changes, nothing to audit
            token = db.tokens[token_id] = replace(token, revoked_at=as_utc(at))
            db.append_audit(row)
        return token

    def tokens(self) -> Sequence[ApiToken]:
        with self.database.lock:
            return tuple(self.database.tokens.values())


class MemoryOperationsStore:
    """`OperationsStore` held in `database`, shared with its `MemoryDashboardStore`.

    `clock` tells which windows are past when `maintenance_windows` leaves them out.
    """

    def __init__(self, database: MemoryDatabase, *, clock: Clock = utc_now) -> None:
        self.database = database
        self._clock = clock

    # -- overrides ------------------------------------------------------------------------

    def override(self, item_id: str) -> Override | None:
        with self.database.lock:
            return self.database.overrides.get(item_id)

    def set_override(
        self, override: Override, audit: AuditEntry, *, expected: str | None = None
    ) -> None:
        row = AuditRow.of(audit)
        stored = replace(
            override,
            set_at=as_utc(override.set_at),
            expires_at=None if override.expires_at is None else as_utc(override.expires_at),
        )
        db = self.database
        with db.lock:
            self._check_version(override.item_id, expected)
            db.overrides[override.item_id] = stored
            db.append_audit(row)

    def clear_override(
        self, item_id: str, audit: AuditEntry, *, expected: str | None = None
    ) -> bool:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            if expected is not None:
                self._check_version(item_id, expected)
            if db.overrides.pop(item_id, None) is None:
                return False
            db.append_audit(row)
        return True

    def _check_version(self, item_id: str, expected: str | None) -> None:
        """As the SQL store's: the item exists and, when `expected` is given, has that version;
        called holding the database's lock, which every write takes."""
        db = self.database
        item = next((item for _, item in db.items() if item.id == item_id), None)
        if item is None:
            raise unknown_item(item_id)
        if expected is not None:
            version = item_version(item, db.states.get(item_id), db.overrides.get(item_id))
            if version != expected:
                raise version_moved(item_id)

    # -- incidents ------------------------------------------------------------------------

    def open_incident(
        self,
        environment_key: str,
        title: str,
        impact: Impact,
        item_ids: frozenset[str],
        first_update: IncidentUpdate,
        created_by: str,
        audit: AuditEntry,
        *,
        idempotency: ScopedKey | None = None,
    ) -> Incident:
        row = AuditRow.of(audit)
        opened_at = as_utc(first_update.at)
        db = self.database
        with db.lock:
            replayed = db.replay_id(idempotency)
            if replayed is not None:
                return db.incidents[replayed]
            db.check_items(environment_key, item_ids)
            update = replace(first_update, id=db.next_id("update"), at=opened_at)
            incident = Incident(
                id=db.next_id("incident"),
                environment_key=environment_key,
                title=title,
                impact=impact,
                state=update.state,
                item_ids=frozenset(item_ids),
                created_at=opened_at,
                created_by=created_by,
                resolved_at=opened_at if update.state is IncidentState.RESOLVED else None,
                updates=(update,),
            )
            db.incidents[incident.id] = incident
            db.keep(idempotency, incident.id)
            db.append_audit(
                replace(row, entry=replace(row.entry, target=f"incident:{incident.id}"))
            )
            db.revision += 1
        return incident

    def add_incident_update(
        self,
        incident_id: int,
        update: IncidentUpdate,
        audit: AuditEntry,
        *,
        idempotency: ScopedKey | None = None,
    ) -> Incident:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            replayed = db.replay_id(idempotency)
            if replayed is not None:
                return db.incidents[replayed]
            incident = db.incidents.get(incident_id)
            if incident is None:
                raise unknown_incident(incident_id)
            if not incident.open:
                raise incident_resolved(incident_id)
            added = replace(update, id=db.next_id("update"), at=as_utc(update.at))
            resolved = added.state is IncidentState.RESOLVED
            incident = db.incidents[incident_id] = replace(
                incident,
                state=added.state,
                resolved_at=added.at if resolved else None,
                updates=tuple(sorted((*incident.updates, added), key=lambda u: (u.at, u.id))),
            )
            db.keep(idempotency, incident_id)
            db.append_audit(row)
            db.revision += 1
        return incident

    def replayed(self, key: ScopedKey) -> int | None:
        with self.database.lock:
            return self.database.replay_id(key)

    def incident(self, incident_id: int) -> Incident | None:
        with self.database.lock:
            return self.database.incidents.get(incident_id)

    def incidents(
        self, environment_key: str, *, open_only: bool, cursor: int | None, limit: int
    ) -> Page[Incident]:
        check_limit(limit)
        with self.database.lock:
            found = [
                i
                for i in self.database.incidents.values()
                if i.environment_key == environment_key and (i.open or not open_only)
            ]
        return _page(found, cursor, limit, lambda incident: incident.id)

    # -- maintenance ----------------------------------------------------------------------

    def schedule_maintenance(
        self, window: MaintenanceWindow, audit: AuditEntry, *, idempotency: ScopedKey | None = None
    ) -> MaintenanceWindow:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            replayed = db.replay_id(idempotency)
            if replayed is not None:
                return db.windows[replayed]
            db.check_items(window.environment_key, window.item_ids)
            stored = _window(replace(window, id=db.next_id("window"), cancelled_at=None))
            db.windows[stored.id] = stored
            db.keep(idempotency, stored.id)
            db.append_audit(
                replace(row, entry=replace(row.entry, target=f"maintenance:{stored.id}"))
            )
            db.revision += 1
        return stored

    def update_maintenance(self, window: MaintenanceWindow, audit: AuditEntry) -> MaintenanceWindow:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            current = self._open_window(window.id)
            db.check_items(current.environment_key, window.item_ids)
            stored = _window(
                replace(
                    current,
                    title=window.title,
                    description=window.description,
                    starts_at=window.starts_at,
                    ends_at=window.ends_at,
                    item_ids=window.item_ids,
                    impact=window.impact,
                )
            )
            db.windows[stored.id] = stored
            db.append_audit(row)
            db.revision += 1
        return stored

    def cancel_maintenance(
        self, window_id: int, at: datetime, audit: AuditEntry
    ) -> MaintenanceWindow:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            stored = replace(self._open_window(window_id), cancelled_at=as_utc(at))
            db.windows[window_id] = stored
            db.append_audit(row)
            db.revision += 1
        return stored

    def _open_window(self, window_id: int) -> MaintenanceWindow:
        window = self.database.windows.get(window_id)
        if window is None:
            raise unknown_window(window_id)
        if window.cancelled_at is not None:
            raise window_cancelled(window_id)
        return window

    def maintenance_windows(
        self, environment_key: str, *, include_past: bool, cursor: int | None, limit: int
    ) -> Page[MaintenanceWindow]:
        check_limit(limit)
        now = as_utc(self._clock())
        with self.database.lock:
            found = [
                w
                for w in self.database.windows.values()
                if w.environment_key == environment_key and (include_past or _upcoming(w, now))
            ]
        return _page(found, cursor, limit, lambda window: window.id)

    # -- effective states -----------------------------------------------------------------

    def reconcile_inputs(self, now: datetime) -> ReconcileInputs:
        now = as_utc(now)
        db = self.database
        with db.lock:
            verdicts, monitor_running = check_verdicts(db, now)
            return ReconcileInputs(
                items=tuple(db.items()),
                states=dict(db.states),
                overrides=dict(db.overrides),
                incidents=tuple(i for i in db.incidents.values() if i.open),
                maintenance=tuple(w for w in db.windows.values() if _upcoming(w, now)),
                checks=verdicts,
                monitor_running=monitor_running,
            )

    def apply_states(self, changes: Sequence[StateChange]) -> None:
        if not changes:
            return
        db = self.database
        with db.lock:
            # An item deleted since its state was decided has no state left to show.
            present = db.item_environments()
            events: list[HistoryEvent] = []
            written = False
            for change in changes:
                item_id = change.state.item_id
                left = still_needed(change, db.states.get(item_id)) if item_id in present else None
                if left is not None:
                    state = left.state
                    db.states[item_id] = replace(state, last_updated=as_utc(state.last_updated))
                    written = True
                    if left.event is not None:
                        events.append(left.event)
            if not written:
                return
            db.add_history(events)
            db.revision += 1

    def history(
        self,
        item_id: str,
        *,
        cursor: int | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[HistoryEvent]:
        check_limit(limit)
        with self.database.lock:
            found = [
                e
                for e in self.database.history
                if e.item_id == item_id
                and (since is None or e.at >= as_utc(since))
                and (until is None or e.at < as_utc(until))
            ]
        return _page(found, cursor, limit, lambda event: event.id)


class MemoryAuditLog:
    """`AuditLog` of `database`."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database

    def entries(self, query: AuditQuery, *, cursor: int | None, limit: int) -> Page[AuditEntry]:
        check_limit(limit)
        with self.database.lock:
            rows = list(self.database.audit)
        found = [row.read() for row in rows if _matches(row.entry, query)]
        return _page(found, cursor, limit, lambda entry: entry.id)


def _matches(entry: AuditEntry, query: AuditQuery) -> bool:
    for wanted, value in (
        (query.actor, entry.actor),
        (query.action, entry.action),
        (query.target, entry.target),
        (query.environment_key, entry.environment_key),
    ):
        if wanted is not None and value != wanted:
            return False
    if query.environments is not None and entry.environment_key not in query.environments:
        return False
    if query.since is not None and entry.at < query.since:
        return False
    return query.until is None or entry.at < query.until


def _upcoming(window: MaintenanceWindow, now: datetime) -> bool:
    return window.cancelled_at is None and window.ends_at > now


def _window(window: MaintenanceWindow) -> MaintenanceWindow:
    return replace(
        window,
        starts_at=as_utc(window.starts_at),
        ends_at=as_utc(window.ends_at),
        item_ids=frozenset(window.item_ids),
    )


def _page(
    rows: Sequence[T], cursor: int | None, limit: int, id_of: Callable[[T], int | None]
) -> Page[T]:
    """Newest first by id, below `cursor`."""

    def key(row: T) -> int:
        row_id = id_of(row)
        assert row_id is not None
        return row_id

    below = [row for row in rows if cursor is None or key(row) < cursor]
    below.sort(key=key, reverse=True)
    return page(below[: limit + 1], limit, id_of)
