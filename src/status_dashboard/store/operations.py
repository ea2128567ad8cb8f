"""Overrides, incidents, maintenance windows and effective states on SQL.

Every write is one `writing` transaction that makes the change and appends its audit entry; a
failure of either (an audit entry JSON cannot hold included) leaves nothing behind. Incidents and
maintenance windows are shown to the public, so their writes move the revision; an override
shows only through the state `apply_states` then stores, which moves it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, Insert, delete, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from status_dashboard.domain.audit import AuditEntry, Page
from status_dashboard.domain.effective import Source
from status_dashboard.domain.history import (
    HistoryEvent,
    ItemState,
    ReconcileInputs,
    StateChange,
    still_needed,
)
from status_dashboard.domain.idempotency import IdempotencyKeyReused, ScopedKey
from status_dashboard.domain.model import Item
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.domain.versions import item_version
from status_dashboard.store.audit import record_audit
from status_dashboard.store.errors import translated
from status_dashboard.store.monitor import check_verdicts
from status_dashboard.store.records import (
    Clock,
    check_items,
    check_limit,
    incident_resolved,
    page,
    unknown_environment,
    unknown_incident,
    unknown_item,
    unknown_window,
    utc_now,
    version_moved,
    window_cancelled,
)
from status_dashboard.store.tables import (
    environments,
    idempotency_keys,
    incident_items,
    incident_updates,
    incidents,
    item_overrides,
    item_states,
    item_status_events,
    items,
    maintenance_items,
    maintenance_windows,
)
from status_dashboard.store.transactions import bump_revision, reading, writing
from status_dashboard.store.tree import load_tree


class SqlOperationsStore:
    """`OperationsStore` on a migrated database.

    `clock` tells which windows are past when `maintenance_windows` leaves them out.
    """

    def __init__(self, engine: sqlalchemy.Engine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    # -- overrides ------------------------------------------------------------------------

    def override(self, item_id: str) -> Override | None:
        query = select(item_overrides).where(item_overrides.c.item_id == item_id)
        with translated(self._engine.url), self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _override(row)

    def set_override(
        self, override: Override, audit: AuditEntry, *, expected: str | None = None
    ) -> None:
        values = {
            "item_id": override.item_id,
            "status_code": int(override.status_code),
            "description": override.description,
            "set_by": override.set_by,
            "set_at": as_utc(override.set_at),
            "expires_at": None if override.expires_at is None else as_utc(override.expires_at),
        }
        with writing(self._engine) as connection:
            _check_version(connection, override.item_id, expected)
            connection.execute(_upsert(connection, item_overrides, "item_id"), [values])
            record_audit(connection, audit)

    def clear_override(
        self, item_id: str, audit: AuditEntry, *, expected: str | None = None
    ) -> bool:
        with writing(self._engine) as connection:
            if expected is not None:
                _check_version(connection, item_id, expected)
            deleted = connection.execute(
                delete(item_overrides).where(item_overrides.c.item_id == item_id)
            )
            if deleted.rowcount == 0:
                return False
            record_audit(connection, audit)
        return True

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
        opened_at = as_utc(first_update.at)
        resolved = first_update.state is IncidentState.RESOLVED
        with writing(self._engine) as connection:
            replayed = _replay_id(connection, idempotency)
            if replayed is not None:
                return _incidents(connection, incidents.c.id == replayed)[0]
            _check_items(connection, environment_key, item_ids)
            incident_id = _insert(
                connection,
                incidents,
                {
                    "environment_key": environment_key,
                    "title": title,
                    "impact": impact.value,
                    "state": first_update.state.value,
                    "created_at": opened_at,
                    "created_by": created_by,
                    "resolved_at": opened_at if resolved else None,
                },
            )
            _link(connection, incident_items, "incident_id", incident_id, item_ids)
            _insert_update(connection, incident_id, first_update)
            _keep(connection, idempotency, incident_id)
            # The id is the database's: the audit entry names the row this write made.
            record_audit(connection, replace(audit, target=f"incident:{incident_id}"))
            bump_revision(connection)
            return _incidents(connection, incidents.c.id == incident_id)[0]

    def add_incident_update(
        self,
        incident_id: int,
        update: IncidentUpdate,
        audit: AuditEntry,
        *,
        idempotency: ScopedKey | None = None,
    ) -> Incident:
        with writing(self._engine) as connection:
            replayed = _replay_id(connection, idempotency)
            if replayed is not None:
                return _incidents(connection, incidents.c.id == replayed)[0]
            row = connection.execute(
                select(incidents.c.state).where(incidents.c.id == incident_id)
            ).first()
            if row is None:
                raise unknown_incident(incident_id)
            if row.state == IncidentState.RESOLVED.value:
                raise incident_resolved(incident_id)
            _insert_update(connection, incident_id, update)
            resolved_at = as_utc(update.at) if update.state is IncidentState.RESOLVED else None
            connection.execute(
                sql_update(incidents)
                .where(incidents.c.id == incident_id)
                .values(state=update.state.value, resolved_at=resolved_at)
            )
            _keep(connection, idempotency, incident_id)
            record_audit(connection, audit)
            bump_revision(connection)
            return _incidents(connection, incidents.c.id == incident_id)[0]

    def replayed(self, key: ScopedKey) -> int | None:
        with reading(self._engine) as connection:
            return _replay_id(connection, key)

    def incident(self, incident_id: int) -> Incident | None:
        with reading(self._engine) as connection:
            found = _incidents(connection, incidents.c.id == incident_id)
        return found[0] if found else None

    def incidents(
        self, environment_key: str, *, open_only: bool, cursor: int | None, limit: int
    ) -> Page[Incident]:
        check_limit(limit)
        condition = incidents.c.environment_key == environment_key
        if open_only:
            condition = condition & (incidents.c.state != IncidentState.RESOLVED.value)
        if cursor is not None:
            condition = condition & (incidents.c.id < cursor)
        with reading(self._engine) as connection:
            rows = _incidents(connection, condition, limit=limit + 1)
        return page(rows, limit, lambda incident: incident.id)

    # -- maintenance ----------------------------------------------------------------------

    def schedule_maintenance(
        self, window: MaintenanceWindow, audit: AuditEntry, *, idempotency: ScopedKey | None = None
    ) -> MaintenanceWindow:
        with writing(self._engine) as connection:
            replayed = _replay_id(connection, idempotency)
            if replayed is not None:
                return _windows(connection, maintenance_windows.c.id == replayed)[0]
            _check_items(connection, window.environment_key, window.item_ids)
            window_id = _insert(
                connection,
                maintenance_windows,
                {
                    "environment_key": window.environment_key,
                    "created_by": window.created_by,
                    "cancelled_at": None,
                    **_window_values(window),
                },
            )
            _link(connection, maintenance_items, "window_id", window_id, window.item_ids)
            _keep(connection, idempotency, window_id)
            record_audit(connection, replace(audit, target=f"maintenance:{window_id}"))
            bump_revision(connection)
            return _windows(connection, maintenance_windows.c.id == window_id)[0]

    def update_maintenance(self, window: MaintenanceWindow, audit: AuditEntry) -> MaintenanceWindow:
        with writing(self._engine) as connection:
            stored = _open_window(connection, window.id)
            _check_items(connection, stored.environment_key, window.item_ids)
            connection.execute(
                sql_update(maintenance_windows)
                .where(maintenance_windows.c.id == window.id)
                .values(_window_values(window))
            )
            connection.execute(
                delete(maintenance_items).where(maintenance_items.c.window_id == window.id)
            )
            _link(connection, maintenance_items, "window_id", window.id, window.item_ids)
            record_audit(connection, audit)
            bump_revision(connection)
            return _windows(connection, maintenance_windows.c.id == window.id)[0]

    def cancel_maintenance(
        self, window_id: int, at: datetime, audit: AuditEntry
    ) -> MaintenanceWindow:
        with writing(self._engine) as connection:
            _open_window(connection, window_id)
            connection.execute(
                sql_update(maintenance_windows)
                .where(maintenance_windows.c.id == window_id)
                .values(cancelled_at=as_utc(at))
            )
            record_audit(connection, audit)
            bump_revision(connection)
            return _windows(connection, maintenance_windows.c.id == window_id)[0]

    def maintenance_windows(
        self, environment_key: str, *, include_past: bool, cursor: int | None, limit: int
    ) -> Page[MaintenanceWindow]:
        check_limit(limit)
        table = maintenance_windows
        condition = table.c.environment_key == environment_key
        if not include_past:
            condition = condition & _upcoming(as_utc(self._clock()))
        if cursor is not None:
            condition = condition & (table.c.id < cursor)
        with reading(self._engine) as connection:
            rows = _windows(connection, condition, limit=limit + 1)
        return page(rows, limit, lambda window: window.id)

    # -- effective states -----------------------------------------------------------------

    def reconcile_inputs(self, now: datetime) -> ReconcileInputs:
        with reading(self._engine) as connection:
            tree = load_tree(connection)
            states = {row.item_id: _state(row) for row in connection.execute(select(item_states))}
            overrides = {
                row.item_id: _override(row) for row in connection.execute(select(item_overrides))
            }
            open_incidents = _incidents(
                connection,
                incidents.c.state != IncidentState.RESOLVED.value,
                newest_first=False,
            )
            windows = _windows(connection, _upcoming(as_utc(now)), newest_first=False)
            verdicts, monitor_running = check_verdicts(connection, now)
        return ReconcileInputs(
            items=tuple((env.key, i) for env in tree for g in env.groups for i in g.items),
            states=states,
            overrides=overrides,
            incidents=tuple(open_incidents),
            maintenance=tuple(windows),
            checks=verdicts,
            monitor_running=monitor_running,
        )

    def apply_states(self, changes: Sequence[StateChange]) -> None:
        if not changes:
            return
        with writing(self._engine) as connection:
            # An item deleted since its state was decided has no state left to show.
            present = _item_environments(connection, [c.state.item_id for c in changes])
            shown = _stored_states(connection, present)
            latest: dict[str, StateChange] = {}
            events: list[HistoryEvent] = []
            for change in changes:
                item_id = change.state.item_id
                if item_id in present:
                    left = still_needed(change, shown.get(item_id))
                    if left is not None:
                        latest[item_id] = left
                        shown[item_id] = left.state
                        if left.event is not None:
                            events.append(left.event)
            if not latest:
                return
            connection.execute(
                _upsert(connection, item_states, "item_id"),
                [_state_values(change.state) for change in latest.values()],
            )
            events = [c.event for c in latest.values() if c.event is not None]
            if events:
                connection.execute(insert(item_status_events), [_event_values(e) for e in events])
            bump_revision(connection)

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
        table = item_status_events
        condition = table.c.item_id == item_id
        if since is not None:
            condition = condition & (table.c.at >= as_utc(since))
        if until is not None:
            condition = condition & (table.c.at < as_utc(until))
        if cursor is not None:
            condition = condition & (table.c.id < cursor)
        query = select(table).where(condition).order_by(table.c.id.desc()).limit(limit + 1)
        with translated(self._engine.url), self._engine.connect() as connection:
            rows = [_event(row) for row in connection.execute(query)]
        return page(rows, limit, lambda event: event.id)


def _item_environments(connection: Connection, item_ids: Collection[str]) -> dict[str, str]:
    """The environment of each id among `item_ids` that names an item."""
    if not item_ids:
        return {}
    query = select(items.c.id, items.c.environment_key).where(items.c.id.in_(sorted(item_ids)))
    return {row.id: row.environment_key for row in connection.execute(query)}


def _check_version(connection: Connection, item_id: str, expected: str | None) -> None:
    """Refuse the write unless the item exists and, when `expected` is given, still has that
    version. It runs under `writing`'s lock, which every writer of the item's manual status,
    state and override takes first, so nothing can move the version before the write commits."""
    row = connection.execute(select(items).where(items.c.id == item_id)).first()
    if row is None:
        raise unknown_item(item_id)
    if expected is None:
        return
    item = Item(
        id=row.id,
        key=row.key,
        name=row.name,
        order=row.position,
        status_code=StatusCode(row.status_code),
        last_updated=row.last_updated,
        description=row.description,
    )
    state = _stored_states(connection, [item_id]).get(item_id)
    override = connection.execute(
        select(item_overrides).where(item_overrides.c.item_id == item_id)
    ).first()
    if item_version(item, state, None if override is None else _override(override)) != expected:
        raise version_moved(item_id)


def _replay_id(connection: Connection, key: ScopedKey | None) -> int | None:
    """What the first request with `key` created, while the key is kept (None without a key);
    IdempotencyKeyReused when that request was another one."""
    if key is None:
        return None
    table = idempotency_keys
    row = connection.execute(
        select(table.c.fingerprint, table.c.resource_id).where(
            (table.c.principal == key.principal)
            & (table.c.environment_key == key.environment_key)
            & (table.c.key == key.key.value)
            & (table.c.created_at >= as_utc(key.kept_since))
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != key.key.fingerprint:
        raise IdempotencyKeyReused(key.key.value)
    return int(row.resource_id)


def _keep(connection: Connection, key: ScopedKey | None, resource_id: int) -> None:
    """Keep `key` with what its request created; keys no longer kept are deleted first, the
    one of the same name included."""
    if key is None:
        return
    table = idempotency_keys
    connection.execute(delete(table).where(table.c.created_at < as_utc(key.kept_since)))
    connection.execute(
        insert(table).values(
            principal=key.principal,
            environment_key=key.environment_key,
            key=key.key.value,
            fingerprint=key.key.fingerprint,
            resource_id=resource_id,
            created_at=as_utc(key.at),
        )
    )


def _stored_states(connection: Connection, item_ids: Collection[str]) -> dict[str, ItemState]:
    if not item_ids:
        return {}
    query = select(item_states).where(item_states.c.item_id.in_(sorted(item_ids)))
    return {row.item_id: _state(row) for row in connection.execute(query)}


def _check_items(connection: Connection, environment_key: str, item_ids: Collection[str]) -> None:
    known = connection.execute(
        select(environments.c.key).where(environments.c.key == environment_key)
    ).first()
    if known is None:
        raise unknown_environment(environment_key)
    check_items(environment_key, item_ids, _item_environments(connection, item_ids))


def _open_window(connection: Connection, window_id: int) -> Row[Any]:
    """The window, refused when unknown or cancelled."""
    row = connection.execute(
        select(maintenance_windows).where(maintenance_windows.c.id == window_id)
    ).first()
    if row is None:
        raise unknown_window(window_id)
    if row.cancelled_at is not None:
        raise window_cancelled(window_id)
    return row


def _upcoming(now: datetime) -> ColumnElement[bool]:
    """Windows neither cancelled nor over at `now`."""
    table = maintenance_windows
    return table.c.cancelled_at.is_(None) & (table.c.ends_at > now)


def _insert(connection: Connection, table: sqlalchemy.Table, values: dict[str, Any]) -> int:
    return int(connection.execute(insert(table).values(values).returning(table.c.id)).scalar_one())


def _link(
    connection: Connection,
    table: sqlalchemy.Table,
    column: str,
    owner_id: int,
    item_ids: Iterable[str],
) -> None:
    rows = [{column: owner_id, "item_id": item_id} for item_id in sorted(item_ids)]
    if rows:
        connection.execute(insert(table), rows)


def _insert_update(connection: Connection, incident_id: int, entry: IncidentUpdate) -> None:
    connection.execute(
        insert(incident_updates).values(
            incident_id=incident_id,
            state=entry.state.value,
            message=entry.message,
            at=as_utc(entry.at),
            author=entry.author,
        )
    )


def _upsert(connection: Connection, table: sqlalchemy.Table, key: str) -> Insert:
    """INSERT ... ON CONFLICT (key) DO UPDATE every other column to the new row's value."""
    statement: postgresql.Insert | sqlite.Insert
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(table)
    else:
        statement = sqlite.insert(table)
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={column.name: new[column.name] for column in table.c if column.name != key},
    )


