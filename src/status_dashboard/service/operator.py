"""What operators do: set and clear an item's status, run incidents and maintenance windows.

Every write checks the principal's role and environment, is one transaction with its audit entry
(in the store), and is followed at once by a reconcile, so the public dashboard shows it on the
next snapshot refresh. What follows the commit never turns the answer into a failure: the write
happened, and the periodic reconcile publishes it if this one could not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.audit import AuditEntry, AuditQuery, Page
from status_dashboard.domain.errors import ConflictError, NotFoundError, VersionMismatch
from status_dashboard.domain.history import HistoryEvent, ItemState
from status_dashboard.domain.idempotency import IdempotencyKey, ScopedKey
from status_dashboard.domain.model import Group, Item
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.ports import (
    AuditLog,
    ClientRecord,
    ClientRegister,
    DashboardStore,
    OperationsStore,
)
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.versions import item_version
from status_dashboard.service.accounts import Forbidden, InvalidInput, require
from status_dashboard.service.reconciler import Reconciler

MAX_DESCRIPTION = 2000
MAX_TITLE = 200
_ATTEMPTS = 3
"""How often an override write reads the item again when its transaction finds the version moved
since the read (with If-Match the second read refuses it already); after that, a 409."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ItemView:
    """One item as an operator sees it: what the public sees, why, and what decides it."""

    environment_key: str
    group_key: str
    item: Item
    state: ItemState | None
    override: Override | None

    @property
    def version(self) -> str:
        """A strong ETag of what an operator acts on: two people editing one item compare it."""
        return item_version(self.item, self.state, self.override)


