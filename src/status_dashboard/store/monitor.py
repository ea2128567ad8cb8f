"""Checks, their leases and results, and the monitor's heartbeat on SQL (docs/design.md §6).

Workers share the checks through leases: `claim_due` marks up to n due checks as leased by one
worker until a moment; on PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED`, so workers
claiming at once take disjoint sets without waiting for each other; on SQLite BEGIN IMMEDIATE
serialises the claims. A lease is checked again when its result is recorded: a worker whose
lease expired and was taken over writes nothing.

Leases are timed by the database's clock, never the worker's: a worker whose clock runs ahead
would otherwise see the others' leases as expired and run their checks beside them, and one
whose clock runs behind would hand out leases that others see as expired already. PostgreSQL
answers `now()`; SQLite is one machine's file, so every process on it shares that machine's
clock, which the store reads itself. When a check is due is still the worker's call: its grid
is the worker's own (`next_due`), and running a check early overlaps nothing.

Defining checks (`set_checks`) is a catalog-side write and takes the store's write lock; what a
worker does takes only the rows it changes (`row_writing`). None of it moves the revision: a
check changes what the public sees only through the effective state reconciling decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import bindparam, case, delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.checks import CheckDefinition, CheckResult, CheckSchedule
from status_dashboard.domain.effective import CheckVerdict
from status_dashboard.domain.monitoring import CheckState, item_verdict, lease_expiry
from status_dashboard.domain.ports import Finding, Lease, StoredCheck
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.audit import record_audit
from status_dashboard.store.check_codec import (
    definition_of,
    definition_text,
    push_token,
    schedule_of,
    schedule_text,
)
from status_dashboard.store.records import (
    MONITOR_WITHIN,
    check_checks,
    check_limit,
    push_token_taken,
    unknown_item,
)
from status_dashboard.store.tables import check_results, checks, items, monitor_heartbeats
from status_dashboard.store.transactions import reading, row_writing, writing

CheckSpec = tuple[str, CheckDefinition, CheckSchedule]


class SqlMonitorStore:
    """`MonitorStore` on a migrated database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def set_checks(
        self,
        item_id: str,
        checks: Sequence[CheckSpec],
        now: datetime,
        audit: AuditEntry | None = None,
    ) -> None:
        check_checks(checks)
        with writing(self._engine) as connection:
            if connection.execute(select(items.c.id).where(items.c.id == item_id)).first() is None:
                raise unknown_item(item_id)
            _replace_checks(connection, item_id, checks, as_utc(now))
            if audit is not None:
                record_audit(connection, audit)

    def checks(self, environment_key: str | None = None) -> Sequence[StoredCheck]:
        query = _stored().order_by(checks.c.item_id, checks.c.key)
        if environment_key is not None:
            query = query.where(items.c.environment_key == environment_key)
        with reading(self._engine) as connection:
            return tuple(_stored_check(row) for row in connection.execute(query))

    def claim_due(
        self, worker: str, now: datetime, grace: timedelta, limit: int
    ) -> Sequence[Lease]:
        if limit < 1:
            return ()
        now = as_utc(now)
        with row_writing(self._engine) as connection:
            return self._claim(connection, worker, now, grace, limit)

    def _claim(
        self, connection: Connection, worker: str, now: datetime, grace: timedelta, limit: int
    ) -> Sequence[Lease]:
        clock = database_now(connection)
        due = (
            select(checks.c.id, checks.c.schedule)
            .where(checks.c.next_due <= now)
            .where(checks.c.leased_by.is_(None) | (checks.c.lease_expires_at <= clock))
            .order_by(checks.c.next_due, checks.c.id)
            .limit(limit)
            # Nothing on SQLite, where BEGIN IMMEDIATE has made this the only writer.
            .with_for_update(skip_locked=True)
        )
        expiry = {
            row.id: lease_expiry(clock, schedule_of(row.schedule), grace)
            for row in connection.execute(due)
        }
        if not expiry:
            return ()
        connection.execute(
            update(checks)
            .where(checks.c.id == bindparam("claimed"))
            .values(leased_by=worker, lease_expires_at=bindparam("until")),
            [{"claimed": i, "until": until} for i, until in expiry.items()],
        )
        rows = connection.execute(_stored().where(checks.c.id.in_(list(expiry))))
        found = {row.id: _stored_check(row) for row in rows}
        return tuple(Lease(found[i], worker, until) for i, until in expiry.items() if i in found)

    def record_result(
        self, lease: Lease, result: CheckResult, state: CheckState, next_due: datetime
    ) -> bool:
        return self.record_results([Finding(lease, result, state, next_due)])[0]

    def record_results(self, findings: Sequence[Finding]) -> Sequence[bool]:
        if not findings:
            return ()
        recorded = []
        with row_writing(self._engine) as connection:
            for finding in findings:
                lease = finding.lease
                held = (
                    (checks.c.id == lease.check.id)
                    & (checks.c.leased_by == lease.worker)
                    & (checks.c.lease_expires_at == as_utc(lease.expires_at))
                )
                # One statement checks and ends the lease, so no other worker can slip in.
                updated = connection.execute(
                    update(checks)
                    .where(held)
                    .values(
                        **_state_values(finding.state),
                        next_due=as_utc(finding.next_due),
                        leased_by=None,
                        lease_expires_at=None,
                    )
                )
                recorded.append(updated.rowcount == 1)
            rows = [
                _result_values(finding.lease.check.id, finding.result)
                for finding, kept in zip(findings, recorded, strict=True)
                if kept
            ]
            if rows:
                connection.execute(insert(check_results), rows)
        return recorded

    def results(self, check_id: int, *, limit: int) -> Sequence[CheckResult]:
        check_limit(limit)
        query = (
            select(check_results)
            .where(check_results.c.check_id == check_id)
            .order_by(check_results.c.at.desc(), check_results.c.id.desc())
            .limit(limit)
        )
        with reading(self._engine) as connection:
            return tuple(_result(row) for row in connection.execute(query))

    def push(self, token: str, at: datetime) -> bool:
        with row_writing(self._engine) as connection:
            at = as_utc(at)
            # A failing push check is judged again at once: the push is news that it recovered.
            recovered = checks.c.failing & (checks.c.next_due > at)
            updated = connection.execute(
                update(checks)
                .where(checks.c.push_token == token)
                .values(last_push_at=at, next_due=case((recovered, at), else_=checks.c.next_due))
            )
        return updated.rowcount > 0

    def last_push(self, check_id: int) -> datetime | None:
        query = select(checks.c.last_push_at).where(checks.c.id == check_id)
        with reading(self._engine) as connection:
            moment: datetime | None = connection.execute(query).scalar_one_or_none()
        return moment

    def beat(self, worker: str, now: datetime) -> None:
        statement: postgresql.Insert | sqlite.Insert
        if self._engine.dialect.name == "postgresql":
            statement = postgresql.insert(monitor_heartbeats)
        else:
            statement = sqlite.insert(monitor_heartbeats)
        upsert = statement.values(worker=worker, beat_at=as_utc(now)).on_conflict_do_update(
            index_elements=[monitor_heartbeats.c.worker],
            set_={"beat_at": statement.excluded.beat_at},
        )
        with row_writing(self._engine) as connection:
            connection.execute(upsert)

    def monitor_alive(self, now: datetime, within: timedelta) -> bool:
        with reading(self._engine) as connection:
            return monitor_alive(connection, now, within)

    def prune_results(self, older_than: datetime) -> int:
        # Under the write lock: a catalog write deleting checks cascades into these rows too, and
        # two deletes over many rows in different orders could deadlock.
        with writing(self._engine) as connection:
            deleted = connection.execute(
                delete(check_results).where(check_results.c.at < as_utc(older_than))
            )
        return int(deleted.rowcount)


