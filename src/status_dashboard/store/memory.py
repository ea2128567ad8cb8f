"""In-memory adapters of the domain ports, behaving exactly as the SQL ones (one contract suite).

For unit tests, demos and the simulator: nothing survives the process. The stores of one
simulated database are views of one `MemoryDatabase` (see `memory_db`), whose lock makes every
operation atomic, as a transaction does for the SQL stores:

    database = MemoryDatabase()
    dashboard = MemoryDashboardStore(database=database)
    operations = MemoryOperationsStore(database)
    monitor = MemoryMonitorStore(database)

`MemoryDashboardStore()` alone makes a database of its own (`.database`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from status_dashboard.domain.audit import AuditEntry, Page
from status_dashboard.domain.catalog import (
    CatalogMerge,
    CatalogSpec,
    CheckSpec,
    ChecksWrite,
    StatusChange,
    merge_catalog,
)
from status_dashboard.domain.errors import ConflictError, NotFoundError, StaleRevision
from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS, Environment
from status_dashboard.domain.ports import OVERFLOW_IDENTITY, ClientRecord, ClientSighting
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.check_codec import definition_of, schedule_of
from status_dashboard.store.memory_db import AuditRow, MemoryDatabase, frozen
from status_dashboard.store.memory_monitor import MemoryMonitorStore
from status_dashboard.store.memory_operations import (
    MemoryAccountStore,
    MemoryAuditLog,
    MemoryOperationsStore,
)
from status_dashboard.store.memory_uptime import MemoryUptimeStore
from status_dashboard.store.memory_users import MemoryLoginFailures, MemoryUserDirectory
from status_dashboard.store.plan import plan_write
from status_dashboard.store.sightings import DEFAULT_MAX_CLIENTS, add, admit, combine
from status_dashboard.store.uniqueness import ensure_unique

__all__ = [
    "MemoryAccountStore",
    "MemoryAuditLog",
    "MemoryClientRegister",
    "MemoryDashboardStore",
    "MemoryDatabase",
    "MemoryLoginFailures",
    "MemoryMonitorStore",
    "MemoryOperationsStore",
    "MemoryUptimeStore",
    "MemoryUserDirectory",
]


_DEFAULT_STAYS = "Environment '{}' is the default one; make another the default first"


class MemoryDashboardStore:
    """`DashboardStore` held in the process; a new database starts at revision 0 with
    `environments`, or the store is a view of `database`."""

    def __init__(
        self,
        environments: Sequence[Environment] = DEFAULT_ENVIRONMENTS,
        *,
        database: MemoryDatabase | None = None,
    ) -> None:
        if database is not None and environments is not DEFAULT_ENVIRONMENTS:
            raise ValueError("give the environments of a new database, or a database, not both")
        self.database = database if database is not None else MemoryDatabase(environments)

    def revision(self) -> int:
        with self.database.lock:
            return self.database.revision

    def environments(self) -> Sequence[Environment]:
        with self.database.lock:
            return self.database.shown()

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
        # Encoded first: an entry JSON cannot hold fails the write before anything changes.
        row = None if audit is None else AuditRow.of(audit)
        db = self.database
        with db.lock:
            if expected_revision is not None and db.revision != expected_revision:
                raise StaleRevision("the catalog changed while this write was planned")
            checks = _stored_checks(db) if spec.declares_checks else {}
            merge = merge_catalog(db.environments, spec, now, prune=prune, checks=checks)
            if not merge.changed:
                return merge
            ensure_unique(merge.environments)
            db.follow_items(plan_write(db.environments, merge.environments).items)
            db.add_catalog_history(merge.status_changes)
            db.environments = frozen(merge.environments)
            _write_checks(db, merge.check_writes, now)
            db.revision += 1
            if row is not None:
                db.append_audit(row)
        return merge

    def delete_environment(
        self, environment_key: str, audit: AuditEntry, *, expected_revision: int | None = None
    ) -> None:
        row = AuditRow.of(audit)
        db = self.database
        with db.lock:
            if expected_revision is not None and db.revision != expected_revision:
                raise StaleRevision("the catalog changed while this write was planned")
            found = next((e for e in db.environments if e.key == environment_key), None)
            if found is None:
                raise NotFoundError(f"No environment '{environment_key[:40]}'")
            if found.is_default:
                raise ConflictError(_DEFAULT_STAYS.format(environment_key))
            db.drop_environment(environment_key)
            db.revision += 1
            db.append_audit(row)

    def status_history(self, item_id: str) -> tuple[StatusChange, ...]:
        """Every recorded change of the item's status, oldest first."""
        with self.database.lock:
            events = [event for event in self.database.history if event.item_id == item_id]
        return tuple(
            StatusChange(
                item_id=e.item_id,
                environment_key=e.environment_key,
                at=e.at,
                from_code=e.from_code,
                to_code=e.to_code,
                description=e.description,
                reason=e.reason,
            )
            for e in sorted(events, key=lambda event: event.at)
        )

    def ping(self) -> None:
        """Always reachable."""


