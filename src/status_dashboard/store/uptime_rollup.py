"""The roll-up on SQL: history events and raw check results into hourly and daily aggregates.

It runs as one `writing` transaction, so roll-ups in several processes run one after another
and each starts from the marker the previous one committed; catalog writes, which cascade into
the aggregates, wait for it too, so the two can never deadlock. The rows of the periods it
recomputes are deleted and written afresh rather than upserted: a recomputed period may have
lost a row (a check with no run left in it), and under the lock nobody sees the gap.

The work is a few statements per pass, whatever the number of items and checks: one read of
the items' states at the start, one of the history since, one INSERT ... SELECT per hour of raw
results and per day of hours.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Table, case, delete, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import DAY, HOUR, Transition, day_of, hour_of
from status_dashboard.store.rollup import Marker, item_hours, periods, recompute_from
from status_dashboard.store.tables import (
    UtcDateTime,
    check_results,
    check_run_days,
    check_run_hours,
    item_status_days,
    item_status_events,
    item_status_hours,
    items,
    uptime_rollup,
)

_EVENTS = item_status_events
_RESULTS = check_results


def roll_up(connection: Connection, now: datetime) -> int:
    """Recompute from the marker up to `now` and move the marker; the rows written. The caller
    holds the write lock."""
    marker = _marker(connection)
    open_hour = None if marker is None else marker.open_hour
    newest_event = _newest(connection, _EVENTS)
    newest_result = _newest(connection, _RESULTS)
    written = 0
    items_from = recompute_from(
        open_hour,
        _earliest(connection, _EVENTS, 0 if marker is None else marker.last_event_id),
        _earliest(connection, _EVENTS),
    )
    if items_from is not None:
        written += _roll_items(connection, items_from, now)
    checks_from = recompute_from(
        open_hour,
        _earliest(connection, _RESULTS, 0 if marker is None else marker.last_result_id),
        _earliest(connection, _RESULTS),
    )
    if checks_from is not None:
        written += _roll_checks(connection, checks_from, now)
    _save_marker(connection, Marker(hour_of(now), newest_event, newest_result), marker is None)
    return written


def _roll_items(connection: Connection, start: datetime, now: datetime) -> int:
    last_before = (
        select(_EVENTS.c.to_code)
        .where(_EVENTS.c.item_id == items.c.id, _EVENTS.c.at < start)
        .order_by(_EVENTS.c.at.desc(), _EVENTS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    starts = {
        row.id: None if row.code is None else StatusCode(row.code)
        for row in connection.execute(select(items.c.id, last_before.label("code")))
    }
    changes: defaultdict[str, list[Transition]] = defaultdict(list)
    history = (
        select(_EVENTS.c.item_id, _EVENTS.c.at, _EVENTS.c.to_code)
        .where(_EVENTS.c.at >= start)
        .order_by(_EVENTS.c.item_id, _EVENTS.c.at, _EVENTS.c.id)
    )
    for row in connection.execute(history):
        changes[row.item_id].append(Transition(row.at, StatusCode(row.to_code)))
    rows = item_hours(starts, changes, start, now)
    hours = item_status_hours
    connection.execute(delete(hours).where(hours.c.starts_at >= start))
    if rows:
        connection.execute(
            insert(hours),
            [
                {
                    "item_id": item_id,
                    "starts_at": hour,
                    "operational_s": s.operational_s,
                    "disrupted_s": s.disrupted_s,
                    "unknown_s": s.unknown_s,
                }
                for item_id, hour, s in rows
            ],
        )
    sums = [func.sum(hours.c[name]) for name in ("operational_s", "disrupted_s", "unknown_s")]
    return len(rows) + _roll_days(connection, hours, item_status_days, "item_id", sums, start, now)


def _roll_checks(connection: Connection, start: datetime, now: datetime) -> int:
    hours = check_run_hours
    connection.execute(delete(hours).where(hours.c.starts_at >= start))
    written = 0
    for hour in periods(start, now, HOUR):
        runs = (
            select(
                _RESULTS.c.check_id,
                literal(hour, UtcDateTime),
                func.count(),
                func.sum(case((_RESULTS.c.ok, 0), else_=1)),
                func.sum(_RESULTS.c.duration_ms),
                func.max(_RESULTS.c.duration_ms),
            )
            .where(_RESULTS.c.at >= hour, _RESULTS.c.at < hour + HOUR)
            .group_by(_RESULTS.c.check_id)
        )
        written += _insert_from(connection, hours, runs)
    sums = [
        func.sum(hours.c.runs),
        func.sum(hours.c.failures),
        func.sum(hours.c.total_duration_ms),
        func.max(hours.c.max_duration_ms),
    ]
    return written + _roll_days(connection, hours, check_run_days, "check_id", sums, start, now)


def _roll_days(
    connection: Connection,
    hours: Table,
    days: Table,
    key: str,
    sums: list[Any],
    start: datetime,
    now: datetime,
) -> int:
    """Each day from the one `start` falls in is the sum of its hours, those before `start`
    (kept) and those just recomputed alike."""
    first = day_of(start)
    connection.execute(delete(days).where(days.c.starts_at >= first))
    written = 0
    for day in periods(first, now, DAY):
        totals = (
            select(hours.c[key], literal(day, UtcDateTime), *sums)
            .where(hours.c.starts_at >= day, hours.c.starts_at < day + DAY)
            .group_by(hours.c[key])
        )
        written += _insert_from(connection, days, totals)
    return written


def _insert_from(connection: Connection, table: Table, query: Any) -> int:
    statement = insert(table).from_select(list(table.c.keys()), query)
    # Without the option SQLAlchemy reports the row count of UPDATE and DELETE only (psycopg).
    result = connection.execute(statement.execution_options(preserve_rowcount=True))
    return int(result.rowcount)


def _marker(connection: Connection) -> Marker | None:
    row = connection.execute(select(uptime_rollup).where(uptime_rollup.c.id == 1)).first()
    if row is None:
        return None
    return Marker(row.open_hour, row.last_event_id, row.last_result_id)


def _save_marker(connection: Connection, marker: Marker, new: bool) -> None:
    values = {
        "open_hour": marker.open_hour,
        "last_event_id": marker.last_event_id,
        "last_result_id": marker.last_result_id,
    }
    if new:
        connection.execute(insert(uptime_rollup).values(id=1, **values))
    else:
        connection.execute(update(uptime_rollup).where(uptime_rollup.c.id == 1).values(values))


def _newest(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())


def _earliest(connection: Connection, table: Table, after_id: int | None = None) -> datetime | None:
    """The earliest moment in `table`, among the rows past `after_id` when one is given."""
    query = select(func.min(table.c.at))
    if after_id is not None:
        query = query.where(table.c.id > after_id)
    moment: datetime | None = connection.execute(query).scalar_one()
    return moment
