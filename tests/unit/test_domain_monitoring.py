"""Thresholds and staleness: from a run of results to what an item's checks say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from status_dashboard.domain.checks import CheckResult, CheckSchedule
from status_dashboard.domain.effective import EffectiveStatus, StatusInputs, effective_status
from status_dashboard.domain.monitoring import (
    CheckState,
    item_verdict,
    lease_expiry,
    next_check_state,
    next_due,
)
from status_dashboard.domain.status import StatusCode

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SCHEDULE = CheckSchedule(interval_s=30, timeout_s=5, fail_threshold=2, recover_threshold=2)


def _run(outcomes: str, schedule: CheckSchedule = SCHEDULE) -> CheckState:
    """`outcomes` like "ffs": f a failure, s a success, one interval apart."""
    state = CheckState()
    for n, outcome in enumerate(outcomes):
        ok = outcome == "s"
        result = CheckResult(ok, "ok" if ok else f"HTTP 503 #{n}", T0 + n * schedule.interval, 12.0)
        state = next_check_state(state, result, schedule)
    return state


@pytest.mark.parametrize(
    ("outcomes", "failing"),
    [
        ("", False),
        ("s", False),
        ("f", False),  # one failure is below the threshold of 2
        ("ff", True),
        ("fsf", False),  # not consecutive
        ("ffs", True),  # one success is below the recovery threshold of 2
        ("ffss", False),
        ("ffsf", True),
        ("ffssf", False),
        ("fff", True),
    ],
)
def test_a_check_fails_and_recovers_only_past_its_thresholds(outcomes: str, failing: bool) -> None:
    assert _run(outcomes).failing is failing


def test_the_reason_is_the_latest_failure_while_failing_and_cleared_on_recovery() -> None:
    assert _run("fff").last_reason == "HTTP 503 #2"
    assert _run("ffss").last_reason is None


def test_with_default_thresholds_two_failures_disrupt_and_one_success_recovers() -> None:
    default = CheckSchedule()
    assert _run("ff", default).failing
    assert not _run("ffs", default).failing


def test_an_item_without_checks_has_no_verdict() -> None:
    assert item_verdict([], T0) is None


def test_a_fresh_failing_check_disrupts_its_item_with_its_reason() -> None:
    state = _run("ff")
    verdict = item_verdict([(state, SCHEDULE), (_run("s"), SCHEDULE)], T0 + timedelta(seconds=40))
    assert verdict is not None
    assert (verdict.disrupted, verdict.fresh, verdict.reason) == (True, True, "HTTP 503 #1")


def test_results_older_than_three_intervals_are_stale() -> None:
    schedule = CheckSchedule(interval_s=30, timeout_s=5, recover_threshold=1)
    state = _run("s", schedule)
    assert item_verdict([(state, schedule)], T0 + timedelta(seconds=90)).fresh  # type: ignore[union-attr]
    verdict = item_verdict([(state, schedule)], T0 + timedelta(seconds=91))
    assert verdict is not None
    assert not verdict.fresh


def test_a_stale_failing_check_disrupts_nothing() -> None:
    verdict = item_verdict([(_run("ff"), SCHEDULE)], T0 + timedelta(hours=1))
    assert verdict is not None
    assert (verdict.disrupted, verdict.fresh) == (False, False)


def test_a_check_that_never_ran_is_not_fresh() -> None:
    verdict = item_verdict([(CheckState(), SCHEDULE)], T0)
    assert verdict is not None
    assert not verdict.fresh


# -- when checks run -----------------------------------------------------------------------------


def test_a_check_runs_again_one_interval_later_on_its_own_grid() -> None:
    first = next_due(7, SCHEDULE, T0)
    second = next_due(7, SCHEDULE, first)

    assert T0 < first <= T0 + SCHEDULE.interval
    assert second - first == SCHEDULE.interval


@pytest.mark.parametrize("interval_s", [1, 1.5, 6, 30, 86_400])
def test_the_run_after_a_grid_point_is_the_next_one_for_every_check(interval_s: float) -> None:
    schedule = CheckSchedule(interval_s=interval_s, timeout_s=0.5)
    for check_id in range(500):
        due = next_due(check_id, schedule, T0)
        assert next_due(check_id, schedule, due) - due == schedule.interval
        assert next_due(check_id, schedule, due - timedelta(microseconds=1)) == due


def test_a_late_or_slow_run_does_not_move_the_grid() -> None:
    on_time = next_due(7, SCHEDULE, T0)
    late = next_due(7, SCHEDULE, on_time - timedelta(seconds=1) + timedelta(seconds=4))

    assert late == on_time + SCHEDULE.interval


def test_a_worker_that_was_down_skips_the_runs_it_missed() -> None:
    due = next_due(7, SCHEDULE, T0)
    after_an_hour = next_due(7, SCHEDULE, due + timedelta(hours=1))

    assert due + timedelta(hours=1) < after_an_hour <= due + timedelta(hours=1) + SCHEDULE.interval


def test_a_thousand_checks_are_spread_over_their_interval() -> None:
    offsets = sorted((next_due(n, SCHEDULE, T0) - T0).total_seconds() for n in range(1000))
    per_second = [sum(1 for o in offsets if s < o <= s + 1) for s in range(30)]

    # 1,000 over 30 s is 33 a second: no second holds twice its share, none is empty.
    assert max(per_second) < 66
    assert min(per_second) > 0


def test_a_lease_lasts_the_checks_timeout_and_the_grace() -> None:
    grace = timedelta(seconds=10)

    assert lease_expiry(T0, SCHEDULE, grace) == T0 + timedelta(seconds=15)


# -- no data is not good news ------------------------------------------------------------------


def _item_after(outcomes: str, schedule: CheckSchedule) -> EffectiveStatus:
    """The status of an item with one check, one interval after `outcomes` ran."""
    state = CheckState()
    for n, outcome in enumerate(outcomes):
        ok = outcome == "s"
        at = T0 + n * schedule.interval
        result = CheckResult(ok, "ok" if ok else "no push yet", at, 1.0)
        state = next_check_state(state, result, schedule)
    now = T0 + max(len(outcomes) - 1, 0) * schedule.interval + timedelta(seconds=1)
    verdict = item_verdict([(state, schedule)], now)
    return effective_status(StatusInputs(StatusCode.OPERATIONAL, None, checks=verdict), now)


@pytest.mark.parametrize(
    ("fail_threshold", "recover_threshold", "outcomes", "status"),
    [
        (2, 1, "", StatusCode.UNKNOWN),
        (2, 1, "f", StatusCode.UNKNOWN),  # a failure below the threshold is no good news
        (3, 1, "ff", StatusCode.UNKNOWN),
        (5, 1, "ffff", StatusCode.UNKNOWN),
        (2, 1, "ff", StatusCode.DISRUPTED),
        (2, 1, "s", StatusCode.OPERATIONAL),
        (2, 1, "fs", StatusCode.OPERATIONAL),
        (2, 3, "s", StatusCode.UNKNOWN),
        (2, 3, "ss", StatusCode.UNKNOWN),
        (2, 3, "sfs", StatusCode.UNKNOWN),  # not in a row
        (2, 3, "sss", StatusCode.OPERATIONAL),
        (2, 3, "fsss", StatusCode.OPERATIONAL),
        (2, 1, "sf", StatusCode.OPERATIONAL),  # once passing, one failure keeps it passing
        (3, 2, "ssff", StatusCode.OPERATIONAL),
        (3, 2, "ssfff", StatusCode.DISRUPTED),
        (2, 2, "ffs", StatusCode.DISRUPTED),  # once failing, it stays so until it recovers
        (2, 2, "ffss", StatusCode.OPERATIONAL),
        (2, 2, "ffssf", StatusCode.OPERATIONAL),
    ],
)
def test_an_item_is_operational_only_once_its_checks_passed_their_recover_threshold(
    fail_threshold: int, recover_threshold: int, outcomes: str, status: StatusCode
) -> None:
    schedule = CheckSchedule(
        interval_s=30,
        timeout_s=5,
        fail_threshold=fail_threshold,
        recover_threshold=recover_threshold,
    )
    assert _item_after(outcomes, schedule).status_code is status


def test_failures_below_the_threshold_say_why_the_item_is_unknown() -> None:
    decided = _item_after("f", CheckSchedule(interval_s=30, timeout_s=5, fail_threshold=2))
    assert (decided.status_code, decided.reason) == (
        StatusCode.UNKNOWN,
        "no conclusive check result yet",
    )


def test_a_settled_passing_check_makes_its_item_operational_beside_one_still_unsettled() -> None:
    passing = _run("ss")
    unsettled = _run("f")
    verdict = item_verdict([(passing, SCHEDULE), (unsettled, SCHEDULE)], T0 + timedelta(minutes=1))
    assert verdict is not None
    assert (verdict.fresh, verdict.disrupted, verdict.pending) == (True, False, False)
