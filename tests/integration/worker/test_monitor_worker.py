"""The check loop against real targets on 127.0.0.1 and a real database: thresholds, staleness,
timeouts that hold nobody else up, bounded concurrency, and a stop that drains."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from integration.probes.servers import Answer, HttpServer, refused_port
from status_dashboard.bootstrap import Stores
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckSchedule, HttpCheck, PushCheck, TcpCheck
from status_dashboard.domain.effective import Source
from status_dashboard.domain.status import StatusCode
from status_dashboard.probes import HttpClients
from status_dashboard.service.publisher import utc_now
from status_dashboard.service.reconciler import Reconciler
from status_dashboard.worker import MonitorWorker, WorkerSettings

from support.outbound import LOOPBACK

IDP, STS = ids.item_id("prod", "idp"), ids.item_id("prod", "sts")
FAST = CheckSchedule(interval_s=1, timeout_s=0.5, fail_threshold=2, recover_threshold=1)
LIMIT_S = 15.0


def settings(**changes: object) -> WorkerSettings:
    values: dict[str, object] = {
        "name": "test-worker",
        "tick": 0.05,
        "beat_every": 0.5,
        "grace": timedelta(seconds=1),
    }
    values.update(changes)
    return WorkerSettings(**values)  # type: ignore[arg-type]


def shown(stores: Stores, item_id: str) -> tuple[StatusCode | None, Source | None, str]:
    """What the public sees of the item: status, what decided it, and why."""
    state = stores.operations.reconcile_inputs(utc_now()).states.get(item_id)
    if state is None:
        return None, None, "not decided yet"
    return state.status_code, state.source, state.reason


async def until(condition: Callable[[], bool], limit: float = LIMIT_S) -> float:
    """Wait for `condition`, polling; the seconds it took. Fails the test past `limit`."""
    began = time.monotonic()
    while not await asyncio.to_thread(condition):
        if time.monotonic() - began > limit:
            raise AssertionError(f"not within {limit} s: {condition.__doc__ or ''}")
        await asyncio.sleep(0.05)
    return time.monotonic() - began


async def with_worker(
    stores: Stores,
    scenario: Callable[[MonitorWorker], Awaitable[None]],
    worker_settings: WorkerSettings | None = None,
) -> MonitorWorker:
    """Run a worker, deciding items at each change as a server would, during `scenario`."""
    reconciler = Reconciler(stores.operations, utc_now)

    async def decide() -> None:
        await asyncio.to_thread(reconciler.run_once)

    stop = asyncio.Event()
    async with HttpClients(policy=LOOPBACK) as http:
        worker = MonitorWorker(
            stores.monitor, utc_now, worker_settings or settings(), http=http, on_change=decide
        )
        running = asyncio.create_task(worker.run(stop))
        try:
            await scenario(worker)
        finally:
            stop.set()
            await asyncio.wait_for(running, LIMIT_S)
    return worker


def test_a_target_that_fails_turns_its_item_disrupted_after_the_threshold_and_back(
    stores: Stores, target: HttpServer
) -> None:
    url = target.answer("/health", Answer(200, b"UP"))
    stores.monitor.set_checks(IDP, [("web", HttpCheck(url), FAST)], utc_now())

    async def scenario(worker: MonitorWorker) -> None:
        await until(lambda: shown(stores, IDP)[0] is StatusCode.OPERATIONAL)
        target.answer("/health", Answer(503, b"down"))
        await until(lambda: shown(stores, IDP)[0] is StatusCode.DISRUPTED)
        assert shown(stores, IDP)[2] == "HTTP 503"
        (check,) = stores.monitor.checks()
        failures = [r for r in stores.monitor.results(check.id, limit=10) if not r.ok]
        assert len(failures) == FAST.fail_threshold  # not before the threshold
        target.answer("/health", Answer(200, b"UP"))
        await until(lambda: shown(stores, IDP)[0] is StatusCode.OPERATIONAL)

    asyncio.run(with_worker(stores, scenario))


def test_checked_items_turn_unknown_when_results_go_stale(stores: Stores) -> None:
    with refused_port() as port:
        stores.monitor.set_checks(IDP, [("port", TcpCheck("127.0.0.1", port), FAST)], utc_now())

        async def scenario(worker: MonitorWorker) -> None:
            await until(lambda: shown(stores, IDP)[0] is StatusCode.DISRUPTED)
            assert shown(stores, IDP)[2] == "Connection refused"

        asyncio.run(with_worker(stores, scenario))

    reconciler = Reconciler(stores.operations, utc_now)
    assert shown(stores, IDP)[0] is StatusCode.DISRUPTED  # just stopped: still fresh
    time.sleep(FAST.stale_after.total_seconds() + 0.2)
    reconciler.run_once()
    assert shown(stores, IDP)[:2] == (StatusCode.UNKNOWN, Source.STALE)


def test_a_target_that_hangs_holds_up_no_other_check(stores: Stores, target: HttpServer) -> None:
    hanging = target.answer("/hang", Answer(200, b"late", delay_s=30))
    quick = target.answer("/quick", Answer(200, b"OK"))
    stores.monitor.set_checks(IDP, [("hang", HttpCheck(hanging), FAST)], utc_now())
    stores.monitor.set_checks(STS, [("quick", HttpCheck(quick), FAST)], utc_now())

    async def scenario(worker: MonitorWorker) -> None:
        await asyncio.sleep(3.5)

    worker = asyncio.run(with_worker(stores, scenario))

    results = {c.key: stores.monitor.results(c.id, limit=10) for c in stores.monitor.checks()}
    assert len(results["quick"]) >= 3
    assert all(r.ok for r in results["quick"])
    assert results["hang"]
    assert all(r.reason == "timed out after 0.5 s" for r in results["hang"])
    # Cut off at its timeout, far short of the 30 s the target hangs; the margin is the event
    # loop's own latency on a loaded machine, where a wake-up can come a second late.
    durations = [round(r.duration_ms) for r in results["hang"]]
    assert all(d < 3000 for d in durations), durations
    assert worker.stats.late == 0


def test_no_more_checks_run_at_once_than_the_concurrency(
    stores: Stores, target: HttpServer
) -> None:
    slow = target.answer("/slow", Answer(200, b"OK", delay_s=0.3))
    schedule = CheckSchedule(interval_s=30, timeout_s=2)
    checks = [(f"c{n}", HttpCheck(f"{slow}?n={n}"), schedule) for n in range(12)]
    stores.monitor.set_checks(IDP, checks, utc_now())
    most = 0

    async def scenario(worker: MonitorWorker) -> None:
        nonlocal most

        def all_ran() -> bool:
            return all(c.state.last_result_at is not None for c in stores.monitor.checks())

        began = time.monotonic()
        while not await asyncio.to_thread(all_ran):
            most = max(most, worker.running)
            assert time.monotonic() - began < LIMIT_S
            await asyncio.sleep(0.01)

    asyncio.run(with_worker(stores, scenario, settings(concurrency=4)))

    assert most == 4


def test_stopping_lets_running_checks_finish_and_records_them(
    stores: Stores, target: HttpServer
) -> None:
    slow = target.answer("/slow", Answer(200, b"OK", delay_s=0.6))
    schedule = CheckSchedule(interval_s=30, timeout_s=5)
    stores.monitor.set_checks(IDP, [("web", HttpCheck(slow), schedule)], utc_now())

    async def scenario(worker: MonitorWorker) -> None:
        await until(lambda: "/slow" in target.requests)
        assert worker.running == 1  # stopping now, with the check halfway

    asyncio.run(with_worker(stores, scenario))

    (check,) = stores.monitor.checks()
    (result,) = stores.monitor.results(check.id, limit=5)
    assert result.ok
    assert result.duration_ms >= 500


def test_a_push_check_fails_without_pushes_and_recovers_at_the_first_push(
    stores: Stores,
) -> None:
    token = "a-push-token-for-the-worker"
    schedule = CheckSchedule(interval_s=2, timeout_s=1, fail_threshold=1)
    stores.monitor.set_checks(IDP, [("push", PushCheck(token), schedule)], utc_now())

    async def scenario(worker: MonitorWorker) -> None:
        await until(lambda: shown(stores, IDP)[0] is StatusCode.DISRUPTED)
        assert shown(stores, IDP)[2] == "no push yet"
        stores.monitor.push(token, utc_now())
        waited = await until(lambda: shown(stores, IDP)[0] is StatusCode.OPERATIONAL, 3)
        assert waited < 1.0  # a push is judged at once, not at the next interval

    asyncio.run(with_worker(stores, scenario))


def test_the_worker_beats_while_it_runs(stores: Stores) -> None:
    async def scenario(worker: MonitorWorker) -> None:
        await until(lambda: stores.monitor.monitor_alive(utc_now(), timedelta(seconds=2)))

    asyncio.run(with_worker(stores, scenario))
