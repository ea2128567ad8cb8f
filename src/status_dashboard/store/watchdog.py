"""A bound on every call the service makes to PostgreSQL, enforced from the client's side.

`statement_timeout` is PostgreSQL's own bound, and the kernel's TCP keepalives and
`tcp_user_timeout` notice a machine that went away; none of them helps against a server that is
there but does not answer: frozen (SIGSTOP, a VM paused, a disk that hangs the process). Its
kernel still acknowledges every packet, so the connection looks alive, and a query waits for an
answer for as long as the freeze lasts.

So every statement, commit and rollback is watched: one thread keeps the deadlines, and a call
still waiting at its deadline has its socket shut down. The driver then sees the connection
closed and raises, SQLAlchemy drops the connection, and the store answers `StoreUnavailable`,
so the request fails with a 503 and a Retry-After instead of hanging.

After a call of a thread timed out, the next new connection asked for by the same thread within
the bound fails at once: it is the pool replacing the connection that just failed (its pre-ping),
and a server that did not answer a moment ago would only make the request wait for the connect
timeout too.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import psycopg

TIMED_OUT = "the database did not answer within {bound:g} s"


class _Watchdog:
    """The deadlines of the calls under way, and the thread that enforces them."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._deadlines: list[tuple[float, int]] = []
        self._watched: dict[int, int] = {}
        """Call number -> the socket it waits on, while it waits."""
        self._fired: set[int] = set()
        self._numbers = itertools.count()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def watch(self, fd: int, bound_s: float) -> Iterator[Callable[[], bool]]:
        """Shut the socket `fd` down if the block is still running after `bound_s` seconds; the
        yielded function tells whether that happened."""
        number = next(self._numbers)
        deadline = time.monotonic() + bound_s
        with self._condition:
            self._start()
            self._watched[number] = fd
            # The thread sleeps until the earliest deadline: it needs waking only when this one
            # comes sooner, which with one bound for all is rare (no thread switch per call).
            sooner = not self._deadlines or deadline < self._deadlines[0][0]
            heapq.heappush(self._deadlines, (deadline, number))
            if sooner:
                self._condition.notify()

        def fired() -> bool:
            with self._condition:
                return number in self._fired

        try:
            yield fired
        finally:
            with self._condition:
                self._watched.pop(number, None)
                self._fired.discard(number)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="db-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                while self._deadlines and (
                    self._deadlines[0][1] not in self._watched or self._deadlines[0][0] <= now
                ):
                    _, number = heapq.heappop(self._deadlines)
                    fd = self._watched.pop(number, None)
                    if fd is not None:
                        self._fired.add(number)
                        _shut_down(fd)
                wait = self._deadlines[0][0] - now if self._deadlines else None
                self._condition.wait(wait)


def _shut_down(fd: int) -> None:
    """End the connection on `fd` under the driver's feet: its wait returns, and it reads the
    end of the connection. The descriptor stays the driver's to close."""
    with contextlib.suppress(OSError):
        duplicate = socket.socket(fileno=os.dup(fd))
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()


_WATCHDOG = _Watchdog()
_recent = threading.local()
"""When a call of this thread last timed out (monotonic seconds)."""


class BoundedCursor(psycopg.Cursor[Any]):
    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> BoundedCursor:
        connection = self.connection
        assert isinstance(connection, BoundedConnection)
        with connection.bounded():
            super().execute(query, params, **kwargs)
        return self

    def executemany(self, query: Any, params_seq: Iterable[Any], **kwargs: Any) -> None:
        connection = self.connection
        assert isinstance(connection, BoundedConnection)
        with connection.bounded():
            super().executemany(query, params_seq, **kwargs)


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose calls fail after `bound_s` seconds without an answer."""

    bound_s: float = 5.0

    @contextlib.contextmanager
    def bounded(self) -> Iterator[None]:
        try:
            fd = self.pgconn.socket
        except psycopg.OperationalError:
            yield  # already closed: the call fails by itself, at once
            return
        with _WATCHDOG.watch(fd, self.bound_s) as fired:
            try:
                yield
            except psycopg.OperationalError:
                if fired():
                    _recent.timed_out_at = time.monotonic()
                    raise psycopg.OperationalError(TIMED_OUT.format(bound=self.bound_s)) from None
                raise

    def commit(self) -> None:
        with self.bounded():
            super().commit()

    def rollback(self) -> None:
        with self.bounded():
            super().rollback()


def connect(bound_s: float, *args: Any, **kwargs: Any) -> BoundedConnection:
    """A new bounded connection; refused at once when a call of this thread timed out within
    `bound_s` (see the module docstring)."""
    timed_out_at: float | None = getattr(_recent, "timed_out_at", None)
    _recent.timed_out_at = None  # refused once: the next request tries the server again
    if timed_out_at is not None and time.monotonic() - timed_out_at < bound_s:
        raise psycopg.OperationalError(TIMED_OUT.format(bound=bound_s))
    connection = BoundedConnection.connect(*args, cursor_factory=BoundedCursor, **kwargs)
    connection.bound_s = bound_s
    return connection
