"""TLS certificate checks: the certificate on host:port is trusted, and valid for at least
`min_days_valid` more days; the expiry date is in the reason either way.

An expired certificate fails verification before its date can be read. Then the probe shakes
hands once more, with OpenSSL's time check off but trust and host name still checked, only to
read the date: "certificate expired 2 days ago (2026-02-27)" says more than "not trusted".
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime

from status_dashboard.domain.checks import CheckResult, CheckSchedule, TlsCheck, validate_check
from status_dashboard.domain.outbound import OutboundPolicy
from status_dashboard.probes import wording
from status_dashboard.probes.base import guarded
from status_dashboard.probes.errors import CheckFailed
from status_dashboard.probes.outbound import open_connection

_CERT_HAS_EXPIRED = 10  # X509_V_ERR_CERT_HAS_EXPIRED
_NO_CHECK_TIME = 0x200000  # X509_V_FLAG_NO_CHECK_TIME; the ssl module has no name for it
_SECONDS_PER_DAY = 86400

ContextFactory = Callable[[], ssl.SSLContext]


class TlsProbe:
    """Runs one `TlsCheck`. `context_factory` makes the verifying context (the system's trust
    by default); it is called twice, once for the expired-date fallback. The connection goes
    through `policy` (probes/outbound.py)."""

    def __init__(
        self,
        check: TlsCheck,
        schedule: CheckSchedule,
        context_factory: ContextFactory = ssl.create_default_context,
        policy: OutboundPolicy | None = None,
    ) -> None:
        validate_check(check)
        self.check = check
        self.schedule = schedule
        self._policy = OutboundPolicy() if policy is None else policy
        self._context = context_factory()
        self._timeless_context = context_factory()
        self._timeless_context.verify_flags |= _NO_CHECK_TIME

    async def run(self, now: datetime) -> CheckResult:
        async def attempt() -> str:
            return await self._attempt(now)

        return await guarded(attempt, now, self.schedule.timeout_s)

    async def _attempt(self, now: datetime) -> str:
        try:
            not_after = await self._not_after(self._context)
        except ssl.SSLCertVerificationError as exc:
            if exc.verify_code != _CERT_HAS_EXPIRED:
                raise
            not_after = await self._not_after(self._timeless_context)
        return self._judge(not_after, now)

    async def _not_after(self, context: ssl.SSLContext) -> datetime:
        check = self.check
        _, writer = await open_connection(
            check.host,
            check.port,
            self._policy,
            ssl_context=context,
            server_hostname=check.server_name or check.host,
        )
        try:
            cert = writer.get_extra_info("peercert")
        finally:
            writer.close()
            with suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
        if not cert or "notAfter" not in cert:
            raise CheckFailed("server sent no certificate")
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)

    def _judge(self, not_after: datetime, now: datetime) -> str:
        date = not_after.date().isoformat()
        left = (not_after - now).total_seconds()
        whole_days = int(abs(left) // _SECONDS_PER_DAY)
        detail = f"not valid after {not_after.isoformat()}"
        if left <= 0:
            when = "today" if whole_days == 0 else f"{wording.days(whole_days)} ago"
            raise CheckFailed(f"certificate expired {when} ({date})", detail)
        if whole_days < self.check.min_days_valid:
            when = "today" if whole_days == 0 else f"in {wording.days(whole_days)}"
            raise CheckFailed(f"certificate expires {when} ({date})", detail)
        return f"certificate valid for {wording.days(whole_days)} ({date})"
