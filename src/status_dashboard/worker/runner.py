"""The check loop (ARCHITECTURE.md rule 9): claim the due checks, run them, record what they found.

`run_due_checks_once` is one step: it claims as many due checks as there are free slots and starts
each as a task. Results are written in batches: what finished while the last batch was being
written goes in the next one, one transaction for many results. `run` repeats the step until told to stop, keeps the heartbeat that tells every
server the monitor is up, and drains on stop: the checks already running finish and are
recorded, nothing new starts.

Nothing escapes the loop. A probe turns every failure into a result (probes.base); a store that
fails while claiming, recording or beating is logged and tried again on the next step; a result
that cannot be recorded is lost, and its lease runs out, so the check is run again (here or by
another worker) one lease later at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from status_dashboard.domain.checks import CheckResult, InvalidCheck, PushCheck
from status_dashboard.domain.monitoring import CheckState, next_check_state, next_due
from status_dashboard.domain.ports import Finding, Lease, MonitorStore
from status_dashboard.probes import HttpClients, build_probe
from status_dashboard.worker.stats import RunStats

log = logging.getLogger(__name__)

OnChange = Callable[[], Awaitable[None]]

_RETRY_PUBLISH_S = 0.5


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """How one worker runs. `grace` is how long past a check's timeout its lease lasts (time
    to record the result); `tick` the longest wait between two looks for due checks, so a check
    starts at most that late when the worker has a free slot."""

    name: str
    concurrency: int = 100
    grace: timedelta = timedelta(seconds=10)
    tick: float = 0.2
    beat_every: float = 5.0
    stats_every: float = 60.0


class MonitorWorker:
    """Runs the checks of one database, sharing them with any other worker through leases."""

    def __init__(
        self,
        store: MonitorStore,
        clock: Callable[[], datetime],
        settings: WorkerSettings,
        *,
        http: HttpClients,
        on_change: OnChange | None = None,
        stats: RunStats | None = None,
    ) -> None:
        """`stats`: where the runs are counted, when the caller reads them too (metrics)."""
        self._store = store
        self._clock = clock
        self._settings = settings
        self._http = http
        self._on_change = on_change
        self._running: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self._changed = asyncio.Event()
        self._pending: list[tuple[Finding, asyncio.Future[bool]]] = []
        self._pending_ready = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None
        self.stats = RunStats() if stats is None else stats

    @property
    def running(self) -> int:
        return len(self._running)

    async def run_due_checks_once(self) -> int:
        """Claim due checks for the free slots and start them; how many were started."""
        free = self._settings.concurrency - len(self._running)
        if free <= 0:
            return 0
        now = self._clock()
        leases = await asyncio.to_thread(
            self._store.claim_due, self._settings.name, now, self._settings.grace, free
        )
        for lease in leases:
            task = asyncio.create_task(self._run(lease), name=f"check-{lease.check.id}")
            self._running.add(task)
            task.add_done_callback(self._finished)
        return len(leases)

    async def run(self, stop: asyncio.Event) -> None:
        """Run checks until `stop` is set, then let the running ones finish."""
        log.info(
            "event=monitor_started worker=%s concurrency=%s",
            self._settings.name,
            self._settings.concurrency,
        )
        # Beat before the first claim: a result decided before any heartbeat is stored would
        # find the monitor "down" and show its item Unknown instead of what the check said.
        await self._beat_once()
        helpers = [
            asyncio.create_task(self._beat(stop)),
            asyncio.create_task(self._report(stop)),
        ]
        if self._on_change is not None:
            helpers.append(asyncio.create_task(self._publish_changes(stop)))
        try:
            while not stop.is_set():
                await self._step()
                await self._pause(stop)
        finally:
            await self.drain()
            if self._recorder is not None:
                helpers.append(self._recorder)
            for helper in helpers:
                helper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await helper
            if self._on_change is not None and self._changed.is_set():
                await self._notify()
            log.info("event=monitor_stopped worker=%s %s", self._settings.name, self.stats.line())

    async def drain(self) -> None:
        """Wait for the running checks; each ends within its own timeout."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _step(self) -> None:
        try:
            await self.run_due_checks_once()
        except Exception as exc:  # a store that is down must not stop the loop
            log.warning("event=claim_failed error=%s", type(exc).__name__)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the next tick, or sooner when stopping or when a slot frees up while full."""
        self._slot_freed.clear()
        waits = [asyncio.create_task(stop.wait())]
        if self.running >= self._settings.concurrency:
            waits.append(asyncio.create_task(self._slot_freed.wait()))
        _, pending = await asyncio.wait(waits, timeout=self._settings.tick)
        for task in pending:
            task.cancel()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slot_freed.set()

    async def _run(self, lease: Lease) -> None:
        check = lease.check
        started = self._clock()
        self.stats.started(lateness=(started - check.next_due).total_seconds())
        try:
            result = await self._probe(lease, started)
        except Exception as exc:  # a probe must not raise, but one broken probe stops nothing
            log.error("event=probe_crashed check=%s error=%s", check.id, type(exc).__name__)
            result = CheckResult(False, "check could not run", started, 0.0, type(exc).__name__)
        self.stats.finished(result.ok)
        state = next_check_state(check.state, result, check.schedule)
        following = next_due(check.id, check.schedule, started)
        try:
            recorded = await self._record(Finding(lease, result, state, following))
        except Exception as exc:
            log.warning("event=record_failed check=%s error=%s", check.id, type(exc).__name__)
            return
        if not recorded:
            log.info("event=lease_lost check=%s worker=%s", check.id, lease.worker)
        elif _verdict_moved(check.state, state, check.schedule.stale_after, started):
            self._changed.set()

    async def _record(self, finding: Finding) -> bool:
        """Queue `finding` for the next batch; whether it was recorded."""
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.create_task(self._record_batches())
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((finding, future))
        self._pending_ready.set()
        return await future

    async def _record_batches(self) -> None:
        """Write what finished meanwhile in one transaction: while one batch is written the
        next one gathers, so a busy worker pays one commit for many results."""
        while True:
            await self._pending_ready.wait()
            self._pending_ready.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            try:
                recorded = await asyncio.to_thread(
                    self._store.record_results, [finding for finding, _ in batch]
                )
            except Exception as exc:
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), kept in zip(batch, recorded, strict=True):
                future.set_result(kept)

    async def _probe(self, lease: Lease, now: datetime) -> CheckResult:
        check = lease.check
        last_push: datetime | None = None
        if isinstance(check.definition, PushCheck):
            last_push = await asyncio.to_thread(self._store.last_push, check.id)
        try:
            probe = build_probe(
                check.definition, check.schedule, http=self._http, last_push=lambda: last_push
            )
        except InvalidCheck as invalid:
            # Stored before a rule got stricter: say so on the item rather than run it.
            return CheckResult(False, f"invalid check: {invalid}", now, 0.0)
        return await probe.run(now)

    async def _beat(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._settings.beat_every)
            if not stop.is_set():
                await self._beat_once()

    async def _beat_once(self) -> None:
        try:
            await asyncio.to_thread(self._store.beat, self._settings.name, self._clock())
        except Exception as exc:
            log.warning("event=heartbeat_failed error=%s", type(exc).__name__)

    async def _report(self, stop: asyncio.Event) -> None:
        every = self._settings.stats_every
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            log.info("event=monitor_stats worker=%s %s", self._settings.name, self.stats.line())
            self.stats.next_period()

    async def _publish_changes(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._changed.wait()
            await self._notify()

    async def _notify(self) -> None:
        assert self._on_change is not None
        self._changed.clear()
        began = time.perf_counter()
        try:
            await self._on_change()
        except Exception as exc:  # a busy or unreachable database: try again shortly
            log.warning("event=publish_failed error=%s", type(exc).__name__)
            await asyncio.sleep(_RETRY_PUBLISH_S)
            self._changed.set()
            return
        log.debug("event=verdicts_published ms=%.1f", (time.perf_counter() - began) * 1000)


def _verdict_moved(
    before: CheckState, after: CheckState, stale_after: timedelta, now: datetime
) -> bool:
    """Whether this result may change what the item shows: the check started or stopped
    failing, or settled, or it reported for the first time, or again after being stale."""
    moved = before.failing != after.failing or before.settled != after.settled
    if moved or before.last_result_at is None:
        return True
    return now - before.last_result_at > stale_after
