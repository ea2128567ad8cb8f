"""The uptime store: history and check results rolled up per hour and per UTC day, uptime over a
status page's windows, the daily bars, a check's runs, and pruning by age.

The history is made as the service makes it: catalog loads and stored effective states give
the status events, workers record the check results; every moment is given explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy

from integration.store.backends import Backend, EngineFor
from integration.store.catalogs import DISRUPTED, OPERATIONAL, UNKNOWN, catalog, group, item
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck
from status_dashboard.domain.effective import Source
from status_dashboard.domain.history import HistoryEvent, ItemState, StateChange
from status_dashboard.domain.monitoring import next_check_state
from status_dashboard.domain.ports import UptimeStore
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import NO_TIME, CheckPeriod, StatusSeconds
from status_dashboard.store.memory import MemoryDashboardStore, MemoryUptimeStore
from status_dashboard.store.sql import SqlUptimeStore

DAY0 = datetime(2026, 3, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
IDP, STS = ids.item_id("prod", "idp"), ids.item_id("prod", "sts")
SCHEDULE = CheckSchedule(interval_s=60, timeout_s=10)


@pytest.fixture
def uptime(backend: Backend) -> UptimeStore:
    """The uptime store of the backend's database."""
    return _uptime_store(backend, backend.engine)


def _uptime_store(backend: Backend, engine: sqlalchemy.Engine | None) -> UptimeStore:
    """On `engine` for the SQL backends (one engine per process, in the concurrency test)."""
    if isinstance(backend.store, MemoryDashboardStore):
        return MemoryUptimeStore(backend.store.database)
    assert engine is not None
    return SqlUptimeStore(engine)


def at(hours: float, minutes: int = 0) -> datetime:
    return DAY0 + timedelta(hours=hours, minutes=minutes)


def hours(operational: float = 0, disrupted: float = 0, unknown: float = 0) -> StatusSeconds:
    """Seconds per status given in hours (to the second, so that 20 minutes is 1200 s)."""
    return StatusSeconds(*(round(h * 3600) for h in (operational, disrupted, unknown)))


def created(backend: Backend, moment: datetime = DAY0, *keys: str) -> None:
    """The items `keys` (default idp and sts) appear in prod at `moment`, Operational."""
    listed = [item(key, n, status=OPERATIONAL) for n, key in enumerate(keys or ("idp", "sts"))]
    backend.store.apply_catalog(catalog(group("iam", *listed)), moment)


def becomes(backend: Backend, key: str, status: StatusCode, moment: datetime) -> None:
    """A catalog load sets the item's status at `moment`: one event of its history."""
    order = {"idp": 0, "sts": 1}.get(key, 2)
    backend.store.apply_catalog(catalog(group("iam", item(key, order, status=status))), moment)


def decided(
    backend: Backend, item_id: str, was: StatusCode, status: StatusCode, moment: datetime
) -> None:
    """An effective state stored as the reconciler stores one, with its history event."""
    state = ItemState(item_id, status, None, moment, Source.OVERRIDE, "set by an operator")
    event = HistoryEvent(item_id, "prod", moment, was, status, None, "override: by ops")
    backend.operations.apply_states([StateChange(state, event)])


def a_check(backend: Backend, item_id: str = IDP) -> int:
    """The item gets one HTTP check, due at DAY0; its id."""
    backend.monitor.set_checks(item_id, [("web", HttpCheck("https://x.test/"), SCHEDULE)], DAY0)
    (check,) = [c for c in backend.monitor.checks() if c.item_id == item_id]
    return check.id


def ran(backend: Backend, moment: datetime, *, ok: bool = True, duration_ms: float = 10) -> None:
    """A worker runs the (one) due check at `moment` and records the result."""
    (lease,) = backend.monitor.claim_due("w1", moment, MINUTE, 1)
    result = CheckResult(ok, "HTTP 200" if ok else "HTTP 503", moment, duration_ms)
    state = next_check_state(lease.check.state, result, lease.check.schedule)
    assert backend.monitor.record_result(lease, result, state, moment)


