"""Uptime: how long an item was Operational, Disrupted or Unknown, worked out from its history.

An item's history (domain.history) says when its effective status changed; between two changes
the status holds. So the time in each status over a window follows from the status at the
window's start and the changes inside it:

    status at start   changes inside            seconds (operational / disrupted / unknown)
    Operational       none                      the whole window / 0 / 0
    Operational       Disrupted at +6h of 24h   6h / 18h / 0
    none (not yet)    created Unknown at +1h    0 / 0 / 23h: before it existed counts as nothing

Windows are whole hours and UTC days (`hour_of`, `day_of`), so that stores can keep the seconds
per item per hour and per day and answer any window by adding rows up. The windows of
`ItemUptime` are the current, still open hour or day and those before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.timestamps import as_utc

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class Transition(NamedTuple):
    """A change of an item's status: from `at` on, the item is `to`."""

    at: datetime
    to: StatusCode


@dataclass(frozen=True, slots=True)
class StatusSeconds:
    """Seconds an item spent in each status over some time."""

    operational_s: float = 0.0
    disrupted_s: float = 0.0
    unknown_s: float = 0.0

    @property
    def uptime(self) -> float | None:
        """operational / (operational + disrupted), between 0 and 1; None when neither.

        Unknown is left out of the ratio: no data is not downtime (the monitor may be down, or
        the item new), and counting it either way would misstate the service. It is shown
        separately, as `unknown_s`.
        """
        known = self.operational_s + self.disrupted_s
        return None if known <= 0 else self.operational_s / known

    @property
    def total_s(self) -> float:
        return self.operational_s + self.disrupted_s + self.unknown_s

    def __add__(self, other: StatusSeconds) -> StatusSeconds:
        return StatusSeconds(
            self.operational_s + other.operational_s,
            self.disrupted_s + other.disrupted_s,
            self.unknown_s + other.unknown_s,
        )


NO_TIME = StatusSeconds()


@dataclass(frozen=True, slots=True)
class ItemUptime:
    """An item's seconds per status over the windows a status page shows.

    `last_24h` is the current hour and the 23 before it; the others are the current UTC day and
    the days before it, 7, 30, 90 and 365 in all.
    """

    last_24h: StatusSeconds = NO_TIME
    last_7d: StatusSeconds = NO_TIME
    last_30d: StatusSeconds = NO_TIME
    last_90d: StatusSeconds = NO_TIME
    last_365d: StatusSeconds = NO_TIME

    def windows(self) -> dict[str, StatusSeconds]:
        """Keyed by the labels of `WINDOWS`, in their order."""
        return {label: getattr(self, window.field) for label, window in WINDOWS.items()}


@dataclass(frozen=True, slots=True)
class Window:
    """One of the `ItemUptime` windows: `count` periods of `period`, the last one still open."""

    field: str
    period: timedelta
    count: int

    def start(self, now: datetime) -> datetime:
        """The start of the window's first period."""
        current = hour_of(now) if self.period == HOUR else day_of(now)
        return current - (self.count - 1) * self.period


WINDOWS = {
    "24h": Window("last_24h", HOUR, 24),
    "7d": Window("last_7d", DAY, 7),
    "30d": Window("last_30d", DAY, 30),
    "90d": Window("last_90d", DAY, 90),
    "365d": Window("last_365d", DAY, 365),
}


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One bar of a status page's daily history: an item's seconds per status on a UTC date."""

    day: date
    seconds: StatusSeconds


@dataclass(frozen=True, slots=True)
class CheckPeriod:
    """What one check's runs came to over an hour or a UTC day that begins at `start`.

    Kept after the raw results are pruned, so that a check's history outlives them.
    """

    start: datetime
    runs: int
    failures: int
    total_duration_ms: float
    max_duration_ms: float

    @property
    def mean_duration_ms(self) -> float | None:
        return None if self.runs == 0 else self.total_duration_ms / self.runs


def hour_of(moment: datetime) -> datetime:
    """The start of the UTC hour `moment` falls in."""
    return as_utc(moment).replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    """The start (UTC midnight) of the UTC day `moment` falls in."""
    return as_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def status_seconds(
    status_at_start: StatusCode | None,
    changes: Iterable[Transition],
    start: datetime,
    end: datetime,
) -> StatusSeconds:
    """The seconds in each status from `start` to `end` (the table of the module docstring).

    `status_at_start` is None when the item did not exist yet: time before its first change
    counts as nothing. `changes` are in the order they happened; one before `start` stands for
    the status at `start`, one at or after `end` is left out.
    """
    seconds = dict.fromkeys(StatusCode, 0.0)
    status, since = status_at_start, start
    for change in changes:
        moment = min(max(change.at, start), end)
        if status is not None:
            seconds[status] += (moment - since).total_seconds()
        status, since = change.to, moment
    if status is not None:
        seconds[status] += (end - since).total_seconds()
    return StatusSeconds(
        seconds[StatusCode.OPERATIONAL], seconds[StatusCode.DISRUPTED], seconds[StatusCode.UNKNOWN]
    )


def hourly_seconds(
    status_at_start: StatusCode | None,
    changes: Iterable[Transition],
    start: datetime,
    end: datetime,
) -> Iterator[tuple[datetime, StatusSeconds]]:
    """`status_seconds` for each hour from `start` (the start of an hour) up to `end`, the last
    hour cut short at `end`: one pass over `changes` (in the order they happened)."""
    if start != hour_of(start):
        raise ValueError(f"{start.isoformat()} is not the start of an hour")
    pending = iter(changes)
    upcoming = next(pending, None)
    status = status_at_start
    hour = start
    while hour < end:
        hour_end = min(hour + HOUR, end)
        inside: list[Transition] = []
        while upcoming is not None and upcoming.at < hour_end:
            inside.append(upcoming)
            upcoming = next(pending, None)
        yield hour, status_seconds(status, inside, hour, hour_end)
        if inside:
            status = inside[-1].to
        hour += HOUR
