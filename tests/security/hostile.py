"""What the security tests share: the hostile targets (scripts/hostile_targets.py, which the
bench serves too), and a probe run that notes how long the event loop was kept from other work."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from status_dashboard.domain.checks import CheckResult
from status_dashboard.probes import Probe

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import hostile_targets

NOW = datetime.now(UTC)
HostileServer = hostile_targets.HostileServer
hostile_server = hostile_targets.hostile_server


async def run_watched(*probes: Probe) -> tuple[list[CheckResult], float]:
    """The probes' results, run at once, and the longest time the event loop went without
    running a coroutine that asks for it every 10 ms: what a request to the API served by the
    same loop would have waited at most."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    longest = 0.0

    async def tick() -> None:
        nonlocal longest
        last = loop.time()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = loop.time()
            longest = max(longest, now - last)
            last = now

    ticker = asyncio.create_task(tick())
    try:
        results = await asyncio.gather(*(probe.run(NOW) for probe in probes))
    finally:
        done.set()
        await ticker
    return list(results), longest


def watched(*probes: Probe) -> tuple[list[CheckResult], float]:
    return asyncio.run(run_watched(*probes))
