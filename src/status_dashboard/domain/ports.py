"""What the services need from the outside world, as Protocols the adapters implement.

Every port has an SQL implementation (`store.sql`) and an in-memory one (`store.memory`), and
one contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from status_dashboard.domain.accounts import ApiToken, Role, User
from status_dashboard.domain.audit import AuditEntry, AuditQuery, Page
from status_dashboard.domain.catalog import CatalogMerge, CatalogSpec
from status_dashboard.domain.checks import CheckDefinition, CheckResult, CheckSchedule
from status_dashboard.domain.history import HistoryEvent, ReconcileInputs, StateChange
from status_dashboard.domain.idempotency import ScopedKey
from status_dashboard.domain.model import Environment
from status_dashboard.domain.monitoring import CheckState
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.uptime import CheckPeriod, DailyBar, ItemUptime
from status_dashboard.domain.users import UserChange

OVERFLOW_IDENTITY = "(other clients)"
"""The register's line for identities past its cap: their requests are counted there."""


@dataclass(frozen=True, slots=True)
class ClientSighting:
    """Requests from one client identity to one environment since the last flush."""

    environment_key: str
    user_agent: str
    conforming: bool
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """One line of the client register: who called an environment, how often, and when."""

    environment_key: str
    user_agent: str
    conforming: bool
    request_count: int
    first_seen: datetime
    last_seen: datetime


class DashboardStore(Protocol):
    """Environments, groups and items, and the revision that tells readers something changed."""

    def revision(self) -> int:
        """A number that grows with every committed change of what a dashboard shows."""
        ...

    def environments(self) -> Sequence[Environment]:
        """Every environment with its groups and items, in display order, as the public sees
        them: an item's status, description and last_updated are its effective state
        (`item_states`) where one was decided, else its manual status."""
        ...

    def apply_catalog(
        self,
        spec: CatalogSpec,
        now: datetime,
        *,
        prune: bool = False,
        audit: AuditEntry | None = None,
        expected_revision: int | None = None,
    ) -> CatalogMerge:
        """Merge `spec` (domain.catalog.merge_catalog) and store the result in one transaction,
        together with `audit` when one is given.

        With `expected_revision`, raise StaleRevision (writing nothing) when the store's
        revision is another one: the spec was planned from data that has changed since.

        Nothing is written (no audit entry either), and the revision stays, when the merge
        changes nothing.
        """
        ...

    def delete_environment(
        self, environment_key: str, audit: AuditEntry, *, expected_revision: int | None = None
    ) -> None:
        """Remove an environment with everything in it, in one transaction with `audit`.

        NotFoundError for an unknown key; ConflictError for the default environment;
        StaleRevision as for `apply_catalog`. Open incidents are the caller's check.
        """
        ...

    def ping(self) -> None:
        """Raise if the store cannot be reached."""
        ...


class ClientRegister(Protocol):
    """The tracing record of docs/design.md §3: every client identity that called, per environment."""

    def record(self, sightings: Sequence[ClientSighting]) -> None:
        """Add counts and widen first/last seen, in one transaction.

        An environment holds at most the register's cap of identities (besides
        OVERFLOW_IDENTITY): a new identity past it is counted on the OVERFLOW_IDENTITY line,
        conforming or not, most requested first when a batch brings more than there is room for.
        """
        ...

    def clients(
        self, environment_key: str, cursor: int | None = None, limit: int = 50
    ) -> Page[ClientRecord]:
        """One page of an environment's register, most recently seen first (ties by
        User-Agent); `cursor` is the position where the page starts (None: the first)."""
        ...

    def prune(self, seen_before: datetime) -> int:
        """Delete the lines last seen before `seen_before`, in every environment; how many."""
        ...


class AccountStore(Protocol):
    """Users and API tokens. Each write is one transaction with its audit entry."""

    def create_user(self, name: str, role: Role, password_hash: str, audit: AuditEntry) -> User:
        """Raises ConflictError when the name is taken."""
        ...

    def user_by_name(self, name: str) -> User | None: ...

    def users(self) -> Sequence[User]: ...

    def create_token(
        self,
        name: str,
        role: Role,
        token_hash: str,
        environments: frozenset[str] | None,
        expires_at: datetime | None,
        audit: AuditEntry,
    ) -> ApiToken:
        """Raises ConflictError when the name is taken by a token not revoked."""
        ...

    def token_by_hash(self, token_hash: str) -> ApiToken | None: ...

    def touch_token(self, token_id: int, at: datetime) -> None:
        """Record a use; cheap, and not audited (it is not a write by a person)."""
        ...

    def revoke_token(self, token_id: int, at: datetime, audit: AuditEntry) -> ApiToken:
        """Raises NotFoundError for an unknown id."""
        ...

    def tokens(self) -> Sequence[ApiToken]: ...


