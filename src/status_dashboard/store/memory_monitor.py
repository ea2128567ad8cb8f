"""Checks, their leases and results, and the monitor's heartbeat in memory: a view of a
`MemoryDatabase`, behaving as `SqlMonitorStore` does (one contract suite).

Definitions and schedules are kept as the JSON text the SQL store writes, so that what reads
back went through the same codec.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.checks import CheckDefinition, CheckResult, CheckSchedule
from status_dashboard.domain.effective import CheckVerdict
from status_dashboard.domain.monitoring import CheckState, item_verdict, lease_expiry
from status_dashboard.domain.ports import Finding, Lease, StoredCheck
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.check_codec import (
    definition_of,
    definition_text,
    push_token,
    schedule_of,
    schedule_text,
)
from status_dashboard.store.memory_db import AuditRow, CheckRow, MemoryDatabase, ResultRow
from status_dashboard.store.records import (
    MONITOR_WITHIN,
    check_checks,
    check_limit,
    push_token_taken,
    unknown_item,
)

CheckSpec = tuple[str, CheckDefinition, CheckSchedule]


class MemoryMonitorStore:
    """`MonitorStore` held in `database`, shared with its other stores."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database

    def set_checks(
        self,
        item_id: str,
        checks: Sequence[CheckSpec],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        check_checks(checks)
        now = as_utc(now)
        row = None if audit is None else AuditRow.of(audit)
        encoded = [
            (key, definition_text(d), schedule_text(s), push_token(d)) for key, d, s in checks
        ]
        db = self.database
        with db.lock:
            if item_id not in db.item_environments():
                raise unknown_item(item_id)
            tokens = {token for *_, token in encoded if token is not None}
            if any(c.push_token in tokens for c in db.checks.values() if c.item_id != item_id):
                raise push_token_taken()
            mine = {c.key: c for c in db.checks.values() if c.item_id == item_id}
            keys = {key for key, *_ in encoded}
            db.drop_checks({c.id for key, c in mine.items() if key not in keys})
            for key, definition, schedule, token in encoded:
                kept = mine.get(key)
                if kept is not None:
                    db.checks[kept.id] = replace(
                        kept, definition=definition, schedule=schedule, push_token=token
                    )
                else:
                    check_id = db.next_id("check")
                    db.checks[check_id] = CheckRow(
                        id=check_id,
                        item_id=item_id,
                        key=key,
                        definition=definition,
                        schedule=schedule,
                        push_token=token,
                        state=CheckState(),
                        next_due=now,
                    )
            if row is not None:
                db.append_audit(row)

    def checks(self, environment_key: str | None = None) -> Sequence[StoredCheck]:
        db = self.database
        with db.lock:
            where = db.item_environments()
            rows = [
                c
                for c in db.checks.values()
                if environment_key is None or where[c.item_id] == environment_key
            ]
        rows.sort(key=lambda c: (c.item_id, c.key))
        return tuple(_stored(c, where[c.item_id]) for c in rows)

    def claim_due(
        self, worker: str, now: datetime, grace: timedelta, limit: int
    ) -> Sequence[Lease]:
        if limit < 1:
            return ()
        now = as_utc(now)
        db = self.database
        # The process's clock plays the database's, which times every lease (see store.monitor).
        clock = datetime.now(UTC)
        with db.lock:
            due = sorted(
                (
                    c
                    for c in db.checks.values()
                    if c.next_due <= now
                    and (c.leased_by is None or (c.lease_expires_at or clock) <= clock)
                ),
                key=lambda c: (c.next_due, c.id),
            )[:limit]
            leases = []
            where = db.item_environments()
            for check in due:
                until = lease_expiry(clock, schedule_of(check.schedule), grace)
                db.checks[check.id] = replace(check, leased_by=worker, lease_expires_at=until)
                leases.append(Lease(_stored(check, where[check.item_id]), worker, until))
        return tuple(leases)

    def record_result(
        self, lease: Lease, result: CheckResult, state: CheckState, next_due: datetime
    ) -> bool:
        return self.record_results([Finding(lease, result, state, next_due)])[0]

    def record_results(self, findings: Sequence[Finding]) -> Sequence[bool]:
        db = self.database
        with db.lock:
            return [self._record(finding) for finding in findings]

    def _record(self, finding: Finding) -> bool:
        """One finding; the caller holds the lock."""
        db, lease = self.database, finding.lease
        check = db.checks.get(lease.check.id)
        if (
            check is None
            or check.leased_by != lease.worker
            or check.lease_expires_at != as_utc(lease.expires_at)
        ):
            return False
        result, state = finding.result, finding.state
        stored_result = replace(result, at=as_utc(result.at), duration_ms=float(result.duration_ms))
        stored_state = replace(
            state,
            last_result_at=None if state.last_result_at is None else as_utc(state.last_result_at),
        )
        db.checks[check.id] = replace(
            check,
            state=stored_state,
            next_due=as_utc(finding.next_due),
            leased_by=None,
            lease_expires_at=None,
        )
        db.check_results.append(ResultRow(db.next_id("result"), check.id, stored_result))
        return True

    def results(self, check_id: int, *, limit: int) -> Sequence[CheckResult]:
        check_limit(limit)
        with self.database.lock:
            rows = [r for r in self.database.check_results if r.check_id == check_id]
        rows.sort(key=lambda r: (r.result.at, r.id), reverse=True)
        return tuple(r.result for r in rows[:limit])

    def push(self, token: str, at: datetime) -> bool:
        db = self.database
        with db.lock:
            check = next((c for c in db.checks.values() if c.push_token == token), None)
            if check is None:
                return False
            at = as_utc(at)
            # A failing push check is judged again at once: the push is news that it recovered.
            due = min(check.next_due, at) if check.state.failing else check.next_due
            db.checks[check.id] = replace(check, last_push_at=at, next_due=due)
        return True

    def last_push(self, check_id: int) -> datetime | None:
        with self.database.lock:
            check = self.database.checks.get(check_id)
        return None if check is None else check.last_push_at

    def beat(self, worker: str, now: datetime) -> None:
        with self.database.lock:
            self.database.heartbeats[worker] = as_utc(now)

    def monitor_alive(self, now: datetime, within: timedelta) -> bool:
        with self.database.lock:
            return monitor_alive(self.database, now, within)

    def prune_results(self, older_than: datetime) -> int:
        older_than = as_utc(older_than)
        db = self.database
        with db.lock:
            before = len(db.check_results)
            db.check_results = [r for r in db.check_results if r.result.at >= older_than]
            return before - len(db.check_results)


def check_verdicts(db: MemoryDatabase, now: datetime) -> tuple[dict[str, CheckVerdict], bool]:
    """`store.monitor.check_verdicts` in memory; the caller holds the lock."""
    now = as_utc(now)
    by_item: defaultdict[str, list[tuple[CheckState, CheckSchedule]]] = defaultdict(list)
    for check in sorted(db.checks.values(), key=lambda c: c.id):
        by_item[check.item_id].append((check.state, schedule_of(check.schedule)))
    verdicts = {}
    for item_id, item_checks in by_item.items():
        verdict = item_verdict(item_checks, now)
        if verdict is not None:
            verdicts[item_id] = verdict
    running = not by_item or monitor_alive(db, now, MONITOR_WITHIN)
    return verdicts, running


def monitor_alive(db: MemoryDatabase, now: datetime, within: timedelta) -> bool:
    since = as_utc(now) - within
    return any(beat >= since for beat in db.heartbeats.values())


def _stored(check: CheckRow, environment_key: str) -> StoredCheck:
    return StoredCheck(
        id=check.id,
        item_id=check.item_id,
        environment_key=environment_key,
        key=check.key,
        definition=definition_of(check.definition),
        schedule=schedule_of(check.schedule),
        state=check.state,
        next_due=check.next_due,
    )