def database_now(connection: Connection) -> datetime:
    """The database's clock, in UTC: what every worker's leases are timed by."""
    if connection.dialect.name == "postgresql":
        moment: datetime = connection.execute(select(func.now())).scalar_one()
        return as_utc(moment)
    # SQLite: one machine, one clock, read here rather than by CURRENT_TIMESTAMP, whose text
    # has whole seconds only and would not compare with the stored moments.
    return datetime.now(UTC)


def check_verdicts(connection: Connection, now: datetime) -> tuple[dict[str, CheckVerdict], bool]:
    """What each item's checks say at `now` (items without checks left out), and whether the
    monitor runs: always when there are no checks to run; else when a worker beat lately."""
    now = as_utc(now)
    by_item: defaultdict[str, list[tuple[CheckState, CheckSchedule]]] = defaultdict(list)
    for row in connection.execute(select(checks).order_by(checks.c.id)):
        by_item[row.item_id].append((_state(row), schedule_of(row.schedule)))
    verdicts = {}
    for item_id, item_checks in by_item.items():
        verdict = item_verdict(item_checks, now)
        if verdict is not None:
            verdicts[item_id] = verdict
    running = not by_item or monitor_alive(connection, now, MONITOR_WITHIN)
    return verdicts, running


def monitor_alive(connection: Connection, now: datetime, within: timedelta) -> bool:
    since = as_utc(now) - within
    query = select(exists().where(monitor_heartbeats.c.beat_at >= since))
    return bool(connection.execute(query).scalar())


