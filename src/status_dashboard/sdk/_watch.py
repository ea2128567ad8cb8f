"""The pace of `watch()`, without I/O: when to ask next, and what to make of each answer.

- After an answer, wait the polling interval: the larger of the caller's `interval` and the
  answer's `Cache-Control: max-age` (15 s when neither says), never under 1 s, plus up to 10 %
  of jitter so that many partners do not ask in the same second.
- After a transient failure, wait longer: 1 s doubling to 5 min, jittered into the upper half
  of that step, never sooner than the polling interval, and never sooner than the service's
  `Retry-After` (429, 503; capped at an hour). A success resets the count.
- An error no wait can mend (404, 406, any other 4xx but 429) ends the watch: it is raised.
"""

from __future__ import annotations

from collections.abc import Callable

from status_dashboard.sdk._changes import Change, changes_between
from status_dashboard.sdk._errors import (
    HTTPStatusError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    StatusDashboardError,
)
from status_dashboard.sdk._models import Dashboard

DEFAULT_INTERVAL = 15.0
MIN_INTERVAL = 1.0
POLL_JITTER = 0.10
BACKOFF_FIRST = 1.0
BACKOFF_CAP = 300.0
RETRY_AFTER_CAP = 3600.0

ErrorHook = Callable[[StatusDashboardError, float], object]
"""`on_error(error, seconds_until_next_poll)`: told of each failure the watch waits out."""


def is_fatal(error: StatusDashboardError) -> bool:
    """True for errors that asking again cannot mend: a wrong URL, environment or header."""
    transient = (RateLimited, ServiceUnavailable, ServerError)
    return isinstance(error, HTTPStatusError) and not isinstance(error, transient)


def backoff(failures: int, jitter: float) -> float:
    """The wait after the `failures`-th failure in a row; `jitter` is in [0, 1)."""
    step = min(BACKOFF_CAP, BACKOFF_FIRST * 2.0 ** min(failures - 1, 32))
    return step * (0.5 + jitter / 2)


class WatchPlan:
    """Follows one watch: the last dashboard seen, failures in a row, and the next delay."""

    def __init__(
        self,
        interval: float | None,
        random: Callable[[], float],
        *,
        since: Dashboard | None = None,
        environment: str = "prod",
        max_polls: int | None = None,
    ) -> None:
        if interval is not None and not interval >= 0:
            raise ValueError(f"interval must be a number of seconds, not {interval!r}")
        if max_polls is not None and max_polls < 1:
            raise ValueError(f"max_polls must be 1 or more, not {max_polls!r}")
        if since is not None and since.environment != environment:
            raise ValueError(
                f"since is a dashboard of {since.environment!r}, not of {environment!r}"
            )
        self._interval = interval
        self._max_polls = max_polls
        self._random = random
        self._previous = since
        self._max_age = since.max_age if since is not None else None
        self.failures = 0
        self.polls = 0
        self.delay = self._poll_delay()

    @property
    def polling_interval(self) -> float:
        """Seconds between polls while all is well, before jitter."""
        asked = max(self._interval or 0.0, float(self._max_age or 0))
        if asked == 0 and self._interval is None and self._max_age is None:
            asked = DEFAULT_INTERVAL
        return max(MIN_INTERVAL, asked)

    @property
    def done(self) -> bool:
        """True once `max_polls` requests have been made."""
        return self._max_polls is not None and self.polls >= self._max_polls

    def succeeded(self, dashboard: Dashboard) -> tuple[Change, ...]:
        """The changes since the last dashboard (none for the first); sets the next delay."""
        self.polls += 1
        self.failures = 0
        previous, self._previous = self._previous, dashboard
        self._max_age = dashboard.max_age
        self.delay = self._poll_delay()
        return () if previous is None else changes_between(previous, dashboard)

    def failed(self, error: StatusDashboardError) -> None:
        """Raises `error` when it is fatal; else sets the next delay, backed off."""
        self.polls += 1
        if is_fatal(error):
            raise error
        self.failures += 1
        delay = max(self.polling_interval, backoff(self.failures, self._random()))
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            delay = max(delay, min(RETRY_AFTER_CAP, retry_after))
        self.delay = delay

    def _poll_delay(self) -> float:
        return self.polling_interval * (1 + POLL_JITTER * self._random())
