"""Tells the open live streams (`.../stream`) that their dashboard changed, or that it is time for
a heartbeat, or that the server stops.

The snapshot is replaced on a worker thread (`DashboardPublisher.refresh`); streams wait on the
event loop. `notify` hops from that thread to the loop once per replacement
(`loop.call_soon_threadsafe`), and on the loop one pass wakes the streams of every environment
whose ETag moved. Heartbeats come from one timer for the whole process. So a waiting stream
costs a future and nothing per tick: no task per connection, no polling, and thousands of open
streams cost work only when there is something to send.

A wakeup carries no data. A woken stream reads the current state (the snapshot, `beats`,
`closed`) and compares it with what it sent, which is also what it does before it waits again:
a wakeup that comes while a stream is busy sending is never needed, so it is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from status_dashboard.service.snapshot import DashboardSnapshot, RenderedDashboard

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Subscriber:
    """One open stream's place in the broadcaster: `wait` returns when it should look again."""

    __slots__ = ("_loop", "_waiter", "topic")

    def __init__(self, loop: asyncio.AbstractEventLoop, topic: str | None) -> None:
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None
        self.topic = topic
        """The environment key of the path; None is the default environment."""

    def wake(self) -> None:
        """On the loop: end the current `wait`, if any (a stream that is sending looks anyway)."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        # A future of its own, rather than one shared by all: cancelling one stream's task
        # cancels the future it awaits, which must never end the wait of the others.
        waiter = self._loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None


class DashboardBroadcaster:
    """Wakes the subscribers of an environment when its dashboard's ETag changes, every
    subscriber every `heartbeat` seconds, and every subscriber once more when it closes."""

    def __init__(
        self,
        snapshot: DashboardSnapshot,
        *,
        heartbeat: float,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._snapshot = snapshot
        self._heartbeat = heartbeat
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._topics: dict[str | None, set[Subscriber]] = {}
        self._etags: dict[str | None, bytes | None] = {}
        """Per topic, the ETag its subscribers were last woken for."""
        self._pending = False
        self._ticker: asyncio.Task[None] | None = None
        self.beats = 0
        """Heartbeats since start; a stream sends one when this moved since its last."""
        self.beat_at = clock()
        """When the latest heartbeat was due."""
        self.closed = False

    @property
    def subscribers(self) -> int:
        return sum(len(members) for members in self._topics.values())

    def dashboard(self, topic: str | None) -> RenderedDashboard | None:
        """What `topic`'s subscribers should have now."""
        return self._snapshot.lookup(topic)

    def start(self) -> None:
        """On the event loop the streams run on: bind to it and start the heartbeat."""
        self._loop = asyncio.get_running_loop()
        if self._ticker is None and not self.closed:
            self._ticker = self._loop.create_task(self._beat(), name="sse-heartbeat")

    def notify(self) -> None:
        """From any thread, after the snapshot was replaced: look for changes on the loop.

        Replacements that come faster than the loop runs share one look; the flag is cleared
        before the look reads the snapshot, so a replacement it misses schedules another."""
        loop = self._loop
        if loop is None or self.closed or self._pending:
            return
        self._pending = True
        try:
            loop.call_soon_threadsafe(self._look)
        except RuntimeError:  # the loop is closed: the process is stopping, nobody listens
            self._pending = False

    def close(self) -> None:
        """On the loop: every stream ends (and new ones are refused); idempotent."""
        if self.closed:
            return
        self.closed = True
        if self._ticker is not None:
            self._ticker.cancel()
        count = self.subscribers
        self._wake_all()
        log.info("event=streams_closed streams=%s", count)

    @contextlib.contextmanager
    def subscribe(self, topic: str | None) -> Iterator[Subscriber]:
        """A subscriber to `topic`'s changes for the life of the `with` block; on the loop."""
        loop = self._loop or asyncio.get_running_loop()
        subscriber = Subscriber(loop, topic)
        members = self._topics.get(topic)
        if members is None:
            members = self._topics[topic] = set()
            self._etags[topic] = self._etag(topic)
        members.add(subscriber)
        try:
            yield subscriber
        finally:
            members.discard(subscriber)
            if not members and self._topics.get(topic) is members:
                del self._topics[topic]
                del self._etags[topic]

    def _etag(self, topic: str | None) -> bytes | None:
        dashboard = self.dashboard(topic)
        return None if dashboard is None else dashboard.identity.etag

    def _look(self) -> None:
        self._pending = False
        for topic, members in self._topics.items():
            etag = self._etag(topic)
            if etag != self._etags[topic]:
                self._etags[topic] = etag
                for subscriber in members:
                    subscriber.wake()

    def _wake_all(self) -> None:
        for members in self._topics.values():
            for subscriber in members:
                subscriber.wake()

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            # Paced from the first beat, not from the end of the last wake, so the interval
            # clients count on does not stretch with the number of streams.
            # After a stall, one beat at once and the pace from there, rather than a burst.
            due = max(due + self._heartbeat, loop.time())
            await asyncio.sleep(due - loop.time())
            self.beats += 1
            self.beat_at = self._clock()
            self._wake_all()
