"""The one Protocol every check type implements, and the boundary they all share.

A probe never raises out of `run`: whatever happens becomes a failing `CheckResult` with a short
reason (ARCHITECTURE.md rule 9), so one broken target cannot stop the worker's loop. The only
exception that passes is `asyncio.CancelledError`: the worker is shutting down, and swallowing
it would keep the loop from draining.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from status_dashboard.domain.checks import CheckResult
from status_dashboard.probes.errors import CheckFailed, detail_for, reason_for

Attempt = Callable[[], Awaitable[str]]
"""One try at a check: returns the reason of a pass, raises `CheckFailed` or anything else."""


class Probe(Protocol):
    async def run(self, now: datetime) -> CheckResult:
        """Run the check once; `now` stamps the result and is the time that thresholds use."""
        ...


async def guarded(attempt: Attempt, now: datetime, timeout_s: float) -> CheckResult:
    """Run `attempt` within `timeout_s`, and turn whatever comes out into a result."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            reason = await attempt()
    except CheckFailed as failure:
        return CheckResult(False, failure.reason, now, _since(started), failure.detail)
    except Exception as exc:  # the boundary: anything foreign becomes data (rule 9)
        return CheckResult(False, reason_for(exc, timeout_s), now, _since(started), detail_for(exc))
    return CheckResult(True, reason, now, _since(started))


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
