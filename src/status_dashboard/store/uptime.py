"""`UptimeStore` on SQL: history aggregates rolled up by `uptime_rollup`, read in one query each.

Uptime of every item of an environment is one UNION ALL of one grouped SELECT per window (the
24 h from the hourly rows, the rest from the daily ones), so a status page costs the same
whether the items have one change or a thousand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import String, Table, delete, func, literal, select, union_all
from sqlalchemy.engine import Row

from status_dashboard.domain.timestamps import as_utc
from status_dashboard.domain.uptime import (
    DAY,
    HOUR,
    NO_TIME,
    WINDOWS,
    CheckPeriod,
    DailyBar,
    ItemUptime,
    StatusSeconds,
    day_of,
)
from status_dashboard.store.rollup import periods
from status_dashboard.store.tables import (
    check_run_days,
    check_run_hours,
    item_status_days,
    item_status_hours,
    items,
)
from status_dashboard.store.transactions import reading, writing
from status_dashboard.store.uptime_rollup import roll_up

_SECONDS = ("operational_s", "disrupted_s", "unknown_s")


class SqlUptimeStore:
    """`UptimeStore` on a migrated database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def roll_up(self, now: datetime) -> int:
        with writing(self._engine) as connection:
            return roll_up(connection, as_utc(now))

    def uptime(self, environment_key: str, now: datetime) -> Mapping[str, ItemUptime]:
        now = as_utc(now)
        selects = []
        for label, window in WINDOWS.items():
            table = item_status_hours if window.period == HOUR else item_status_days
            joined = items.outerjoin(
                table, (table.c.item_id == items.c.id) & (table.c.starts_at >= window.start(now))
            )
            selects.append(
                select(
                    items.c.id,
                    literal(label, String).label("span"),
                    *(func.coalesce(func.sum(table.c[name]), 0.0).label(name) for name in _SECONDS),
                )
                .select_from(joined)
                .where(items.c.environment_key == environment_key)
                .group_by(items.c.id)
            )
        found: defaultdict[str, dict[str, StatusSeconds]] = defaultdict(dict)
        with reading(self._engine) as connection:
            for row in connection.execute(union_all(*selects)):
                found[row.id][WINDOWS[row.span].field] = _seconds(row)
        return {item_id: ItemUptime(**windows) for item_id, windows in found.items()}

    def daily_bars(self, item_id: str, now: datetime, days: int = 90) -> Sequence[DailyBar]:
        if days < 1:
            raise ValueError(f"a history shows at least one day, not {days}")
        today = day_of(now)
        first = today - (days - 1) * DAY
        table = item_status_days
        query = select(table).where(
            table.c.item_id == item_id, table.c.starts_at >= first, table.c.starts_at <= today
        )
        with reading(self._engine) as connection:
            found = {row.starts_at: _seconds(row) for row in connection.execute(query)}
        return tuple(
            DailyBar(day.date(), found.get(day, NO_TIME)) for day in periods(first, today, DAY)
        )

    def check_hours(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        return self._check_periods(check_run_hours, HOUR, check_id, since, until)

    def check_days(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        return self._check_periods(check_run_days, DAY, check_id, since, until)

    def prune(self, aggregates_before: datetime) -> int:
        cutoff = as_utc(aggregates_before)
        deleted = 0
        # Under the write lock, as the roll-up and the catalog writes cascading here are.
        with writing(self._engine) as connection:
            for table, period in _PERIOD_TABLES:
                result = connection.execute(
                    delete(table).where(table.c.starts_at <= cutoff - period)
                )
                deleted += int(result.rowcount)
        return deleted

    def _check_periods(
        self, table: Table, period: timedelta, check_id: int, since: datetime, until: datetime
    ) -> Sequence[CheckPeriod]:
        query = (
            select(table)
            .where(
                table.c.check_id == check_id,
                table.c.starts_at > as_utc(since) - period,
                table.c.starts_at < as_utc(until),
            )
            .order_by(table.c.starts_at)
        )
        with reading(self._engine) as connection:
            return tuple(
                CheckPeriod(
                    start=row.starts_at,
                    runs=row.runs,
                    failures=row.failures,
                    total_duration_ms=float(row.total_duration_ms),
                    max_duration_ms=float(row.max_duration_ms),
                )
                for row in connection.execute(query)
            )


_PERIOD_TABLES = (
    (item_status_hours, HOUR),
    (item_status_days, DAY),
    (check_run_hours, HOUR),
    (check_run_days, DAY),
)


def _seconds(row: Row[Any]) -> StatusSeconds:
    return StatusSeconds(float(row.operational_s), float(row.disrupted_s), float(row.unknown_s))
