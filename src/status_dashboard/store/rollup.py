"""What the SQL and the memory uptime stores share about a roll-up: where it starts, and the rows
an item's history gives per hour.

A roll-up recomputes every hour from the one the last roll-up left open up to the current one;
rows of earlier hours stay. Data can arrive for an hour already closed: a check result is
recorded a little after the moment it ran, and a history event may carry an earlier moment (a
manual status keeps the moment it was set). So the marker also remembers the newest event and
result the last roll-up saw, and the next one starts early enough to take in anything newer.
(On PostgreSQL ids are handed out before commit, so a result whose transaction commits after a
later one's, just as a roll-up runs across an hour's end, can still be missed: milliseconds a
year, against the cost of reading every raw result again.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import StatusSeconds, Transition, hour_of, hourly_seconds

ItemHour = tuple[str, datetime, StatusSeconds]


@dataclass(frozen=True, slots=True)
class Marker:
    """Where the last roll-up stopped: the hour it left open, the newest history event and check
    result (by id) it had seen."""

    open_hour: datetime
    last_event_id: int
    last_result_id: int


def recompute_from(
    open_hour: datetime | None, earliest_new: datetime | None, oldest: datetime | None
) -> datetime | None:
    """The first hour to recompute, or None when there is nothing to roll up.

    `open_hour` is the marker's (None before the first roll-up), `earliest_new` the earliest
    moment among rows the last roll-up did not see, `oldest` the earliest row there is (None:
    no rows at all). The start never lies before the oldest row: an hour whose raw rows were
    pruned keeps the aggregate made while they were there.
    """
    if oldest is None:
        return None
    candidates = [moment for moment in (open_hour, earliest_new) if moment is not None]
    if not candidates:
        return None
    return hour_of(max(min(candidates), oldest))


def periods(start: datetime, now: datetime, period: timedelta) -> Iterator[datetime]:
    """The starts of the periods from `start` up to the one `now` falls in."""
    moment = start
    while moment <= now:
        yield moment
        moment += period


def item_hours(
    starts: Mapping[str, StatusCode | None],
    changes: Mapping[str, Sequence[Transition]],
    start: datetime,
    now: datetime,
) -> list[ItemHour]:
    """The hourly seconds of every item from `start` (an hour) to `now`.

    `starts` holds each item's status at `start` (None: not created yet), `changes` its history
    from `start` on, in order. Hours in which the item did not exist give no row.
    """
    rows: list[ItemHour] = []
    for item_id in sorted(starts):
        for hour, seconds in hourly_seconds(starts[item_id], changes.get(item_id, ()), start, now):
            if seconds.total_s > 0:
                rows.append((item_id, hour, seconds))
    return rows
