"""From check results to what an item's checks say (docs/design.md §4, rules 4 to 6).

A check is Disrupted after `fail_threshold` consecutive failures and Operational again after
`recover_threshold` consecutive successes; in between it keeps what it was, so one lost packet
does not flap the dashboard. That holds from the first result: a new check says nothing until
one of the two thresholds is reached (it is Unknown, not Operational, while it has only failures
below `fail_threshold`, since no data is not good news). A check that has not reported within
`stale_after` says nothing about now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from status_dashboard.domain.checks import CheckResult, CheckSchedule
from status_dashboard.domain.effective import CheckVerdict


@dataclass(frozen=True, slots=True)
class CheckState:
    """What one check has established so far."""

    failing: bool = False
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    last_result_at: datetime | None = None
    last_reason: str | None = None
    settled: bool = False
    """Whether the check ever reached a threshold: `recover_threshold` successes or
    `fail_threshold` failures in a row. Until then its results say nothing."""


def next_check_state(state: CheckState, result: CheckResult, schedule: CheckSchedule) -> CheckState:
    """The state after one more result."""
    if result.ok:
        successes = state.consecutive_successes + 1
        failing = state.failing and successes < schedule.recover_threshold
        return replace(
            state,
            settled=state.settled or successes >= schedule.recover_threshold,
            failing=failing,
            consecutive_failures=0,
            consecutive_successes=successes,
            last_result_at=result.at,
            last_reason=state.last_reason if failing else None,
        )
    failures = state.consecutive_failures + 1
    failing = state.failing or failures >= schedule.fail_threshold
    return replace(
        state,
        settled=state.settled or failing,
        failing=failing,
        consecutive_failures=failures,
        consecutive_successes=0,
        last_result_at=result.at,
        last_reason=result.reason,
    )


def item_verdict(
    checks: Iterable[tuple[CheckState, CheckSchedule]], now: datetime
) -> CheckVerdict | None:
    """What an item's checks say at `now`: Disrupted if any fresh check is failing; fresh if any
    settled check reported within its stale_after; pending if checks reported lately but none
    has settled yet. None for an item without checks (its manual status decides)."""
    checks = list(checks)
    if not checks:
        return None
    recent = [
        state
        for state, schedule in checks
        if state.last_result_at is not None and now - state.last_result_at <= schedule.stale_after
    ]
    fresh = [state for state in recent if state.settled or state.failing]
    failing = [state for state in fresh if state.failing]
    reason = failing[0].last_reason if failing else None
    return CheckVerdict(
        disrupted=bool(failing),
        fresh=bool(fresh),
        reason=reason,
        pending=bool(recent) and not fresh,
    )


def lease_expiry(now: datetime, schedule: CheckSchedule, grace: timedelta) -> datetime:
    """Until when a worker that claims a check at `now` holds it: the check's own timeout and
    `grace` to record the result. A worker that dies is replaced one lease later at most, and a
    short check is not kept waiting behind the longest timeout of the catalog."""
    return now + schedule.timeout + grace


def next_due(check_id: int, schedule: CheckSchedule, after: datetime) -> datetime:
    """The first run of a check strictly after `after`, on a grid of its interval placed at a
    stable offset of its own.

    The offsets spread a thousand checks defined at once over their interval instead of
    running them all in the same second, every interval, for ever; and since the grid does
    not move with the run's own duration or delay, a check does not drift.
    """
    # In whole microseconds, the resolution of datetime: in float seconds a grid point read
    # back would round to just before itself, and the run "after" it would be the same one.
    interval = max(1, round(schedule.interval_s * _US_PER_S))
    offset = int(_phase(check_id) * interval)
    elapsed = (after - _EPOCH) // _MICROSECOND - offset
    runs = elapsed // interval + 1
    return _EPOCH + _MICROSECOND * (offset + runs * interval)


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_US_PER_S = 1_000_000


def _phase(check_id: int) -> float:
    """A fraction in [0, 1) that depends only on the check, spread evenly over checks."""
    digest = hashlib.blake2b(check_id.to_bytes(8, "big", signed=True), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
