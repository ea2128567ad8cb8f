"""Probes wait concurrently: fifty checks of one slow server take about one timeout."""

from __future__ import annotations

import asyncio
import time

from integration.probes.servers import NOW, RUN_LIMIT_S, Answer, HttpServer
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck
from status_dashboard.probes import HttpClients, HttpProbe

from support.outbound import LOOPBACK

TIMEOUT_S = 1.0
PROBES = 50


def test_fifty_probes_of_a_slow_server_finish_in_about_one_timeout(
    http_server: HttpServer,
) -> None:
    url = http_server.answer("/crawling", Answer(delay_s=30))
    schedule = CheckSchedule(interval_s=60, timeout_s=TIMEOUT_S)

    async def all_at_once() -> list[CheckResult]:
        async with HttpClients(policy=LOOPBACK) as clients:
            check = HttpCheck(url)
            probes = [HttpProbe(check, schedule, clients.for_check(check)) for _ in range(PROBES)]
            return await asyncio.gather(*(probe.run(NOW) for probe in probes))

    started = time.monotonic()
    results = asyncio.run(asyncio.wait_for(all_at_once(), RUN_LIMIT_S))
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT_S + 1.5
    assert {(r.ok, r.reason) for r in results} == {(False, "timed out after 1 s")}
    assert len(results) == PROBES


def test_a_cancelled_probe_propagates_the_cancellation(http_server: HttpServer) -> None:
    url = http_server.answer("/for-cancelling", Answer(delay_s=30))
    probe = HttpProbe(HttpCheck(url), CheckSchedule(interval_s=60, timeout_s=10), policy=LOOPBACK)

    async def cancel_midway() -> bool:
        task = asyncio.ensure_future(probe.run(NOW))
        await asyncio.sleep(0.2)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    assert asyncio.run(asyncio.wait_for(cancel_midway(), RUN_LIMIT_S))
