"""Push (heartbeat) checks: the service calls `POST /api/v1/push/{token}`; silence for longer
than the interval is a failure. Nothing is contacted: the probe only reads when the last push
arrived, through the callable it is given (the worker reads it from the store)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from status_dashboard.domain.checks import CheckResult, CheckSchedule, PushCheck, validate_check
from status_dashboard.probes import wording
from status_dashboard.probes.base import guarded
from status_dashboard.probes.errors import CheckFailed


class PushProbe:
    def __init__(
        self,
        check: PushCheck,
        schedule: CheckSchedule,
        last_push: Callable[[], datetime | None],
    ) -> None:
        validate_check(check)
        self.check = check
        self.schedule = schedule
        self._last_push = last_push

    async def run(self, now: datetime) -> CheckResult:
        async def attempt() -> str:
            return self._judge(now)

        return await guarded(attempt, now, self.schedule.timeout_s)

    def _judge(self, now: datetime) -> str:
        last = self._last_push()
        if last is None:
            raise CheckFailed("no push yet")
        silence = now - last
        if silence > self.schedule.interval:
            raise CheckFailed(
                f"no push for {wording.elapsed(silence)} "
                f"(interval {wording.seconds(self.schedule.interval_s)})",
                f"last push at {last.isoformat()}",
            )
        # A push stamped after `now` (clocks a little apart) reads as "0 s ago", not negative.
        return f"last push {wording.elapsed(silence)} ago"