class OperationsStore(Protocol):
    """Overrides, incidents and maintenance windows, and the effective states they lead to.

    Every write is one transaction together with its audit entry; `audit.before`/`after` are
    filled by the caller. Writes that change what the public sees are followed by
    `apply_states` (through `service.reconciler`), which bumps the dashboard revision.
    """

    def override(self, item_id: str) -> Override | None: ...

    def set_override(
        self, override: Override, audit: AuditEntry, *, expected: str | None = None
    ) -> None:
        """Create or replace the item's override. NotFoundError for an unknown item;
        VersionMismatch when `expected` is given and is not the item's version
        (`domain.versions.item_version`) in the write's own transaction."""
        ...

    def clear_override(
        self, item_id: str, audit: AuditEntry, *, expected: str | None = None
    ) -> bool:
        """False when there was none (and nothing is written); `expected` as `set_override`."""
        ...

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
        """NotFoundError when an item is unknown or not in `environment_key`.

        With `idempotency`, the key is kept with the incident in the same transaction; when it
        was kept already for the same request, the incident it created is returned and nothing
        is written; IdempotencyKeyReused when it was kept for another request."""
        ...

    def add_incident_update(
        self,
        incident_id: int,
        update: IncidentUpdate,
        audit: AuditEntry,
        *,
        idempotency: ScopedKey | None = None,
    ) -> Incident:
        """Append to the timeline and move the incident to `update.state` (resolved_at is set
        when it becomes resolved). ConflictError on an incident already resolved.
        `idempotency` as `open_incident`'s."""
        ...

    def replayed(self, key: ScopedKey) -> int | None:
        """The id of what the first request with `key` created (an incident or a maintenance
        window), while the key is kept; None when it is not. IdempotencyKeyReused when it was
        kept for another request."""
        ...

    def incident(self, incident_id: int) -> Incident | None: ...

    def incidents(
        self, environment_key: str, *, open_only: bool, cursor: int | None, limit: int
    ) -> Page[Incident]: ...

    def schedule_maintenance(
        self, window: MaintenanceWindow, audit: AuditEntry, *, idempotency: ScopedKey | None = None
    ) -> MaintenanceWindow:
        """`window.id` is ignored and given by the store. `idempotency` as `open_incident`'s."""
        ...

    def update_maintenance(self, window: MaintenanceWindow, audit: AuditEntry) -> MaintenanceWindow:
        """Replace title, times, items, impact, description. NotFoundError / ConflictError
        (a cancelled window)."""
        ...

    def cancel_maintenance(
        self, window_id: int, at: datetime, audit: AuditEntry
    ) -> MaintenanceWindow: ...

    def maintenance_windows(
        self, environment_key: str, *, include_past: bool, cursor: int | None, limit: int
    ) -> Page[MaintenanceWindow]: ...

    def reconcile_inputs(self, now: datetime) -> ReconcileInputs:
        """Everything `domain.history.reconcile` needs, read in one consistent snapshot."""
        ...

    def apply_states(self, changes: Sequence[StateChange]) -> None:
        """Store the new states and their history events, and bump the revision; one
        transaction, which does nothing for no changes."""
        ...

    def history(
        self,
        item_id: str,
        *,
        cursor: int | None,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[HistoryEvent]:
        """The item's history, newest first: catalog changes and effective changes alike."""
        ...


class AuditLog(Protocol):
    def entries(self, query: AuditQuery, *, cursor: int | None, limit: int) -> Page[AuditEntry]:
        """Newest first. There is no way to change or delete an entry: not here, not anywhere."""
        ...


@dataclass(frozen=True, slots=True)
class StoredCheck:
    """A check as the store keeps it: what to run, when, and what it has established."""

    id: int
    item_id: str
    environment_key: str
    key: str  # unique within its item
    definition: CheckDefinition
    schedule: CheckSchedule
    state: CheckState
    next_due: datetime


@dataclass(frozen=True, slots=True)
class Lease:
    """A check claimed by one worker until `expires_at`; past it, any worker may take it over."""

    check: StoredCheck
    worker: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Finding:
    """One run of a leased check, to be recorded: its result, the check's new state, and when
    it is due next."""

    lease: Lease
    result: CheckResult
    state: CheckState
    next_due: datetime


class MonitorStore(Protocol):
    """Checks, their leases and results, and the monitor's heartbeat (docs/design.md §6)."""

    def set_checks(
        self,
        item_id: str,
        checks: Sequence[tuple[str, CheckDefinition, CheckSchedule]],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        """Make (key, definition, schedule) the item's checks in one transaction: a key kept
        keeps its state; a new one is due at `now`; a key left out is removed with its
        results. NotFoundError for an unknown item."""
        ...

    def checks(self, environment_key: str | None = None) -> Sequence[StoredCheck]: ...

    def claim_due(
        self, worker: str, now: datetime, grace: timedelta, limit: int
    ) -> Sequence[Lease]:
        """Lease to `worker` up to `limit` checks due at `now` (the worker's clock) that no live
        lease holds, soonest due first, each until `lease_expiry(t, its schedule, grace)` where
        `t` is the database's clock, which alone says whether a lease is live: a worker whose
        clock is off takes no check another holds. Two workers never get the same check (on
        PostgreSQL `FOR UPDATE SKIP LOCKED`); an expired lease is free to take."""
        ...

    def record_result(
        self, lease: Lease, result: CheckResult, state: CheckState, next_due: datetime
    ) -> bool:
        """Store `result`, the check's new `state` and `next_due`, and end the lease, in one
        transaction; False (nothing written) when the lease is no longer this worker's."""
        ...

    def record_results(self, findings: Sequence[Finding]) -> Sequence[bool]:
        """`record_result` for many runs in one transaction; for each, whether it was recorded.
        A busy worker writes its results in batches, not one transaction per check."""
        ...

    def results(self, check_id: int, *, limit: int) -> Sequence[CheckResult]:
        """The latest results of one check, newest first."""
        ...

    def push(self, token: str, at: datetime) -> bool:
        """A push (heartbeat) for the push check with `token`; False for an unknown token."""
        ...

    def last_push(self, check_id: int) -> datetime | None: ...

    def beat(self, worker: str, now: datetime) -> None:
        """The worker `worker` is alive at `now`."""
        ...

    def monitor_alive(self, now: datetime, within: timedelta) -> bool:
        """Whether any worker beat within `within` before `now`."""
        ...

    def prune_results(self, older_than: datetime) -> int:
        """Delete raw results older than `older_than`; how many went."""
        ...


class UptimeStore(Protocol):
    """History kept as aggregates: seconds per status per item, and runs per check, per hour
    and per UTC day (domain.uptime), so that uptime and the daily bars are one cheap read and a
    check's history outlives its raw results."""

    def roll_up(self, now: datetime) -> int:
        """Recompute the aggregates of every hour and day from the last roll-up's open hour (or
        the earliest data, the first time) up to `now`, the still open hour and day included;
        rows written. One transaction; running it again, or in two processes at once, gives
        the same rows."""
        ...

    def uptime(self, environment_key: str, now: datetime) -> Mapping[str, ItemUptime]:
        """Every item of the environment by id, over the windows of `domain.uptime.WINDOWS`
        ending at `now`; as of the last roll-up. Empty for an unknown environment."""
        ...

    def daily_bars(self, item_id: str, now: datetime, days: int = 90) -> Sequence[DailyBar]:
        """The item's last `days` UTC days, oldest first, today last; a day without data has
        no seconds at all."""
        ...

    def check_hours(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        """The hours of the check that overlap [since, until) and had runs, oldest first."""
        ...

    def check_days(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        """As `check_hours`, per UTC day."""
        ...

    def prune(self, aggregates_before: datetime) -> int:
        """Delete the hours and days that ended at or before `aggregates_before`; how many."""
        ...


class UserDirectory(Protocol):
    """Users as sessions and user management see them. Each write is one transaction with its
    audit entry, whose `before`/`after` the store fills from the user records."""

    def user_by_id(self, user_id: int) -> User | None: ...

    def user_by_name(self, name: str) -> User | None: ...

    def users(self) -> Sequence[User]: ...

    def change_user(self, user_id: int, change: UserChange, audit: AuditEntry) -> User:
        """Apply `change` and move the session epoch on (ending every session of the user).
        Raises NotFoundError for an unknown id, LastAdmin when no enabled admin would remain
        (checked in the same transaction, so two admins demoting each other cannot both win)."""
        ...

    def end_sessions(self, user_id: int, audit: AuditEntry) -> None:
        """Move the session epoch on (sign-out); the audit entry in the same transaction."""
        ...


class LoginFailures(Protocol):
    """Failed sign-ins per key (`domain.throttle.login_keys`), shared by every replica."""

    def wait_s(self, keys: Sequence[str], now: datetime) -> float:
        """Seconds until every key may try again; 0 when none has to wait."""
        ...

    def failed(self, keys: Sequence[str], now: datetime, audit: AuditEntry) -> float:
        """Count a failure for each key and set its wait (`domain.throttle.delay_after`), with
        the audit entry, in one transaction; prunes forgotten keys. The longest new wait."""
        ...

    def succeeded(self, keys: Sequence[str], audit: AuditEntry) -> None:
        """Forget `keys`' failures, with the audit entry of the sign-in, in one transaction."""
        ...
