"""Keeps every item's effective status true: after each operator write, and every tick, since
overrides expire and maintenance windows open and close by the clock alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from status_dashboard.domain.history import reconcile
from status_dashboard.domain.ports import OperationsStore

log = logging.getLogger(__name__)


class Reconciler:
    def __init__(self, store: OperationsStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock
        self.monitor_running: bool | None = None
        """What the last run found: whether a monitor reports (None before the first run)."""

    def run_once(self) -> int:
        """Decide every item again and store what changed; the number of items changed."""
        now = self._clock()
        inputs = self._store.reconcile_inputs(now)
        self.monitor_running = inputs.monitor_running
        changes = reconcile(inputs, now)
        if changes:
            self._store.apply_states(changes)
            log.info("event=states_reconciled items=%s", len(changes))
        return len(changes)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception as exc:  # a down database must not stop the loop
                log.warning("event=reconcile_failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
