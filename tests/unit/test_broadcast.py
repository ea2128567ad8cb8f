"""The broadcaster behind the live streams (on a real event loop), the bytes of their events, and
which requests they serve."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from status_dashboard.api.negotiation import accepts_event_stream
from status_dashboard.api.stream import EventFrames, is_stream_path
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.broadcast import DashboardBroadcaster
from status_dashboard.service.snapshot import DashboardSnapshot, render_dashboard

ZONE = ZoneInfo("Europe/Brussels")
BUILT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SHORT = 0.5
"""Long enough for a wakeup that should come; what a wait that should not end waits."""


def _env(key: str, description: str, *, default: bool = False) -> Environment:
    item = Item(
        id="715d31b5a498a4587fedc57dada6a9df",
        key="idp",
        name="eHealth IDP",
        order=1,
        status_code=StatusCode.DISRUPTED,
        last_updated=BUILT,
        description=description,
    )
    group = Group(id="AXAQooF-9v9nOdhekPYm", key="iam", name="1. IAM", order=1, items=(item,))
    return Environment(key=key, name=key.upper(), order=1, is_default=default, groups=(group,))


def _publish(snapshot: DashboardSnapshot, prod: str, acc: str, revision: int) -> None:
    environments = [_env("prod", prod, default=True), _env("acc", acc)]
    snapshot.replace(environments, revision, zone=ZONE, max_age=15, built_at=BUILT)


def _run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


async def _woken(wait: Awaitable[None]) -> bool:
    try:
        await asyncio.wait_for(wait, SHORT)
    except TimeoutError:
        return False
    return True


def _replace_from_another_thread(snapshot: DashboardSnapshot, prod: str, acc: str) -> None:
    worker = threading.Thread(target=_publish, args=(snapshot, prod, acc, 2))
    worker.start()
    worker.join()


def test_a_change_wakes_the_streams_of_its_environment_and_no_others() -> None:
    async def scenario() -> None:
        snapshot = DashboardSnapshot()
        _publish(snapshot, "slow", "slow", 1)
        broadcaster = DashboardBroadcaster(snapshot, heartbeat=60)
        snapshot.add_listener(broadcaster.notify)
        broadcaster.start()
        with broadcaster.subscribe(None) as prod, broadcaster.subscribe("acc") as acc:
            prod_wait = asyncio.ensure_future(prod.wait())
            acc_wait = asyncio.ensure_future(acc.wait())
            await asyncio.sleep(0)
            _replace_from_another_thread(snapshot, "down", "slow")
            assert await _woken(prod_wait)
            assert not await _woken(acc_wait)
        broadcaster.close()

    _run(scenario)


def test_every_stream_is_woken_by_the_heartbeat_and_by_closing() -> None:
    async def scenario() -> None:
        snapshot = DashboardSnapshot()
        _publish(snapshot, "slow", "slow", 1)
        broadcaster = DashboardBroadcaster(snapshot, heartbeat=0.05)
        broadcaster.start()
        with broadcaster.subscribe(None) as prod, broadcaster.subscribe("acc") as acc:
            assert broadcaster.subscribers == 2
            assert await _woken(asyncio.gather(prod.wait(), acc.wait()))
            assert broadcaster.beats >= 1
            waits = asyncio.gather(prod.wait(), acc.wait())
            await asyncio.sleep(0)
            broadcaster.close()
            assert await _woken(waits)
            assert broadcaster.closed
        assert broadcaster.subscribers == 0

    _run(scenario)


def test_cancelling_one_stream_leaves_the_others_waiting() -> None:
    async def scenario() -> None:
        snapshot = DashboardSnapshot()
        _publish(snapshot, "slow", "slow", 1)
        broadcaster = DashboardBroadcaster(snapshot, heartbeat=60)
        snapshot.add_listener(broadcaster.notify)
        broadcaster.start()
        with broadcaster.subscribe(None) as first, broadcaster.subscribe(None) as second:
            cancelled = asyncio.ensure_future(first.wait())
            waiting = asyncio.ensure_future(second.wait())
            await asyncio.sleep(0)
            cancelled.cancel()
            await asyncio.sleep(0)
            assert not waiting.done()
            _replace_from_another_thread(snapshot, "down", "slow")
            assert await _woken(waiting)
        broadcaster.close()

    _run(scenario)


def test_changes_before_the_loop_runs_or_after_closing_are_ignored() -> None:
    snapshot = DashboardSnapshot()
    broadcaster = DashboardBroadcaster(snapshot, heartbeat=60)
    snapshot.add_listener(broadcaster.notify)
    _publish(snapshot, "slow", "slow", 1)  # not started: nobody to tell, and no error

    async def scenario() -> None:
        broadcaster.start()
        broadcaster.close()
        broadcaster.close()
        _publish(snapshot, "down", "slow", 2)

    _run(scenario)


def test_a_dashboard_event_is_the_etag_and_the_body_and_is_encoded_once() -> None:
    rendered = render_dashboard(_env("prod", "slow", default=True), ZONE, 15, BUILT)
    frames = EventFrames()
    frame = frames.dashboard(rendered)
    assert (
        frame
        == (
            b"event: dashboard\nid: "
            + rendered.identity.etag
            + b"\ndata: "
            + rendered.identity.body
        )
        + b"\n\n"
    )
    assert frames.dashboard(rendered) is frame
    changed = render_dashboard(_env("prod", "down", default=True), ZONE, 15, BUILT)
    assert frames.dashboard(changed) != frame


def test_a_heartbeat_event_says_when_in_utc() -> None:
    frames = EventFrames()
    at = datetime(2026, 12, 1, 9, 0, 15, tzinfo=ZONE)
    frame = frames.heartbeat(7, at)
    assert frame == b'event: heartbeat\ndata: {"at": "2026-12-01T08:00:15Z"}\n\n'
    assert frames.heartbeat(7, at) is frame


def test_only_paths_ending_in_stream_under_the_dashboard_prefix_are_streams() -> None:
    assert is_stream_path("/api/v1/dashboard/stream")
    assert is_stream_path("/api/v1/dashboard/int/stream")
    assert not is_stream_path("/api/v1/dashboard/int")
    assert not is_stream_path("/api/v1/dashboard/streams")
    assert not is_stream_path("/other/stream")


@pytest.mark.parametrize(
    ("accept", "served"),
    [
        (b"", True),
        (b"text/event-stream", True),
        (b"text/*", True),
        (b"*/*", True),
        (b"application/json, text/event-stream;q=0.5", True),
        (b"application/json", False),
        (b"text/html", False),
        (b"*/*, text/event-stream;q=0", False),
    ],
)
def test_a_stream_is_served_to_an_accept_that_allows_event_streams(
    accept: bytes, served: bool
) -> None:
    assert accepts_event_stream(accept) is served