def _incidents(
    connection: Connection,
    condition: ColumnElement[bool],
    *,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[Incident]:
    """The incidents matching `condition` with their items and timelines, in three queries."""
    order = incidents.c.id.desc() if newest_first else incidents.c.id
    query = select(incidents).where(condition).order_by(order).limit(limit)
    rows = list(connection.execute(query))
    ids = [row.id for row in rows]
    linked = _linked(connection, incident_items, incident_items.c.incident_id, ids)
    timelines: defaultdict[int, list[IncidentUpdate]] = defaultdict(list)
    if ids:
        updates = (
            select(incident_updates)
            .where(incident_updates.c.incident_id.in_(ids))
            .order_by(incident_updates.c.at, incident_updates.c.id)
        )
        for row in connection.execute(updates):
            timelines[row.incident_id].append(
                IncidentUpdate(
                    id=row.id,
                    state=IncidentState(row.state),
                    message=row.message,
                    at=row.at,
                    author=row.author,
                )
            )
    return [
        Incident(
            id=row.id,
            environment_key=row.environment_key,
            title=row.title,
            impact=Impact(row.impact),
            state=IncidentState(row.state),
            item_ids=frozenset(linked[row.id]),
            created_at=row.created_at,
            created_by=row.created_by,
            resolved_at=row.resolved_at,
            updates=tuple(timelines[row.id]),
        )
        for row in rows
    ]


def _windows(
    connection: Connection,
    condition: ColumnElement[bool],
    *,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[MaintenanceWindow]:
    table = maintenance_windows
    order = table.c.id.desc() if newest_first else table.c.id
    rows = list(connection.execute(select(table).where(condition).order_by(order).limit(limit)))
    linked = _linked(
        connection, maintenance_items, maintenance_items.c.window_id, [row.id for row in rows]
    )
    return [
        MaintenanceWindow(
            id=row.id,
            environment_key=row.environment_key,
            title=row.title,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            item_ids=frozenset(linked[row.id]),
            impact=Impact(row.impact),
            created_by=row.created_by,
            description=row.description,
            cancelled_at=row.cancelled_at,
        )
        for row in rows
    ]


def _linked(
    connection: Connection,
    table: sqlalchemy.Table,
    owner: sqlalchemy.Column[Any],
    owner_ids: Sequence[int],
) -> defaultdict[int, set[str]]:
    linked: defaultdict[int, set[str]] = defaultdict(set)
    if owner_ids:
        for row in connection.execute(select(owner, table.c.item_id).where(owner.in_(owner_ids))):
            linked[row[0]].add(row.item_id)
    return linked


def _window_values(window: MaintenanceWindow) -> dict[str, Any]:
    """What `update_maintenance` replaces."""
    return {
        "title": window.title,
        "description": window.description,
        "starts_at": as_utc(window.starts_at),
        "ends_at": as_utc(window.ends_at),
        "impact": window.impact.value,
    }


def _override(row: Row[Any]) -> Override:
    return Override(
        item_id=row.item_id,
        status_code=StatusCode(row.status_code),
        description=row.description,
        set_by=row.set_by,
        set_at=row.set_at,
        expires_at=row.expires_at,
    )


def _state(row: Row[Any]) -> ItemState:
    return ItemState(
        item_id=row.item_id,
        status_code=StatusCode(row.status_code),
        description=row.description,
        last_updated=row.last_updated,
        source=Source(row.source),
        reason=row.reason,
    )


def _state_values(state: ItemState) -> dict[str, Any]:
    return {
        "item_id": state.item_id,
        "status_code": int(state.status_code),
        "description": state.description,
        "last_updated": as_utc(state.last_updated),
        "source": state.source.value,
        "reason": state.reason,
    }


def _event_values(event: HistoryEvent) -> dict[str, Any]:
    return {
        "item_id": event.item_id,
        "environment_key": event.environment_key,
        "at": as_utc(event.at),
        "from_code": None if event.from_code is None else int(event.from_code),
        "to_code": int(event.to_code),
        "description": event.description,
        "reason": event.reason,
        "actor": event.actor,
    }


def _event(row: Row[Any]) -> HistoryEvent:
    return HistoryEvent(
        item_id=row.item_id,
        environment_key=row.environment_key,
        at=row.at,
        from_code=None if row.from_code is None else StatusCode(row.from_code),
        to_code=StatusCode(row.to_code),
        description=row.description,
        reason=row.reason,
        actor=row.actor,
        id=row.id,
    )
