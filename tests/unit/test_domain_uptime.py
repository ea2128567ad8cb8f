"""Uptime from history as a table: the status at a window's start and the changes inside it
give the seconds in each status; hours and the windows of a status page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import (
    NO_TIME,
    WINDOWS,
    CheckPeriod,
    DailyBar,
    ItemUptime,
    StatusSeconds,
    Transition,
    day_of,
    hour_of,
    hourly_seconds,
    status_seconds,
)

OP, DIS, UNK = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN
START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=1)


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def hours(operational: float = 0, disrupted: float = 0, unknown: float = 0) -> StatusSeconds:
    return StatusSeconds(operational * 3600, disrupted * 3600, unknown * 3600)


@pytest.mark.parametrize(
    ("status_at_start", "changes", "expected"),
    [
        pytest.param(OP, [], hours(24), id="operational-all-day"),
        pytest.param(DIS, [], hours(disrupted=24), id="disrupted-all-day"),
        pytest.param(None, [], NO_TIME, id="not-created-yet"),
        pytest.param(OP, [Transition(at(18), DIS)], hours(18, 6), id="disrupted-for-the-last-6h"),
        pytest.param(
            OP,
            [Transition(at(2), DIS), Transition(at(5), OP), Transition(at(10), UNK)],
            hours(2 + 5, 3, 14),
            id="several-changes",
        ),
        pytest.param(None, [Transition(at(1), UNK)], hours(unknown=23), id="created-mid-window"),
        pytest.param(
            None,
            [Transition(at(6), OP), Transition(at(12), DIS)],
            hours(6, 12),
            id="created-then-disrupted",
        ),
        pytest.param(OP, [Transition(at(-3), DIS)], hours(disrupted=24), id="change-before-start"),
        pytest.param(OP, [Transition(at(24), DIS)], hours(24), id="change-at-the-end-left-out"),
        pytest.param(OP, [Transition(at(30), DIS)], hours(24), id="change-after-the-end"),
        pytest.param(
            OP,
            [Transition(at(4), DIS), Transition(at(4), OP)],
            hours(24),
            id="two-changes-at-one-moment",
        ),
        pytest.param(OP, [Transition(at(0), DIS)], hours(disrupted=24), id="change-at-the-start"),
    ],
)
def test_the_history_of_a_day_gives_the_seconds_in_each_status(
    status_at_start: StatusCode | None, changes: list[Transition], expected: StatusSeconds
) -> None:
    assert status_seconds(status_at_start, changes, START, END) == expected


@pytest.mark.parametrize(
    ("seconds", "uptime"),
    [
        pytest.param(hours(18, 6), 0.75, id="disrupted-6h-of-24"),
        pytest.param(hours(24), 1.0, id="always-operational"),
        pytest.param(hours(disrupted=1), 0.0, id="always-disrupted"),
        pytest.param(hours(12, 0, 12), 1.0, id="unknown-is-not-downtime"),
        pytest.param(hours(9, 3, 12), 0.75, id="unknown-left-out-of-the-ratio"),
        pytest.param(hours(unknown=24), None, id="only-unknown"),
        pytest.param(NO_TIME, None, id="no-time-at-all"),
    ],
)
def test_uptime_is_operational_over_operational_and_disrupted(
    seconds: StatusSeconds, uptime: float | None
) -> None:
    assert seconds.uptime == uptime


def test_seconds_add_up_per_status() -> None:
    total = hours(1, 2, 3) + hours(4, 5, 6)

    assert total == hours(5, 7, 9)
    assert total.total_s == 21 * 3600


def test_each_hour_gets_its_own_seconds_and_the_last_is_cut_at_the_end() -> None:
    changes = [Transition(at(0.5), DIS), Transition(at(2.25), OP)]

    split = list(hourly_seconds(OP, changes, START, at(3.5)))

    assert split == [
        (at(0), hours(0.5, 0.5)),
        (at(1), hours(disrupted=1)),
        (at(2), hours(0.75, 0.25)),
        (at(3), hours(0.5)),
    ]


def test_hours_before_an_item_existed_count_nothing() -> None:
    split = dict(hourly_seconds(None, [Transition(at(1.5), UNK)], START, at(3)))

    assert split == {at(0): NO_TIME, at(1): hours(unknown=0.5), at(2): hours(unknown=1)}


def test_hourly_seconds_start_on_an_hour() -> None:
    with pytest.raises(ValueError, match="not the start of an hour"):
        list(hourly_seconds(OP, [], at(0.5), at(2)))


@pytest.mark.parametrize(
    ("moment", "hour", "day"),
    [
        (datetime(2026, 3, 1, 13, 59, 59, 999999, tzinfo=UTC), at(13), START),
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), START, START),
        # 00:30 on 1 March in Brussels (winter time) is 23:30 on 28 February in UTC.
        (
            datetime(2026, 3, 1, 0, 30, tzinfo=ZoneInfo("Europe/Brussels")),
            at(-1),
            START - timedelta(days=1),
        ),
    ],
)
def test_hours_and_days_are_utc(moment: datetime, hour: datetime, day: datetime) -> None:
    assert hour_of(moment) == hour
    assert day_of(moment) == day
    assert hour_of(moment).tzinfo is UTC


NOW = datetime(2026, 3, 10, 14, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("label", "start"),
    [
        ("24h", datetime(2026, 3, 9, 15, 0, tzinfo=UTC)),
        ("7d", datetime(2026, 3, 4, tzinfo=UTC)),
        ("30d", datetime(2026, 2, 9, tzinfo=UTC)),
        ("90d", datetime(2025, 12, 11, tzinfo=UTC)),
        ("365d", datetime(2025, 3, 11, tzinfo=UTC)),
    ],
)
def test_a_window_is_the_open_period_and_those_before_it(label: str, start: datetime) -> None:
    assert WINDOWS[label].start(NOW) == start


def test_an_items_uptime_lists_its_windows_in_order() -> None:
    uptime = ItemUptime(last_24h=hours(1), last_365d=hours(disrupted=2))

    assert list(uptime.windows()) == ["24h", "7d", "30d", "90d", "365d"]
    assert uptime.windows()["24h"] == hours(1)
    assert uptime.windows()["7d"] == NO_TIME
    assert uptime.windows()["365d"].uptime == 0.0


def test_a_daily_bar_is_a_utc_date_with_its_seconds() -> None:
    bar = DailyBar(date(2026, 3, 1), hours(18, 6))

    assert bar.seconds.uptime == 0.75


@pytest.mark.parametrize(
    ("runs", "total", "mean"), [(4, 100.0, 25.0), (0, 0.0, None)], ids=["four-runs", "no-runs"]
)
def test_a_checks_period_knows_its_mean_duration(
    runs: int, total: float, mean: float | None
) -> None:
    period = CheckPeriod(START, runs, 1, total, 40.0)

    assert period.mean_duration_ms == mean
