"""Keeps the snapshot in step with the store, and the client register with the tracker.

Other processes write too (`catalog load`, workers, operators on other replicas), so the
publisher asks the store for its revision, one cheap query, and renders again only when it
moved. It asks when woken (`wake`: on PostgreSQL the change listener hears every committed
write within milliseconds) and otherwise at the pace of `RefreshPace`: every `poll` seconds
without announcements, every `fallback` seconds while they arrive, as a safety net for the
ones a lost connection missed. Both loops survive a failing database: they log, remember the
failure for /health, and try again on the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from status_dashboard.domain.ports import ClientRegister, DashboardStore
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.service.tracing import ClientTracker

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoreHealth:
    """What the last contact with the store said, for /health."""

    last_success: float | None = None
    last_error: str | None = None
    last_failure: float | None = None

    def reachable(self, now: float, within: float) -> bool:
        """Answered within `within` seconds, and the latest contact was no failure: /health
        turns DEGRADED at the first failed poll, not once the tolerance has run out."""
        if self.last_success is None:
            return False
        if self.last_failure is not None and self.last_failure > self.last_success:
            return False
        return now - self.last_success <= within

    def succeeded(self) -> None:
        self.last_success = time.monotonic()
        self.last_error = None

    def failed(self, error: str) -> None:
        self.last_failure = time.monotonic()
        self.last_error = error


@dataclass(frozen=True, slots=True)
class RefreshPace:
    """How long the publisher waits for a wake before it asks the store anyway."""

    poll: float
    """Seconds between revision checks when no change is announced (SQLite, or no listener)."""
    fallback: float | None = None
    """Seconds between revision checks while changes are announced (`announced()` is true)."""
    announced: Callable[[], bool] = field(default=lambda: False)
    """Whether the change listener is connected now."""

    def interval(self) -> float:
        """The wait now; a change of `announced()` wakes the publisher, so its next wait is
        already the new one."""
        if self.fallback is not None and self.announced():
            return self.fallback
        return self.poll


class DashboardPublisher:
    def __init__(
        self,
        store: DashboardStore,
        snapshot: DashboardSnapshot,
        *,
        zone: tzinfo,
        max_age: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._snapshot = snapshot
        self._zone = zone
        self._max_age = max_age
        self._clock = clock
        self.health = StoreHealth()
        # The loop and operators' requests both refresh, from different threads: one at a time,
        # or a slow refresh that read old data could swap it in after a newer one.
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None

    def wake(self, revision: int | None = None) -> None:
        """From any thread: ask the store now rather than at the next tick, since a change was
        announced. A notice of a revision the snapshot already shows (this process's own write,
        published when its request returned) costs nothing; so does a wake before `run`."""
        shown = self._snapshot.revision
        if revision is not None and shown is not None and revision <= shown:
            return
        loop, woken = self._loop, self._woken
        if loop is None or woken is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is stopping
            loop.call_soon_threadsafe(woken.set)

    def refresh(self) -> bool:
        """Render again if the store's revision moved; True when the snapshot was replaced.

        Raises what the store raises: the caller decides whether that is fatal.
        """
        with self._lock:
            return self._refresh()

    def _refresh(self) -> bool:
        revision = self._store.revision()
        if revision == self._snapshot.revision:
            self.health.succeeded()
            return False
        environments = self._store.environments()
        self._snapshot.replace(
            environments,
            revision,
            zone=self._zone,
            max_age=self._max_age,
            built_at=self._clock(),
        )
        self.health.succeeded()
        log.info("event=snapshot_rebuilt revision=%s environments=%s", revision, len(environments))
        return True

    async def run(self, pace: RefreshPace, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        woken = self._woken = asyncio.Event()
        try:
            while not stop.is_set():
                # Cleared before the refresh reads the revision: a wake that comes during the
                # refresh may announce a commit it did not see, so it makes another one.
                woken.clear()
                try:
                    await asyncio.to_thread(self.refresh)
                except Exception as exc:  # a down database must not stop the loop
                    self.health.failed(type(exc).__name__)
                    log.warning("event=snapshot_refresh_failed error=%s", type(exc).__name__)
                await _sleep_unless_woken(stop, woken, pace.interval())
        finally:
            self._woken = None


class RegisterFlusher:
    def __init__(self, tracker: ClientTracker, register: ClientRegister) -> None:
        self._tracker = tracker
        self._register = register

    def flush(self) -> int:
        """Write what the tracker counted; on failure the counts go back for the next try."""
        sightings = self._tracker.drain()
        if not sightings:
            return 0
        try:
            self._register.record(sightings)
        except Exception:
            self._tracker.restore(sightings)
            raise
        return len(sightings)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await _sleep_unless_stopped(stop, interval)
            try:
                await asyncio.to_thread(self.flush)
            except Exception as exc:
                log.warning("event=client_register_flush_failed error=%s", type(exc).__name__)


async def _sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _sleep_unless_woken(stop: asyncio.Event, woken: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `woken` or `stop` is set meanwhile."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
