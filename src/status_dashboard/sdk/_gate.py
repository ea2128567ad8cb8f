"""Retry-After kept across calls: once the service said "not before", no call asks before.

A 429 or 503 with `Retry-After` is a promise the client makes for all its code, not only for the
call that got it: the next `dashboard()`, whoever calls it, or the first poll of a `watch()`
started right after, must not ask again early. Until the time has passed, a call raises the
same kind of error at once, with the seconds still to wait, and sends nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from status_dashboard.sdk._errors import StatusDashboardError, _RetryLater


class RetryAfterGate:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._held: dict[str, tuple[float, _RetryLater]] = {}

    def hold(self, environment: str, error: StatusDashboardError) -> None:
        """Remember the error's Retry-After for the environment, if it has one."""
        if isinstance(error, _RetryLater) and error.retry_after:
            self._held[environment] = (self._clock() + error.retry_after, error)

    def remaining(self, environment: str) -> float:
        """Seconds until the environment may be asked again; 0 when it may be now."""
        held = self._held.get(environment)
        return 0.0 if held is None else max(0.0, held[0] - self._clock())

    def check(self, environment: str) -> None:
        """Raise a copy of the held error, with the seconds left, while its time runs."""
        held = self._held.get(environment)
        if held is None:
            return
        until, error = held
        left = until - self._clock()
        if left <= 0:
            del self._held[environment]
            return
        raise type(error)(
            f"{error.args[0]} (not asked again: {left:.1f} s of its Retry-After left)",
            retry_after=left,
            status_code=error.status_code,
            url=error.url,
            problem=error.problem,
            trace_id=error.trace_id,
        )
