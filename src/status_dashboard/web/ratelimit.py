"""Failed sign-ins, counted per client address and per user name, in memory.

Both keys are counted because each alone is easy to get round: one address trying many names,
or many addresses trying one name. The count lives in this process only; behind several replicas
an attacker gets a few more tries per replica, which is still far too few to guess a password.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

MAX_FAILURES = 5
WINDOW_S = 15 * 60.0
MAX_TRACKED_KEYS = 100_000
"""Past this many keys the oldest are forgotten, so a flood of made-up names cannot fill memory."""


class LoginThrottle:
    """A sliding window of failure moments per key; thread-safe (handlers run in a pool)."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str]) -> int:
        """Seconds until every key may try again; 0 when none is locked out."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                moments = self._recent(key, now)
                if moments is not None and len(moments) >= self._max:
                    wait = max(wait, moments[0] + self._window - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                moments = self._recent(key, now)
                if moments is None:
                    if len(self._failures) >= MAX_TRACKED_KEYS:
                        self._failures.pop(next(iter(self._failures)))
                    moments = self._failures[key] = deque()
                moments.append(now)
                while len(moments) > self._max:
                    moments.popleft()

    def succeeded(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        moments = self._failures.get(key)
        if moments is None:
            return None
        while moments and moments[0] <= now - self._window:
            moments.popleft()
        if not moments:
            del self._failures[key]
            return None
        return moments


def login_keys(client_address: str, user_name: str) -> tuple[str, str]:
    """The two counters one attempt touches; names are case-folded like people type them."""
    return f"addr:{client_address}", f"user:{user_name.strip().casefold()[:64]}"