def snapshot(uptime: UptimeStore, now: datetime, check_id: int | None = None) -> object:
    """Everything the store answers about prod, idp and the check at `now`."""
    checks: tuple[Sequence[CheckPeriod], ...] = ()
    if check_id is not None:
        checks = (
            uptime.check_hours(check_id, now - 30 * DAY, now + HOUR),
            uptime.check_days(check_id, now - 30 * DAY, now + HOUR),
        )
    return (uptime.uptime("prod", now), uptime.daily_bars(IDP, now, days=30), checks)


# -- items ---------------------------------------------------------------------------------------


def test_an_item_disrupted_six_hours_of_a_day_is_up_75_percent_that_day(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    becomes(backend, "idp", DISRUPTED, at(18))
    becomes(backend, "idp", OPERATIONAL, at(24))

    uptime.roll_up(at(36))

    *_, day0, day1 = uptime.daily_bars(IDP, at(36), days=5)
    assert day0.day == date(2026, 3, 2)
    assert day0.seconds == hours(18, 6)
    assert day0.seconds.uptime == 0.75
    assert day1.seconds == hours(12)
    assert uptime.daily_bars(STS, at(36), days=1)[0].seconds == hours(12)


def test_daily_bars_are_the_last_days_oldest_first_with_empty_days_before_the_history(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    now = at(24 * 3 + 5)
    uptime.roll_up(now)

    bars = uptime.daily_bars(IDP, now)

    assert len(bars) == 90
    assert bars[-1].day == date(2026, 3, 5)
    assert bars[0].day == date(2026, 3, 5) - timedelta(days=89)
    assert [bar.seconds for bar in bars[-4:]] == [hours(24), hours(24), hours(24), hours(5)]
    assert all(bar.seconds == NO_TIME for bar in bars[:-4])
    with pytest.raises(ValueError, match="at least one day"):
        uptime.daily_bars(IDP, now, days=0)


def test_uptime_covers_the_windows_of_a_status_page(backend: Backend, uptime: UptimeStore) -> None:
    created(backend)
    becomes(backend, "idp", DISRUPTED, at(24 * 2))
    becomes(backend, "idp", OPERATIONAL, at(24 * 3))
    now = at(24 * 40 + 12.5)

    uptime.roll_up(now)

    idp = uptime.uptime("prod", now)[IDP]
    assert idp.last_24h == hours(23.5)
    assert idp.last_7d == hours(6 * 24 + 12.5)
    assert idp.last_30d == hours(29 * 24 + 12.5)
    assert idp.last_90d == hours(39 * 24 + 12.5, 24)
    assert idp.last_365d == idp.last_90d
    assert idp.last_90d.uptime == pytest.approx((39 * 24 + 12.5) / (40 * 24 + 12.5))
    assert idp.windows()["24h"].uptime == 1.0


def test_uptime_lists_every_item_of_the_environment_even_without_history(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    backend.store.apply_catalog(catalog(group("iam", item("idp", 1)), env="acc"), DAY0)

    assert set(uptime.uptime("prod", at(5))) == {IDP, STS}
    assert uptime.uptime("prod", at(5))[IDP].last_24h == NO_TIME  # nothing rolled up yet
    uptime.roll_up(at(5))
    assert uptime.uptime("prod", at(5))[IDP].last_24h == hours(5)
    assert set(uptime.uptime("acc", at(5))) == {ids.item_id("acc", "idp")}
    assert uptime.uptime("nowhere", at(5)) == {}


def test_the_open_hour_and_day_are_rolled_up_to_now(backend: Backend, uptime: UptimeStore) -> None:
    created(backend)
    uptime.roll_up(at(10, 20))
    assert uptime.uptime("prod", at(10.5))[IDP].last_24h == hours(10 + 20 / 60)

    becomes(backend, "idp", DISRUPTED, at(10.5))
    uptime.roll_up(at(10, 50))

    idp = uptime.uptime("prod", at(11))[IDP]
    assert idp.last_24h == hours(10.5, 20 / 60)
    assert idp.last_7d == idp.last_24h
    assert uptime.daily_bars(IDP, at(11), days=1)[0].seconds == idp.last_24h


def test_an_item_created_mid_window_counts_only_from_its_creation(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    created(backend, at(12.25), "idp", "sts", "new")
    new = ids.item_id("prod", "new")

    uptime.roll_up(at(30))

    assert uptime.daily_bars(new, at(30), days=2)[0].seconds == hours(11.75)
    assert uptime.uptime("prod", at(30))[new].last_7d == hours(17.75)
    assert uptime.uptime("prod", at(30))[IDP].last_7d == hours(30)


def test_effective_states_stored_by_the_reconciler_count_as_history(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    decided(backend, IDP, OPERATIONAL, UNKNOWN, at(2))
    decided(backend, IDP, UNKNOWN, DISRUPTED, at(3))

    uptime.roll_up(at(4))

    assert uptime.uptime("prod", at(4))[IDP].last_24h == hours(2, 1, 1)


def test_rolling_up_again_gives_the_same_rows(backend: Backend, uptime: UptimeStore) -> None:
    created(backend)
    becomes(backend, "idp", DISRUPTED, at(30))
    check_id = a_check(backend)
    ran(backend, at(31), ok=False)
    now = at(50.5)

    written = uptime.roll_up(now)
    first = snapshot(uptime, now, check_id)

    # 51 hours and 3 days of each item; the check ran in one hour of one day.
    assert written == 2 * 51 + 2 * 3 + 1 + 1
    assert uptime.roll_up(now) == 4  # the open hour and the open day of both items, again
    assert snapshot(uptime, now, check_id) == first


def test_a_roll_up_takes_in_history_recorded_for_hours_already_rolled_up(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    uptime.roll_up(at(5))

    # A manual status keeps the moment it was set, which may lie before the last roll-up.
    decided(backend, IDP, OPERATIONAL, DISRUPTED, at(1))
    uptime.roll_up(at(5))

    assert uptime.uptime("prod", at(5))[IDP].last_24h == hours(1, 4)


def test_two_roll_ups_at_once_leave_the_rows_one_would(
    backend: Backend, uptime: UptimeStore, engine_for: EngineFor
) -> None:
    created(backend)
    becomes(backend, "idp", DISRUPTED, at(20))
    check_id = a_check(backend)
    ran(backend, at(1))
    now = at(24 * 3)
    url = None if backend.engine is None else backend.engine.url
    engines = [None if url is None else engine_for(url.render_as_string(False)) for _ in "ab"]
    stores = [_uptime_store(backend, engine) for engine in engines]
    barrier = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def roll(store: UptimeStore) -> None:
        barrier.wait()
        try:
            store.roll_up(now)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=roll, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    together = snapshot(uptime, now, check_id)
    uptime.roll_up(now)
    assert snapshot(uptime, now, check_id) == together
    assert uptime.uptime("prod", now)[IDP].last_7d == hours(20, 52)


def test_a_deleted_item_takes_its_aggregates_along(backend: Backend, uptime: UptimeStore) -> None:
    created(backend)
    uptime.roll_up(at(5))

    backend.store.apply_catalog(catalog(group("iam", item("idp", 0))), at(6), prune=True)

    assert set(uptime.uptime("prod", at(6))) == {IDP}
    assert uptime.daily_bars(STS, at(6), days=1)[0].seconds == NO_TIME
    uptime.roll_up(at(7))
    assert uptime.daily_bars(STS, at(7), days=1)[0].seconds == NO_TIME


# -- checks --------------------------------------------------------------------------------------


def test_a_checks_runs_and_failures_are_counted_per_hour_and_per_day(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    check_id = a_check(backend)
    ran(backend, at(10, 5), duration_ms=20)
    ran(backend, at(10, 20), ok=False, duration_ms=40)
    ran(backend, at(10, 40), duration_ms=30)
    ran(backend, at(11, 10), ok=False, duration_ms=5)

    uptime.roll_up(at(11.5))

    assert uptime.check_hours(check_id, at(0), at(24)) == (
        CheckPeriod(at(10), runs=3, failures=1, total_duration_ms=90, max_duration_ms=40),
        CheckPeriod(at(11), runs=1, failures=1, total_duration_ms=5, max_duration_ms=5),
    )
    (day,) = uptime.check_days(check_id, at(0), at(24))
    assert day == CheckPeriod(DAY0, runs=4, failures=2, total_duration_ms=95, max_duration_ms=40)
    assert day.mean_duration_ms == 95 / 4


def test_check_periods_are_those_overlapping_the_range(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    check_id = a_check(backend)
    for hour in (1, 2, 3, 26):
        ran(backend, at(hour + 0.5))
    uptime.roll_up(at(27))

    starts = [p.start for p in uptime.check_hours(check_id, at(1.5), at(3))]
    assert starts == [at(1), at(2)]
    assert [p.start for p in uptime.check_days(check_id, at(12), at(25))] == [DAY0, DAY0 + DAY]
    assert uptime.check_hours(check_id + 99, at(0), at(48)) == ()


def test_a_result_recorded_after_its_hour_was_rolled_up_is_counted(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    check_id = a_check(backend)
    ran(backend, at(10.5))
    uptime.roll_up(at(11) + timedelta(seconds=5))

    # Ran at 10:59:50; recorded once the probe was done, after the roll-up.
    ran(backend, at(11) - timedelta(seconds=10))
    uptime.roll_up(at(11) + MINUTE)

    (hour,) = uptime.check_hours(check_id, at(10), at(11))
    assert hour.runs == 2


def test_check_aggregates_outlive_the_raw_results(backend: Backend, uptime: UptimeStore) -> None:
    created(backend)
    check_id = a_check(backend)
    ran(backend, at(1), ok=False)
    ran(backend, at(2))
    uptime.roll_up(at(3))

    assert backend.monitor.prune_results(at(24 * 8)) == 2
    uptime.roll_up(at(24 * 8))

    assert [(p.runs, p.failures) for p in uptime.check_days(check_id, DAY0, at(24 * 8))] == [(2, 1)]
    assert len(uptime.check_hours(check_id, DAY0, at(24 * 8))) == 2


def test_a_removed_check_takes_its_aggregates_along(backend: Backend, uptime: UptimeStore) -> None:
    created(backend)
    check_id = a_check(backend)
    ran(backend, at(1))
    uptime.roll_up(at(2))

    backend.monitor.set_checks(IDP, [], at(2))

    assert uptime.check_hours(check_id, DAY0, at(3)) == ()
    assert uptime.check_days(check_id, DAY0, at(3)) == ()


# -- retention -----------------------------------------------------------------------------------


def test_pruning_removes_only_the_aggregates_older_than_the_cutoff(
    backend: Backend, uptime: UptimeStore
) -> None:
    created(backend)
    check_id = a_check(backend)
    ran(backend, at(1))
    ran(backend, at(40))
    now = at(72)
    uptime.roll_up(now)
    cutoff = at(36)

    # 36 hours and one day of each of the two items, one hour and one day of the check.
    assert uptime.prune(cutoff) == 2 * 36 + 2 + 1 + 1

    later = at(71.5)
    bars = uptime.daily_bars(IDP, later, days=3)
    assert [bar.seconds for bar in bars] == [NO_TIME, hours(24), hours(24)]
    assert uptime.uptime("prod", later)[IDP].last_24h == hours(24)
    assert [p.start for p in uptime.check_hours(check_id, DAY0, now)] == [at(40)]
    assert [p.start for p in uptime.check_days(check_id, DAY0, now)] == [DAY0 + DAY]
    assert uptime.prune(cutoff) == 0


def test_rolling_up_nothing_writes_nothing(uptime: UptimeStore) -> None:
    assert uptime.roll_up(DAY0) == 0
    assert uptime.roll_up(DAY0 + DAY) == 0
    assert uptime.prune(DAY0 + DAY) == 0
