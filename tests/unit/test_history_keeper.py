"""The history keeper on the in-memory stores: each pass rolls the history up, then prunes raw
results and aggregates past their retention; its loop outlives a failing pass."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck
from status_dashboard.domain.monitoring import next_check_state
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import CheckPeriod, DailyBar, ItemUptime
from status_dashboard.service.retention import HistoryKeeper, HistoryKept
from status_dashboard.store.memory import (
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryMonitorStore,
    MemoryUptimeStore,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
IDP = ids.item_id("prod", "idp")
SCHEDULE = CheckSchedule(interval_s=60, timeout_s=10)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    clock: Clock
    monitor: MemoryMonitorStore
    uptime: MemoryUptimeStore
    check_id: int
    keeper: HistoryKeeper = field(init=False)

    def __post_init__(self) -> None:
        self.keeper = HistoryKeeper(self.uptime, self.monitor, self.clock)

    def ran(self, moment: datetime) -> None:
        """The check runs at `moment` and fails."""
        (lease,) = self.monitor.claim_due("w1", moment, timedelta(minutes=1), 1)
        result = CheckResult(False, "HTTP 503", moment, 12.0)
        state = next_check_state(lease.check.state, result, lease.check.schedule)
        assert self.monitor.record_result(lease, result, state, moment)


@pytest.fixture
def world() -> World:
    database = MemoryDatabase()
    item = ItemSpec("idp", "IDP", 1, status=StatusCode.OPERATIONAL)
    spec = CatalogSpec(
        (EnvironmentSpec("prod", 1, groups=(GroupSpec("iam", "IAM", 1, items=(item,)),)),)
    )
    MemoryDashboardStore(database=database).apply_catalog(spec, START)
    monitor = MemoryMonitorStore(database)
    monitor.set_checks(IDP, [("web", HttpCheck("https://idp.test/"), SCHEDULE)], START)
    (check,) = monitor.checks()
    return World(Clock(), monitor, MemoryUptimeStore(database), check.id)


def test_a_pass_rolls_up_to_now(world: World) -> None:
    world.ran(START + timedelta(hours=1))
    world.clock.now = START + timedelta(hours=2)

    kept = world.keeper.run_once()

    assert kept == HistoryKept(rolled_up=2 + 1 + 1 + 1, results_pruned=0, aggregates_pruned=0)
    assert world.uptime.uptime("prod", world.clock.now)[IDP].last_24h.operational_s == 7200
    (hour,) = world.uptime.check_hours(world.check_id, START, world.clock.now)
    assert hour.failures == 1


def test_raw_results_go_after_seven_days_and_their_aggregates_stay(world: World) -> None:
    world.ran(START + timedelta(hours=1))
    world.ran(START + timedelta(days=2))
    world.clock.now = START + timedelta(days=8, hours=12)

    kept = world.keeper.run_once()

    assert kept.results_pruned == 1
    assert len(world.monitor.results(world.check_id, limit=10)) == 1
    days = world.uptime.check_days(world.check_id, START, world.clock.now)
    assert [day.runs for day in days] == [1, 1]


def test_aggregates_go_after_their_retention(world: World) -> None:
    keeper = HistoryKeeper(
        world.uptime,
        world.monitor,
        world.clock,
        raw_retention=timedelta(days=1),
        aggregate_retention=timedelta(days=2),
    )
    world.clock.now = START + timedelta(days=3)

    kept = keeper.run_once()

    # The first day went: its 24 hours and the day itself.
    assert kept.aggregates_pruned == 24 + 1
    bars = world.uptime.daily_bars(IDP, world.clock.now, days=4)
    assert [bar.seconds.operational_s for bar in bars] == [0, 86400, 86400, 0]


@pytest.mark.parametrize(
    "retention",
    [{"raw_retention": timedelta(0)}, {"aggregate_retention": timedelta(days=-1)}],
    ids=["no-raw-retention", "negative-aggregate-retention"],
)
def test_a_retention_must_be_longer_than_nothing(
    world: World, retention: dict[str, timedelta]
) -> None:
    with pytest.raises(ValueError, match="longer than nothing"):
        HistoryKeeper(world.uptime, world.monitor, world.clock, **retention)


class FailingUptime:
    """An uptime store whose first `failures` roll-ups fail, as a database gone away does."""

    def __init__(self, inner: MemoryUptimeStore, failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.calls = 0

    def roll_up(self, now: datetime) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("database unreachable")
        return self.inner.roll_up(now)

    def uptime(self, environment_key: str, now: datetime) -> Mapping[str, ItemUptime]:
        return self.inner.uptime(environment_key, now)

    def daily_bars(self, item_id: str, now: datetime, days: int = 90) -> Sequence[DailyBar]:
        return self.inner.daily_bars(item_id, now, days)

    def check_hours(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        return self.inner.check_hours(check_id, since, until)

    def check_days(self, check_id: int, since: datetime, until: datetime) -> Sequence[CheckPeriod]:
        return self.inner.check_days(check_id, since, until)

    def prune(self, aggregates_before: datetime) -> int:
        return self.inner.prune(aggregates_before)


def test_a_failing_roll_up_prunes_nothing(world: World) -> None:
    world.ran(START + timedelta(hours=1))
    world.clock.now = START + timedelta(days=30)
    keeper = HistoryKeeper(FailingUptime(world.uptime, 1), world.monitor, world.clock)

    with pytest.raises(ConnectionError):
        keeper.run_once()

    assert len(world.monitor.results(world.check_id, limit=10)) == 1


def test_the_loop_logs_a_failing_pass_and_goes_on_until_stopped(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.clock.now = START + timedelta(hours=3)
    uptime = FailingUptime(world.uptime, 2)
    keeper = HistoryKeeper(uptime, world.monitor, world.clock)

    async def scenario() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(keeper.run(0.01, stop))
        while uptime.calls < 3:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(loop, 5)

    with caplog.at_level(logging.INFO, logger="status_dashboard.service.retention"):
        asyncio.run(asyncio.wait_for(scenario(), 10))

    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("event=history_keeping_failed error=ConnectionError") == 2
    assert any(m.startswith("event=history_kept rolled_up=") for m in messages)
    assert world.uptime.uptime("prod", world.clock.now)[IDP].last_24h.operational_s == 3 * 3600
