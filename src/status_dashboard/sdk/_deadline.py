"""A hard deadline for blocking calls.

httpx's timeouts bound each read, not a whole exchange: a server that sends one byte a second
could hold a blocking call forever. So the sync client runs each call on a helper thread and
waits for it no longer than its deadline. When the deadline passes, the caller gets `Timeout`
at once, and the sockets the call opened are shut down, which wakes the helper from its read
so that it ends too (the sockets are learnt through httpcore's documented `trace` extension).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

T = TypeVar("T")


class Cancellation:
    """What a bounded call checks and waits on: set when its caller has stopped waiting."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep `seconds`, or less if cancelled meanwhile; True when cancelled."""
        return self._event.wait(seconds)

    def trace(self, name: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: remember each socket a connection of this call opens."""
        if not name.endswith((".connect_tcp.complete", ".start_tls.complete")):
            return
        stream = info.get("return_value")
        sock = getattr(stream, "get_extra_info", lambda _: None)("socket")
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            late = self._event.is_set()
        if late:
            _shut(sock)

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # socket.socket.shutdown, not the SSLSocket override: the TLS layer is in use by the reading
    # thread, and only the descriptor's shutdown is needed to wake it.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def run_bounded(
    work: Callable[[Cancellation], T], seconds: float, on_timeout: Callable[[], Exception]
) -> T:
    """`work(cancellation)` on a helper thread; its result or exception, or `on_timeout()`
    raised when it takes longer than `seconds`."""
    cancellation = Cancellation()
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append((True, work(cancellation)))
        except BaseException as exc:  # handed to the caller, which raises it
            outcome.append((False, exc))
        finally:
            done.set()

    helper = threading.Thread(target=run, name="status-dashboard-sdk-call", daemon=True)
    helper.start()
    try:
        finished = done.wait(seconds)
    except BaseException:  # Ctrl-C while waiting: stop the call too
        cancellation.cancel()
        raise
    if not finished:
        cancellation.cancel()
        raise on_timeout()
    succeeded, value = outcome[0]
    if succeeded:
        return value  # type: ignore[no-any-return]
    raise value
