"""TCP checks: something accepts a connection on host:port."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import datetime

from status_dashboard.domain.checks import CheckResult, CheckSchedule, TcpCheck, validate_check
from status_dashboard.probes.base import guarded


class TcpProbe:
    def __init__(self, check: TcpCheck, schedule: CheckSchedule) -> None:
        validate_check(check)
        self.check = check
        self.schedule = schedule

    async def run(self, now: datetime) -> CheckResult:
        return await guarded(self._attempt, now, self.schedule.timeout_s)

    async def _attempt(self) -> str:
        _, writer = await asyncio.open_connection(self.check.host, self.check.port)
        writer.close()
        # The connection was made, which is all this check asks; a rude close is not a failure.
        with suppress(OSError):
            await writer.wait_closed()
        return f"port {self.check.port} open"
