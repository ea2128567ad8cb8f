"""Keeps the history small and the uptime fresh: rolls the history and the check results up into
hourly and daily aggregates, then drops raw results and old aggregates past their retention.

The order matters: raw results are pruned only after a roll-up has succeeded, so a failing
roll-up never loses results that no aggregate holds yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from status_dashboard.domain.ports import ClientRegister, MonitorStore, UptimeStore

log = logging.getLogger(__name__)

ROLL_UP_INTERVAL = 60.0
"""Seconds between two passes: how stale uptime and the daily bars may be."""

CLIENT_PRUNE_INTERVAL = 3600.0
"""Seconds between two prunings of the client register: retention is counted in days."""


@dataclass(frozen=True, slots=True)
class HistoryKept:
    """What one pass did: aggregate rows written, raw results and aggregate rows deleted."""

    rolled_up: int
    results_pruned: int
    aggregates_pruned: int


class HistoryKeeper:
    def __init__(
        self,
        uptime_store: UptimeStore,
        monitor_store: MonitorStore,
        clock: Callable[[], datetime],
        raw_retention: timedelta = timedelta(days=7),
        aggregate_retention: timedelta = timedelta(days=400),
    ) -> None:
        if raw_retention <= timedelta(0) or aggregate_retention <= timedelta(0):
            raise ValueError("retention periods must be longer than nothing")
        self._uptime = uptime_store
        self._monitor = monitor_store
        self._clock = clock
        self._raw_retention = raw_retention
        self._aggregate_retention = aggregate_retention

    def run_once(self) -> HistoryKept:
        """Roll up to now, then prune raw results and aggregates past their retention."""
        now = self._clock()
        rolled_up = self._uptime.roll_up(now)  # raises before anything is pruned
        kept = HistoryKept(
            rolled_up,
            self._monitor.prune_results(now - self._raw_retention),
            self._uptime.prune(now - self._aggregate_retention),
        )
        log.info(
            "event=history_kept rolled_up=%s results_pruned=%s aggregates_pruned=%s",
            kept.rolled_up,
            kept.results_pruned,
            kept.aggregates_pruned,
        )
        return kept

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """`run_once` every `interval` seconds until `stop` is set; a failing pass is logged and
        the next one tried, since a roll-up recomputes whatever an earlier one missed."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception as exc:  # a down database must not stop the loop
                log.warning("event=history_keeping_failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


class ClientRetention:
    """Removes the client register's identities not seen for `retention`, in every environment,
    so that the register holds the clients of a recent past only (its overflow line too)."""

    def __init__(
        self, register: ClientRegister, clock: Callable[[], datetime], retention: timedelta
    ) -> None:
        if retention <= timedelta(0):
            raise ValueError("the retention period must be longer than nothing")
        self._register = register
        self._clock = clock
        self._retention = retention

    def run_once(self) -> int:
        pruned = self._register.prune(self._clock() - self._retention)
        log.info("event=client_register_pruned pruned=%s", pruned)
        return pruned

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """`run_once` every `interval` seconds until `stop` is set; a failure is logged and
        the next pass tried."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except Exception as exc:  # a down database must not stop the loop
                log.warning("event=client_register_pruning_failed error=%s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
