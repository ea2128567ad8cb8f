"""Keeps the snapshot in step with the store, and the client register with the tracker.

Other processes write too (`catalog load`, operators on other replicas), so the publisher asks the
store for its revision every `interval` seconds, one cheap query, and renders again only when it
moved. Both loops survive a failing database: they log, remember the failure for /health, and try
again on the next tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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

    def reachable(self, now: float, within: float) -> bool:
        return self.last_success is not None and now - self.last_success <= within


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

    def refresh(self) -> bool:
        """Render again if the store's revision moved; True when the snapshot was replaced.

        Raises what the store raises: the caller decides whether that is fatal.
        """
        with self._lock:
            return self._refresh()

    def _refresh(self) -> bool:
        revision = self._store.revision()
        if revision == self._snapshot.revision:
            self.health.last_success = time.monotonic()
            return False
        environments = self._store.environments()
        self._snapshot.replace(
            environments,
            revision,
            zone=self._zone,
            max_age=self._max_age,
            built_at=self._clock(),
        )
        self.health.last_success = time.monotonic()
        self.health.last_error = None
        log.info("event=snapshot_rebuilt revision=%s environments=%s", revision, len(environments))
        return True

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as exc:  # a down database must not stop the loop
                self.health.last_error = type(exc).__name__
                log.warning("event=snapshot_refresh_failed error=%s", type(exc).__name__)
            await _sleep_unless_stopped(stop, interval)


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
