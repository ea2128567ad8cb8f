"""History aggregates in memory: a view of a `MemoryDatabase`, behaving as `SqlUptimeStore` does
(one contract suite), with the same roll-up (`store.rollup`) done over the lists it holds.

The SQL schema drops an item's or a check's aggregates with it (ON DELETE CASCADE); here a
roll-up drops the rows of what no longer exists, and reads skip them until then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from status_dashboard.domain.status import StatusCode
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
    Transition,
    day_of,
    hour_of,
)
from status_dashboard.store.memory_db import MemoryDatabase
from status_dashboard.store.rollup import Marker, item_hours, periods, recompute_from

K = TypeVar("K")
V = TypeVar("V")


class MemoryUptimeStore:
    """`UptimeStore` held in `database`, shared with its other stores."""

    def __init__(self, database: MemoryDatabase) -> None:
        self.database = database

    def roll_up(self, now: datetime) -> int:
        now = as_utc(now)
        db = self.database
        with db.lock:
            _drop_orphans(db)
            marker = db.rollup_marker
            open_hour = None if marker is None else marker.open_hour
            events = [(e.id or 0, e.at) for e in db.history]
            results = [(r.id, r.result.at) for r in db.check_results]
            written = 0
            items_from = _start(open_hour, events, 0 if marker is None else marker.last_event_id)
            if items_from is not None:
                written += _roll_items(db, items_from, now)
            checks_from = _start(open_hour, results, 0 if marker is None else marker.last_result_id)
            if checks_from is not None:
                written += _roll_checks(db, checks_from, now)
            db.rollup_marker = Marker(
                hour_of(now),
                max((i for i, _ in events), default=0),
                max((i for i, _ in results), default=0),
            )
        return written

    def uptime(self, environment_key: str, now: datetime) -> Mapping[str, ItemUptime]:
        now = as_utc(now)
        db = self.database
        with db.lock:
            ids = [item.id for key, item in db.items() if key == environment_key]
            windows: dict[str, dict[str, StatusSeconds]] = {item_id: {} for item_id in ids}
            for window in WINDOWS.values():
                rows = db.item_hours if window.period == HOUR else db.item_days
                start = window.start(now)
                totals = dict.fromkeys(ids, NO_TIME)
                for (item_id, starts_at), seconds in rows.items():
                    if item_id in totals and starts_at >= start:
                        totals[item_id] += seconds
                for item_id, seconds in totals.items():
                    windows[item_id][window.field] = seconds
        return {item_id: ItemUptime(**found) for item_id, found in windows.items()}

    def daily_bars(self, item_id: str, now: datetime, days: int = 90) -> Sequence[DailyBar]:
        if days < 1:
            raise ValueError(f"a history shows at least one day, not {days}")
        today = day_of(now)
        first = today - (days - 1) * DAY
        db = self.database
        with db.lock:
            exists = item_id in db.item_environments()
            found = {
                day: seconds
                for (owner, day), seconds in db.item_days.items()
                if exists and owner == item_id
            }
        return tuple(
            DailyBar(day.date(), found.get(day, NO_TIME)) for day in periods(first, today, DAY)
        )

    def check_hours(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        return self._check_periods(self.database.check_hours, HOUR, check_id, since, until)

    def check_days(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        return self._check_periods(self.database.check_days, DAY, check_id, since, until)

    def prune(self, aggregates_before: datetime) -> int:
        cutoff = as_utc(aggregates_before)
        db = self.database
        with db.lock:
            before = _row_count(db)
            db.item_hours = _since(db.item_hours, cutoff - HOUR)
            db.item_days = _since(db.item_days, cutoff - DAY)
            db.check_hours = _since(db.check_hours, cutoff - HOUR)
            db.check_days = _since(db.check_days, cutoff - DAY)
            return before - _row_count(db)

    def _check_periods(
        self,
        rows: Mapping[tuple[int, datetime], CheckPeriod],
        period: timedelta,
        check_id: int,
        since: datetime,
        until: datetime,
    ) -> Sequence[CheckPeriod]:
        since, until = as_utc(since), as_utc(until)
        with self.database.lock:
            found = [
                row
                for (owner, starts_at), row in rows.items()
                if owner == check_id
                and owner in self.database.checks
                and since - period < starts_at < until
            ]
        return tuple(sorted(found, key=lambda row: row.start))


def _start(
    open_hour: datetime | None, rows: Sequence[tuple[int, datetime]], last_seen: int
) -> datetime | None:
    """`recompute_from` over (id, moment) rows, as the SQL roll-up asks it of a table."""
    earliest_new = min((at for i, at in rows if i > last_seen), default=None)
    return recompute_from(open_hour, earliest_new, min((at for _, at in rows), default=None))


def _roll_items(db: MemoryDatabase, start: datetime, now: datetime) -> int:
    ordered = sorted(db.history, key=lambda e: (e.item_id, e.at, e.id or 0))
    starts: dict[str, StatusCode | None] = {item.id: None for _, item in db.items()}
    changes: defaultdict[str, list[Transition]] = defaultdict(list)
    for event in ordered:
        if event.at < start:
            starts[event.item_id] = event.to_code
        else:
            changes[event.item_id].append(Transition(event.at, event.to_code))
    db.item_hours = _before(db.item_hours, start)
    rows = item_hours(starts, changes, start, now)
    db.item_hours.update({(item_id, hour): seconds for item_id, hour, seconds in rows})
    first, last = day_of(start), day_of(now)
    db.item_days = _before(db.item_days, first)
    days: defaultdict[tuple[str, datetime], StatusSeconds] = defaultdict(StatusSeconds)
    for (item_id, hour), seconds in db.item_hours.items():
        if first <= day_of(hour) <= last:
            days[item_id, day_of(hour)] += seconds
    db.item_days.update(days)
    return len(rows) + len(days)


def _roll_checks(db: MemoryDatabase, start: datetime, now: datetime) -> int:
    by_hour: defaultdict[tuple[int, datetime], list[tuple[bool, float]]] = defaultdict(list)
    end = hour_of(now) + HOUR
    for row in db.check_results:
        if start <= row.result.at < end:
            by_hour[row.check_id, hour_of(row.result.at)].append(
                (row.result.ok, row.result.duration_ms)
            )
    db.check_hours = _before(db.check_hours, start)
    hours = {key: _runs(key[1], runs) for key, runs in by_hour.items()}
    db.check_hours.update(hours)
    first, last = day_of(start), day_of(now)
    db.check_days = _before(db.check_days, first)
    per_day: defaultdict[tuple[int, datetime], list[CheckPeriod]] = defaultdict(list)
    for (check_id, hour), period in db.check_hours.items():
        if first <= day_of(hour) <= last:
            per_day[check_id, day_of(hour)].append(period)
    days = {key: _total(key[1], in_day) for key, in_day in per_day.items()}
    db.check_days.update(days)
    return len(hours) + len(days)


def _runs(start: datetime, runs: Sequence[tuple[bool, float]]) -> CheckPeriod:
    durations = [duration for _, duration in runs]
    return CheckPeriod(
        start=start,
        runs=len(runs),
        failures=sum(1 for ok, _ in runs if not ok),
        total_duration_ms=sum(durations),
        max_duration_ms=max(durations),
    )


def _total(start: datetime, hours: Sequence[CheckPeriod]) -> CheckPeriod:
    return CheckPeriod(
        start=start,
        runs=sum(h.runs for h in hours),
        failures=sum(h.failures for h in hours),
        total_duration_ms=sum(h.total_duration_ms for h in hours),
        max_duration_ms=max(h.max_duration_ms for h in hours),
    )


def _drop_orphans(db: MemoryDatabase) -> None:
    """What the SQL cascades do: aggregates leave with their item or check."""
    item_ids = db.item_environments()
    db.item_hours = {k: v for k, v in db.item_hours.items() if k[0] in item_ids}
    db.item_days = {k: v for k, v in db.item_days.items() if k[0] in item_ids}
    db.check_hours = {k: v for k, v in db.check_hours.items() if k[0] in db.checks}
    db.check_days = {k: v for k, v in db.check_days.items() if k[0] in db.checks}


def _before(rows: Mapping[tuple[K, datetime], V], start: datetime) -> dict[tuple[K, datetime], V]:
    return {key: value for key, value in rows.items() if key[1] < start}


def _since(rows: Mapping[tuple[K, datetime], V], after: datetime) -> dict[tuple[K, datetime], V]:
    """The rows that start after `after`: what `prune` keeps."""
    return {key: value for key, value in rows.items() if key[1] > after}


def _row_count(db: MemoryDatabase) -> int:
    return len(db.item_hours) + len(db.item_days) + len(db.check_hours) + len(db.check_days)
