"""The publisher keeps the snapshot in step with the store: at once when woken (a change was
announced), at its pace otherwise, and never for a notice of what it already shows."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from status_dashboard.service.catalog import parse_catalog
from status_dashboard.service.publisher import DashboardPublisher, RefreshPace
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.store.memory import MemoryDashboardStore

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
LONG = 60.0
"""A poll that never comes within a test: whatever the snapshot shows in time came by a wake."""

CATALOG = """
environments:
  prod:
    groups:
      iam:
        name: "1. IAM - Identity & Access Management"
        items:
          sts:
            name: "WebService eHealth - STS - Secure Token Service"
            status: {status}
"""


def _change(store: MemoryDashboardStore, status: str) -> int:
    """A write that moves what the dashboard shows; the store's new revision."""
    store.apply_catalog(parse_catalog(CATALOG.format(status=status)), NOW)
    return store.revision()


def _shown_status(snapshot: DashboardSnapshot) -> int:
    rendered = snapshot.lookup(None)
    assert rendered is not None
    status: int = orjson.loads(rendered.identity.body)["groups"][0]["items"][0]["status_code"]
    return status


async def _until(condition: Callable[[], bool], limit: float) -> float:
    """Seconds until `condition` held; fails past `limit`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > limit:
            raise AssertionError(f"not within {limit} s")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


def play(scenario: Coroutine[Any, Any, None]) -> None:
    """Run `scenario` on a new event loop, failing it rather than hanging past 10 s."""
    asyncio.run(asyncio.wait_for(scenario, 10))


@asynccontextmanager
async def _running(
    publisher: DashboardPublisher, pace: RefreshPace
) -> AsyncIterator[DashboardPublisher]:
    stop = asyncio.Event()
    task = asyncio.create_task(publisher.run(pace, stop))
    try:
        await _until(lambda: publisher.health.last_success is not None, limit=5.0)
        yield publisher
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


@pytest.fixture
def store() -> MemoryDashboardStore:
    store = MemoryDashboardStore()
    _change(store, "operational")
    return store


@pytest.fixture
def snapshot() -> DashboardSnapshot:
    return DashboardSnapshot()


@pytest.fixture
def publisher(store: MemoryDashboardStore, snapshot: DashboardSnapshot) -> DashboardPublisher:
    return DashboardPublisher(store, snapshot, zone=ZoneInfo("Europe/Brussels"), max_age=15)


def test_a_wake_shows_the_change_at_once_rather_than_at_the_next_poll(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        async with _running(publisher, RefreshPace(LONG)):
            assert _shown_status(snapshot) == 1
            revision = _change(store, "disrupted")
            publisher.wake(revision)
            await _until(lambda: snapshot.revision == revision, limit=1.0)
        assert _shown_status(snapshot) == 2

    play(scenario())


def test_a_wake_from_another_thread_is_heard(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        async with _running(publisher, RefreshPace(LONG)):
            revision = _change(store, "disrupted")
            waker = threading.Thread(target=publisher.wake, args=(revision,))
            waker.start()
            waker.join(timeout=5)
            await _until(lambda: snapshot.revision == revision, limit=1.0)

    play(scenario())


def test_a_wake_of_unknown_revision_looks_at_the_store(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        async with _running(publisher, RefreshPace(LONG)):
            revision = _change(store, "disrupted")
            publisher.wake()
            await _until(lambda: snapshot.revision == revision, limit=1.0)

    play(scenario())


def test_a_notice_of_a_revision_already_shown_does_not_ask_the_store(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        async with _running(publisher, RefreshPace(LONG)):
            shown = snapshot.revision
            assert shown is not None
            # A write the notice does not speak of: only a look at the store would find it.
            _change(store, "disrupted")
            publisher.wake(shown)
            await asyncio.sleep(0.3)
            assert snapshot.revision == shown
            publisher.wake(shown + 1)
            await _until(lambda: snapshot.revision == store.revision(), limit=1.0)

    play(scenario())


def test_without_a_wake_the_change_comes_at_the_poll(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        async with _running(publisher, RefreshPace(0.2)):
            revision = _change(store, "disrupted")
            took = await _until(lambda: snapshot.revision == revision, limit=2.0)
        assert took <= 0.2 + 0.3

    play(scenario())


def test_while_changes_are_announced_the_poll_slows_to_the_fallback(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        announced = threading.Event()
        announced.set()
        pace = RefreshPace(0.1, fallback=LONG, announced=announced.is_set)
        async with _running(publisher, pace):
            revision = _change(store, "disrupted")
            await asyncio.sleep(0.5)
            assert snapshot.revision != revision, "polled at the short interval while announced"
            # The listener is lost: the wait in progress is the fallback's, so a wake ends it, and
            # from then on the short interval holds.
            announced.clear()
            publisher.wake()
            await _until(lambda: snapshot.revision == revision, limit=1.0)
            again = _change(store, "operational")
            await _until(lambda: snapshot.revision == again, limit=1.0)

    play(scenario())


def test_a_wake_before_the_publisher_runs_is_harmless(
    publisher: DashboardPublisher, store: MemoryDashboardStore, snapshot: DashboardSnapshot
) -> None:
    async def scenario() -> None:
        publisher.wake(5)
        async with _running(publisher, RefreshPace(LONG)):
            assert snapshot.revision == store.revision()

    play(scenario())


def test_the_publisher_stops_promptly_even_in_a_long_wait(
    publisher: DashboardPublisher,
) -> None:
    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(publisher.run(RefreshPace(LONG), stop))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        assert time.monotonic() - started < 0.5

    play(scenario())


@pytest.mark.parametrize(
    ("poll", "fallback", "announced", "interval"),
    [
        (1.0, None, False, 1.0),
        (1.0, None, True, 1.0),
        (1.0, 5.0, False, 1.0),
        (1.0, 5.0, True, 5.0),
    ],
)
def test_the_pace_is_the_poll_unless_changes_are_announced(
    poll: float, fallback: float | None, announced: bool, interval: float
) -> None:
    assert RefreshPace(poll, fallback=fallback, announced=lambda: announced).interval() == interval