def _stored_checks(db: MemoryDatabase) -> dict[str, tuple[CheckSpec, ...]]:
    """`store.catalog_write.stored_checks` in memory; the caller holds the lock."""
    found: defaultdict[str, list[CheckSpec]] = defaultdict(list)
    for check in sorted(db.checks.values(), key=lambda c: (c.item_id, c.key)):
        found[check.item_id].append(
            (check.key, definition_of(check.definition), schedule_of(check.schedule))
        )
    return {item_id: tuple(specs) for item_id, specs in found.items()}


def _write_checks(db: MemoryDatabase, writes: Sequence[ChecksWrite], now: datetime) -> None:
    """`store.catalog_write.write_checks` in memory; the caller holds the (re-entrant) lock.

    The merge has made sure that no two checks of the result share a push token; tokens moving
    between the items of one load are cleared first, as on SQL, so the order does not matter.
    """
    if not writes:
        return
    changed = {write.item_id for write in writes}
    for check_id, check in list(db.checks.items()):
        if check.item_id in changed:
            db.checks[check_id] = replace(check, push_token=None)
    monitor = MemoryMonitorStore(db)
    for write in writes:
        monitor.set_checks(write.item_id, write.checks, now)


class MemoryClientRegister:
    """`ClientRegister` held in the process."""

    def __init__(self, max_per_environment: int = DEFAULT_MAX_CLIENTS) -> None:
        if max_per_environment < 1:
            raise ValueError("max_per_environment must be at least 1")
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], ClientRecord] = {}
        self._max = max_per_environment

    def record(self, sightings: Sequence[ClientSighting]) -> None:
        by_environment: dict[str, list[ClientSighting]] = {}
        for sighting in combine(sightings):
            by_environment.setdefault(sighting.environment_key, []).append(sighting)
        with self._lock:
            for env, batch in by_environment.items():
                held = {a for (e, a) in self._records if e == env and a != OVERFLOW_IDENTITY}
                for sighting in admit(batch, held, self._max - len(held)):
                    key = (env, sighting.user_agent)
                    self._records[key] = add(self._records.get(key), sighting)

    def clients(
        self, environment_key: str, cursor: int | None = None, limit: int = 50
    ) -> Page[ClientRecord]:
        with self._lock:
            records = [r for r in self._records.values() if r.environment_key == environment_key]
        records.sort(key=lambda r: r.user_agent)
        records.sort(key=lambda r: r.last_seen, reverse=True)
        start = cursor or 0
        more = len(records) > start + limit
        return Page(tuple(records[start : start + limit]), start + limit if more else None)

    def prune(self, seen_before: datetime) -> int:
        with self._lock:
            limit = as_utc(seen_before)
            old = [key for key, r in self._records.items() if as_utc(r.last_seen) < limit]
            for key in old:
                del self._records[key]
        return len(old)
