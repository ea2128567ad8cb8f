"""User-Agent tracing (cookbook §5.1.1, docs/design.md §3).

The cookbook asks every client to identify itself as `{software}/{version} {connector}/{version}`.
Its printed regular expression is garbled (each `\\/` came out as `V`), so it is read by intent:
two or more space-separated `name/version` tokens, the name `[A-Za-z0-9-/]+` (it may hold
slashes, as in `MyCompany/myProduct/62.310.4`), the version `[0-9A-Za-z-_.]+`.

Every request is counted per environment and identity in memory, and the counts are written to
the client register in batches, so tracing costs a dictionary update on the hot path.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from status_dashboard.domain.ports import OVERFLOW_IDENTITY, ClientSighting

_PRODUCT = r"[A-Za-z0-9\-/]+/[0-9A-Za-z\-_.]+"
USER_AGENT_PATTERN = re.compile(rf"{_PRODUCT}(?: {_PRODUCT})+")

MAX_USER_AGENT_LENGTH = 512
"""Longer identities are cut: the register is for people to read, not a store of headers."""

MAX_CLIENTS_PER_ENVIRONMENT = 2000
"""Past this many distinct identities in one flush period, the rest are counted together: the
buffer between two flushes holds at most this many tallies (and the overflow's) per environment,
also when a failed flush puts its counts back."""


@lru_cache(maxsize=4096)
def user_agent_conforms(user_agent: str) -> bool:
    """True when `user_agent` follows the cookbook's pattern (e.g. `myProduct/62.310.4 Technical/3.19.0`)."""
    return USER_AGENT_PATTERN.fullmatch(user_agent) is not None


@dataclass(slots=True)
class _Tally:
    conforming: bool
    count: int
    first_seen: float
    last_seen: float


class ClientTracker:
    """Counts requests per (environment, identity) until the next `drain`.

    Thread-safe, since the flush runs in a worker thread while requests keep arriving.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tallies: dict[tuple[str, str], _Tally] = {}
        self._per_environment: dict[str, int] = {}

    def seen(self, environment_key: str, user_agent: str, conforming: bool, at: float) -> None:
        with self._lock:
            self._count(environment_key, user_agent[:MAX_USER_AGENT_LENGTH], conforming, 1, at, at)

    def _count(
        self, env: str, agent: str, conforming: bool, count: int, first: float, last: float
    ) -> None:
        """Add to a tally, under the lock; a new identity past the cap goes to the overflow."""
        key = (env, agent)
        tally = self._tallies.get(key)
        if tally is None and self._per_environment.get(env, 0) >= MAX_CLIENTS_PER_ENVIRONMENT:
            key, conforming = (env, OVERFLOW_IDENTITY), False
            tally = self._tallies.get(key)
        if agent == OVERFLOW_IDENTITY:
            conforming = False
        if tally is None:
            self._tallies[key] = _Tally(conforming, count, first, last)
            self._per_environment[env] = self._per_environment.get(env, 0) + 1
            return
        tally.count += count
        tally.first_seen = min(tally.first_seen, first)
        tally.last_seen = max(tally.last_seen, last)
        tally.conforming = conforming

    def drain(self) -> list[ClientSighting]:
        """Everything counted since the last drain; the tracker starts again from zero."""
        with self._lock:
            tallies, self._tallies, self._per_environment = self._tallies, {}, {}
        return [
            ClientSighting(
                environment_key=env,
                user_agent=agent,
                conforming=t.conforming,
                count=t.count,
                first_seen=datetime.fromtimestamp(t.first_seen, UTC),
                last_seen=datetime.fromtimestamp(t.last_seen, UTC),
            )
            for (env, agent), t in tallies.items()
        ]

    def restore(self, sightings: list[ClientSighting]) -> None:
        """Put back sightings whose write failed, so a database outage loses no counts; within
        the same cap, so an outage of many flushes does not grow the buffer either."""
        with self._lock:
            for s in sightings:
                self._count(
                    s.environment_key,
                    s.user_agent,
                    s.conforming,
                    s.count,
                    s.first_seen.timestamp(),
                    s.last_seen.timestamp(),
                )