class Operations:
    def __init__(
        self,
        dashboards: DashboardStore,
        operations: OperationsStore,
        audit_log: AuditLog,
        clients: ClientRegister,
        reconciler: Reconciler,
        clock: Callable[[], datetime],
        after_write: Callable[[], object] = lambda: None,
    ) -> None:
        self._dashboards = dashboards
        self._ops = operations
        self._audit = audit_log
        self._clients = clients
        self._reconciler = reconciler
        self._clock = clock
        self._after_write = after_write

    # -- items -------------------------------------------------------------------------------

    def item(self, principal: Principal, environment_key: str, item_id: str) -> ItemView:
        require(principal, Role.VIEWER, environment_key)
        inputs = self._ops.reconcile_inputs(self._clock())
        for env_key, item in inputs.items:
            if item.id == item_id and env_key == environment_key:
                return ItemView(
                    env_key,
                    self._group_key(env_key, item_id),
                    item,
                    inputs.states.get(item_id),
                    inputs.overrides.get(item_id),
                )
        raise NotFoundError(f"No item '{item_id[:40]}' in environment '{environment_key[:40]}'")

    def board(
        self, principal: Principal, environment_key: str
    ) -> list[tuple[Group, tuple[ItemView, ...]]]:
        """Every item of an environment by group, in display order, read in one go; each view
        is built as `item` builds it, so its `version` is what `set_override` expects."""
        require(principal, Role.VIEWER, environment_key)
        environment = next(
            (env for env in self._dashboards.environments() if env.key == environment_key), None
        )
        if environment is None:
            raise NotFoundError(f"No environment '{environment_key[:40]}'")
        inputs = self._ops.reconcile_inputs(self._clock())
        manual = {item.id: item for key, item in inputs.items if key == environment_key}
        return [
            (
                group,
                tuple(
                    ItemView(
                        environment_key,
                        group.key,
                        manual.get(item.id, item),
                        inputs.states.get(item.id),
                        inputs.overrides.get(item.id),
                    )
                    for item in group.items
                ),
            )
            for group in environment.sorted().groups
        ]

    def set_override(
        self,
        principal: Principal,
        environment_key: str,
        item_id: str,
        status_code: StatusCode,
        description: str | None,
        expires_at: datetime | None,
        if_match: str | None,
    ) -> ItemView:
        require(principal, Role.OPERATOR, environment_key)
        now = self._clock()
        description = _text("description", description, MAX_DESCRIPTION)
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires_at", "must be in the future")
        override = Override(item_id, status_code, description, principal.label, now, expires_at)

        def write(current: ItemView) -> None:
            audit = self._entry(
                principal, "override.set", f"item:{item_id}", environment_key,
                before=_override_json(current.override), after=_override_json(override),
            )  # fmt: skip
            self._ops.set_override(override, audit, expected=current.version)

        current = self._guarded(principal, environment_key, item_id, if_match, write)
        return self._settled(principal, replace(current, override=override))

    def clear_override(
        self, principal: Principal, environment_key: str, item_id: str, if_match: str | None
    ) -> ItemView:
        require(principal, Role.OPERATOR, environment_key)

        def write(current: ItemView) -> None:
            if current.override is None:
                raise NotFoundError(f"Item '{item_id}' has no override")
            audit = self._entry(
                principal, "override.clear", f"item:{item_id}", environment_key,
                before=_override_json(current.override), after=None,
            )  # fmt: skip
            self._ops.clear_override(item_id, audit, expected=current.version)

        current = self._guarded(principal, environment_key, item_id, if_match, write)
        return self._settled(principal, replace(current, override=None))

    def history(
        self,
        principal: Principal,
        environment_key: str,
        item_id: str,
        cursor: int | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[HistoryEvent]:
        """The item's changes, newest first, from `since` (inclusive) to `until` (exclusive)."""
        self.item(principal, environment_key, item_id)
        return self._ops.history(item_id, cursor=cursor, limit=limit, since=since, until=until)

    # -- incidents ---------------------------------------------------------------------------

    def open_incident(
        self,
        principal: Principal,
        environment_key: str,
        title: str,
        impact: Impact,
        item_ids: frozenset[str],
        message: str,
        state: IncidentState = IncidentState.INVESTIGATING,
        idempotency: IdempotencyKey | None = None,
    ) -> Incident:
        """With `idempotency`, a retry of the request that opened an incident answers that
        incident, and nothing is written again."""
        require(principal, Role.OPERATOR, environment_key)
        title = _required_text("title", title, MAX_TITLE)
        message = _required_text("message", message, MAX_DESCRIPTION)
        if state is IncidentState.RESOLVED:
            raise InvalidInput("state", "a new incident cannot start resolved")
        scoped = self._scoped(principal, environment_key, idempotency)
        replayed = self._replayed(scoped)
        if replayed is not None:
            return self._incident(principal, environment_key, replayed)
        now = self._clock()
        update = IncidentUpdate(0, state, message, now, principal.label)
        audit = self._entry(
            principal, "incident.open", "incident:new", environment_key,
            after={"title": title, "impact": impact.value, "items": sorted(item_ids), "state": state.value, "message": message},
        )  # fmt: skip
        incident = self._ops.open_incident(
            environment_key, title, impact, item_ids, update, principal.label, audit,
            idempotency=scoped,
        )  # fmt: skip
        self._reconcile()
        return incident

    def update_incident(
        self,
        principal: Principal,
        environment_key: str,
        incident_id: int,
        state: IncidentState,
        message: str,
        idempotency: IdempotencyKey | None = None,
    ) -> Incident:
        """`idempotency` as `open_incident`'s: a retry answers the incident as it is now, even
        once the update it repeats resolved it."""
        current = self._incident(principal, environment_key, incident_id)
        require(principal, Role.OPERATOR, environment_key)
        message = _required_text("message", message, MAX_DESCRIPTION)
        scoped = self._scoped(principal, environment_key, idempotency)
        if self._replayed(scoped) is not None:
            return current
        if not current.open:
            raise ConflictError(f"Incident #{incident_id} is resolved; open a new one")
        update = IncidentUpdate(0, state, message, self._clock(), principal.label)
        audit = self._entry(
            principal, f"incident.{'resolve' if state is IncidentState.RESOLVED else 'update'}",
            f"incident:{incident_id}", environment_key,
            before={"state": current.state.value}, after={"state": state.value, "message": message},
        )  # fmt: skip
        incident = self._ops.add_incident_update(incident_id, update, audit, idempotency=scoped)
        self._reconcile()
        return incident

    def incidents(
        self,
        principal: Principal,
        environment_key: str,
        open_only: bool,
        cursor: int | None,
        limit: int,
    ) -> Page[Incident]:
        require(principal, Role.VIEWER, environment_key)
        self._environment(environment_key)
        return self._ops.incidents(environment_key, open_only=open_only, cursor=cursor, limit=limit)

    def incident(self, principal: Principal, environment_key: str, incident_id: int) -> Incident:
        return self._incident(principal, environment_key, incident_id)

    # -- maintenance -------------------------------------------------------------------------

    def schedule_maintenance(
        self,
        principal: Principal,
        environment_key: str,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        item_ids: frozenset[str],
        impact: Impact,
        description: str | None,
        window_id: int | None = None,
        idempotency: IdempotencyKey | None = None,
    ) -> MaintenanceWindow:
        """Schedule a new window, or (with `window_id`) replace an existing one's details.
        `idempotency` (a new window only) as `open_incident`'s."""
        require(principal, Role.OPERATOR, environment_key)
        title = _required_text("title", title, MAX_TITLE)
        description = _text("description", description, MAX_DESCRIPTION)
        if ends_at <= starts_at:
            raise InvalidInput("ends_at", "must be after starts_at")
        scoped = self._scoped(principal, environment_key, idempotency)
        replayed = self._replayed(scoped)
        if replayed is not None:
            return self._window(principal, environment_key, replayed)
        self._known_items(environment_key, item_ids)
        window = MaintenanceWindow(
            window_id or 0, environment_key, title, starts_at, ends_at, item_ids, impact,
            principal.label, description,
        )  # fmt: skip
        before = None
        if window_id is not None:
            before = _window_json(self._window(principal, environment_key, window_id))
        audit = self._entry(
            principal, "maintenance.update" if window_id else "maintenance.schedule",
            f"maintenance:{window_id or 'new'}", environment_key, before=before, after=_window_json(window),
        )  # fmt: skip
        if window_id is None:
            saved = self._ops.schedule_maintenance(window, audit, idempotency=scoped)
        else:
            saved = self._ops.update_maintenance(window, audit)
        self._reconcile()
        return saved

    def cancel_maintenance(
        self, principal: Principal, environment_key: str, window_id: int
    ) -> MaintenanceWindow:
        require(principal, Role.OPERATOR, environment_key)
        current = self._window(principal, environment_key, window_id)
        audit = self._entry(
            principal, "maintenance.cancel", f"maintenance:{window_id}", environment_key,
            before=_window_json(current), after=None,
        )  # fmt: skip
        cancelled = self._ops.cancel_maintenance(window_id, self._clock(), audit)
        self._reconcile()
        return cancelled

    def maintenance(
        self,
        principal: Principal,
        environment_key: str,
        include_past: bool,
        cursor: int | None,
        limit: int,
    ) -> Page[MaintenanceWindow]:
        require(principal, Role.VIEWER, environment_key)
        self._environment(environment_key)
        return self._ops.maintenance_windows(
            environment_key, include_past=include_past, cursor=cursor, limit=limit
        )

    # -- reading -----------------------------------------------------------------------------

    def audit_entries(
        self, principal: Principal, query: AuditQuery, cursor: int | None, limit: int
    ) -> Page[AuditEntry]:
        """The entries `principal` may read: a scoped admin's are those of its environments,
        and it is refused (not shown nothing) when it filters on another one."""
        require(principal, Role.ADMIN)
        if query.environment_key is not None and not principal.sees(query.environment_key):
            raise Forbidden(
                f"environment: {principal.label} may not read the audit log of "
                f"environment '{query.environment_key}'"
            )
        reach = replace(query, environments=principal.environments)
        return self._audit.entries(reach, cursor=cursor, limit=limit)

    def clients(
        self, principal: Principal, environment_key: str, cursor: int | None, limit: int
    ) -> Page[ClientRecord]:
        require(principal, Role.VIEWER, environment_key)
        self._environment(environment_key)
        return self._clients.clients(environment_key, cursor, limit)

    # -- helpers -----------------------------------------------------------------------------

    def _expect(
        self, principal: Principal, environment_key: str, item_id: str, if_match: str | None
    ) -> ItemView:
        current = self.item(principal, environment_key, item_id)
        if if_match is not None and if_match.strip() not in ("*", current.version):
            raise ConflictError(
                f"Item '{item_id}' was changed by someone else (If-Match {if_match[:40]} is not "
                f"its current version {current.version}); reload it and try again"
            )
        return current

    def _guarded(
        self,
        principal: Principal,
        environment_key: str,
        item_id: str,
        if_match: str | None,
        write: Callable[[ItemView], None],
    ) -> ItemView:
        """Read the item, check If-Match, and `write` with the version read as the one the
        store must still find in the write's transaction; the view the write was checked
        against. When the store finds another version, read again: with If-Match that read
        refuses the write (409), without it the write goes over the newer version knowingly,
        with that version's override in its audit entry."""
        for attempt in range(1, _ATTEMPTS + 1):
            current = self._expect(principal, environment_key, item_id, if_match)
            try:
                write(current)
            except VersionMismatch:
                if attempt == _ATTEMPTS:
                    raise
                continue
            return current
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _settled(self, principal: Principal, written: ItemView) -> ItemView:
        """The item after a committed write, as the public will see it once reconciled; when
        reconciling or reading again fails, `written` (what the write's transaction checked and
        wrote): the write happened, so its answer is not a failure."""
        if not self._reconcile():
            return written
        try:
            return self.item(principal, written.environment_key, written.item.id)
        except Exception as exc:  # the database, just after it committed the write
            log.warning("event=read_after_write_failed error=%s", type(exc).__name__)
            return written

    def _reconcile(self) -> bool:
        """Publish a committed write now; whether that worked. A failure is logged, never
        raised: the write stands, and the reconciler's periodic run publishes it."""
        try:
            self._reconciler.run_once()
        except Exception as exc:  # the database, just after it committed the write
            log.warning("event=reconcile_after_write_failed error=%s", type(exc).__name__)
            return False
        try:
            self._after_write()
        except Exception as exc:
            log.warning("event=refresh_after_write_failed error=%s", type(exc).__name__)
            return False
        return True

    def _scoped(
        self, principal: Principal, environment_key: str, key: IdempotencyKey | None
    ) -> ScopedKey | None:
        """The key as kept: the principal's own (by kind and id, which names never reuse), in
        this environment."""
        if key is None:
            return None
        return ScopedKey(f"{principal.kind}:{principal.id}", environment_key, key, self._clock())

    def _replayed(self, key: ScopedKey | None) -> int | None:
        """What the request that first used `key` created; looked up before the checks of the
        target's state, which its own success may have changed (an update that resolved)."""
        return None if key is None else self._ops.replayed(key)

    def _incident(self, principal: Principal, environment_key: str, incident_id: int) -> Incident:
        require(principal, Role.VIEWER, environment_key)
        incident = self._ops.incident(incident_id)
        if incident is None or incident.environment_key != environment_key:
            raise NotFoundError(
                f"No incident #{incident_id} in environment '{environment_key[:40]}'"
            )
        return incident

    def _window(
        self, principal: Principal, environment_key: str, window_id: int
    ) -> MaintenanceWindow:
        page = self._ops.maintenance_windows(
            environment_key, include_past=True, cursor=window_id + 1, limit=1
        )
        window = next((w for w in page.entries if w.id == window_id), None)
        if window is None:
            raise NotFoundError(
                f"No maintenance window #{window_id} in environment '{environment_key[:40]}'"
            )
        return window

    def _environment(self, environment_key: str) -> None:
        if all(env.key != environment_key for env in self._dashboards.environments()):
            raise NotFoundError(f"No environment '{environment_key[:40]}'")

    def _known_items(self, environment_key: str, item_ids: frozenset[str]) -> None:
        envs = {env.key: env for env in self._dashboards.environments()}
        env = envs.get(environment_key)
        if env is None:
            raise NotFoundError(f"No environment '{environment_key[:40]}'")
        known = {item.id for group in env.groups for item in group.items}
        unknown = sorted(item_ids - known)
        if unknown:
            raise InvalidInput(
                "item_ids", f"no such items in '{environment_key}': {', '.join(unknown[:5])}"
            )

    def _group_key(self, environment_key: str, item_id: str) -> str:
        for env in self._dashboards.environments():
            if env.key == environment_key:
                for group in env.groups:
                    if any(item.id == item_id for item in group.items):
                        return group.key
        return ""

    def _entry(
        self,
        principal: Principal,
        action: str,
        target: str,
        environment_key: str | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            self._clock(), principal.label, action, target, environment_key, before, after
        )


def _text(field: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters (got {len(value)})")
    return value or None


def _required_text(field: str, value: str, limit: int) -> str:
    text = _text(field, value, limit)
    if text is None:
        raise InvalidInput(field, "is required")
    return text


def _override_json(override: Override | None) -> dict[str, Any] | None:
    if override is None:
        return None
    document = asdict(override)
    document["status_code"] = int(override.status_code)
    document["set_at"] = override.set_at.isoformat()
    document["expires_at"] = override.expires_at.isoformat() if override.expires_at else None
    return document


def _window_json(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "title": window.title,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "items": sorted(window.item_ids),
        "impact": window.impact.value,
        "description": window.description,
    }
