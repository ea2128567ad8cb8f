"""TCP checks: something accepts a connection on host:port, an address the outbound policy
opens (probes/outbound.py): without it a TCP check is a port scanner of the inside."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from status_dashboard.domain.checks import CheckResult, CheckSchedule, TcpCheck, validate_check
from status_dashboard.domain.outbound import OutboundPolicy
from status_dashboard.probes.base import guarded
from status_dashboard.probes.outbound import open_connection


class TcpProbe:
    def __init__(
        self, check: TcpCheck, schedule: CheckSchedule, policy: OutboundPolicy | None = None
    ) -> None:
        validate_check(check)
        self.check = check
        self.schedule = schedule
        self._policy = OutboundPolicy() if policy is None else policy

    async def run(self, now: datetime) -> CheckResult:
        return await guarded(self._attempt, now, self.schedule.timeout_s)

    async def _attempt(self) -> str:
        _, writer = await open_connection(self.check.host, self.check.port, self._policy)
        writer.close()
        # The connection was made, which is all this check asks; a rude close is not a failure.
        with suppress(OSError):
            await writer.wait_closed()
        return f"port {self.check.port} open"