def _replace_checks(
    connection: Connection, item_id: str, specs: Sequence[CheckSpec], now: datetime
) -> None:
    mine = checks.c.item_id == item_id
    keys = [key for key, _, _ in specs]
    connection.execute(delete(checks).where(mine & checks.c.key.not_in(keys)))
    tokens = [token for _, d, _ in specs if (token := push_token(d)) is not None]
    if tokens:
        taken = connection.execute(
            select(checks.c.push_token).where(~mine & checks.c.push_token.in_(tokens))
        ).first()
        if taken is not None:
            raise push_token_taken()
    # Cleared first, so that two kept checks may swap tokens without tripping the constraint.
    connection.execute(update(checks).where(mine).values(push_token=None))
    kept = {
        row.key: row.id for row in connection.execute(select(checks.c.key, checks.c.id).where(mine))
    }
    for key, definition, schedule in specs:
        values = {
            "kind": definition.kind,
            "definition": definition_text(definition),
            "schedule": schedule_text(schedule),
            "push_token": push_token(definition),
        }
        if key in kept:
            connection.execute(update(checks).where(checks.c.id == kept[key]).values(values))
        else:
            connection.execute(
                insert(checks).values(
                    item_id=item_id,
                    key=key,
                    next_due=now,
                    **values,
                    **_state_values(CheckState()),
                )
            )


def _stored() -> sqlalchemy.Select[Any]:
    return select(checks, items.c.environment_key).join(items, items.c.id == checks.c.item_id)


def _stored_check(row: Row[Any]) -> StoredCheck:
    return StoredCheck(
        id=row.id,
        item_id=row.item_id,
        environment_key=row.environment_key,
        key=row.key,
        definition=definition_of(row.definition),
        schedule=schedule_of(row.schedule),
        state=_state(row),
        next_due=row.next_due,
    )


def _state(row: Row[Any]) -> CheckState:
    return CheckState(
        failing=bool(row.failing),
        consecutive_failures=row.consecutive_failures,
        consecutive_successes=row.consecutive_successes,
        last_result_at=row.last_result_at,
        last_reason=row.last_reason,
        settled=bool(row.settled),
    )


def _state_values(state: CheckState) -> dict[str, Any]:
    return {
        "failing": state.failing,
        "consecutive_failures": state.consecutive_failures,
        "consecutive_successes": state.consecutive_successes,
        "last_result_at": None if state.last_result_at is None else as_utc(state.last_result_at),
        "last_reason": state.last_reason,
        "settled": state.settled,
    }


def _result_values(check_id: int, result: CheckResult) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "at": as_utc(result.at),
        "ok": result.ok,
        "reason": result.reason,
        "duration_ms": float(result.duration_ms),
        "detail": result.detail,
    }


def _result(row: Row[Any]) -> CheckResult:
    return CheckResult(
        ok=bool(row.ok),
        reason=row.reason,
        at=row.at,
        duration_ms=float(row.duration_ms),
        detail=row.detail,
    )
