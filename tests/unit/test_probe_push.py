"""Push checks: silence longer than the interval is a failure; nothing is contacted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from status_dashboard.domain.checks import CheckResult, CheckSchedule, PushCheck
from status_dashboard.probes import PushProbe

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHECK = PushCheck("heartbeat-token-0123456789")
SCHEDULE = CheckSchedule(interval_s=60, timeout_s=5)


def _run(last_push: datetime | None) -> CheckResult:
    probe = PushProbe(CHECK, SCHEDULE, lambda: last_push)
    return asyncio.run(probe.run(NOW))


@pytest.mark.parametrize(
    ("ago", "ok", "reason"),
    [
        (timedelta(seconds=12), True, "last push 12 s ago"),
        (timedelta(seconds=60), True, "last push 60 s ago"),
        (timedelta(seconds=-3), True, "last push 0 s ago"),
        (timedelta(seconds=61), False, "no push for 61 s (interval 60 s)"),
        (timedelta(minutes=3), False, "no push for 3 min (interval 60 s)"),
        (timedelta(hours=5), False, "no push for 5 h (interval 60 s)"),
        (timedelta(days=3), False, "no push for 3 days (interval 60 s)"),
    ],
)
def test_a_push_within_the_interval_passes_and_silence_fails(
    ago: timedelta, ok: bool, reason: str
) -> None:
    result = _run(NOW - ago)
    assert (result.ok, result.reason, result.at) == (ok, reason, NOW)


def test_a_check_that_was_never_pushed_fails() -> None:
    result = _run(None)
    assert (result.ok, result.reason) == (False, "no push yet")


def test_a_broken_last_push_lookup_is_a_failing_result_not_an_exception() -> None:
    def broken() -> datetime | None:
        raise RuntimeError("store is gone")

    result = asyncio.run(PushProbe(CHECK, SCHEDULE, broken).run(NOW))
    assert (result.ok, result.reason) == (False, "probe error: RuntimeError")
    assert result.detail == "RuntimeError: store is gone"
