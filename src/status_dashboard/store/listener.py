"""The listening side of change notices (`store.notify`): one PostgreSQL session per server
process, in autocommit, that runs `LISTEN status_dashboard_changes` and hands every notice on.

It runs on the server's event loop (psycopg's async API), so it needs no thread of its own and
stops with the loop's other tasks. A session that fails or is lost is opened again after a delay
that doubles from `Backoff.first` up to `Backoff.longest`, forever: notices sent meanwhile are
lost (PostgreSQL keeps none for absent listeners), which is why the publisher's poll stays as
the safety net and why every new session begins with `on_connect` (refresh now: something may
have changed while nobody listened).

A quiet session is probed every `probe_every` seconds by repeating its `LISTEN` (a no-op for
PostgreSQL), so a peer that vanished without closing the connection (a failover, a firewall
dropping idle flows) is noticed within two probes rather than never; repeating `LISTEN` rather
than `SELECT 1` keeps `pg_stat_activity.query` saying what the session is for.

Nothing escapes `run` but cancellation: every failure is a log line (`event=listen_lost`,
`event=listen_connect_failed`) and a retry; `event=listen_connected` says it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo

from status_dashboard.store.engine import parse_url
from status_dashboard.store.notify import CHANNEL, ChangeNotice, decode_notice

log = logging.getLogger(__name__)

APPLICATION_NAME = "status-dashboard-listener"
"""How the listening session shows in `pg_stat_activity` (unless the URL names one)."""

_LISTEN = f"LISTEN {CHANNEL}"
_CONNECTION_DEFAULTS: dict[str, str | int] = {
    "connect_timeout": 5,
    "application_name": APPLICATION_NAME,
    # The kernel's keepalives find a dead peer even when the probe below cannot run.
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


@dataclass(frozen=True, slots=True)
class Backoff:
    """Seconds between attempts to listen again: `first`, doubling up to `longest`."""

    first: float = 0.25
    longest: float = 10.0

    def after(self, delay: float) -> float:
        return min(delay * 2, self.longest)


def connection_parameters(url: str) -> dict[str, str | int]:
    """libpq parameters for the database at the SQLAlchemy `url`, with the listener's defaults
    where the URL says nothing."""
    parsed = parse_url(url)
    parameters: dict[str, str | int] = {
        key: value
        for key, value in parsed.translate_connect_args(username="user", database="dbname").items()
        if value is not None
    }
    for key, value in parsed.query.items():
        parameters[key] = value if isinstance(value, str) else value[-1]
    for key, default in _CONNECTION_DEFAULTS.items():
        parameters.setdefault(key, default)
    return parameters


class ChangeListener:
    """Calls `on_notice` for every change notice, `on_connect` whenever it (re)starts listening
    and `on_lost` when a session it listened on ends; all on the event loop, and all must
    return at once."""

    def __init__(
        self,
        url: str,
        *,
        on_notice: Callable[[ChangeNotice], None],
        on_connect: Callable[[], None],
        on_lost: Callable[[], None] = lambda: None,
        probe_every: float = 5.0,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._conninfo = make_conninfo("", **connection_parameters(url))
        self._password = str(parse_url(url).password or "")
        self._on_notice = on_notice
        self._on_connect = on_connect
        self._on_lost = on_lost
        self._probe_every = probe_every
        self._backoff = backoff
        self.connected = False
        """True while a session listens: notices arrive within milliseconds of their commit."""
        self._listened = False
        """Whether the current attempt got as far as listening (a loss, not a failed connect)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; then close the session and return."""
        delay = self._backoff.first
        while not stop.is_set():
            self._listened = False
            try:
                if not await _unless_stopped(self._session(), stop):
                    return
                raise ConnectionError("the session ended")  # a session ends only by failing
            except Exception as exc:
                if self._listened:
                    delay = self._backoff.first
                self._log_failure(exc, delay)
            if await _stopped_within(stop, delay):
                return
            delay = self._backoff.after(delay)

    async def _session(self) -> None:
        connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        async with connection:
            await connection.execute(_LISTEN)
            self._listened = self.connected = True
            log.info("event=listen_connected channel=%s", CHANNEL)
            try:
                self._on_connect()
                while True:
                    async for notify in connection.notifies(timeout=self._probe_every):
                        self._on_notice(decode_notice(notify.payload))
                    await asyncio.wait_for(connection.execute(_LISTEN), self._probe_every)
            finally:
                self.connected = False
                self._on_lost()

    def _log_failure(self, exc: Exception, retry_in: float) -> None:
        event = "listen_lost" if self._listened else "listen_connect_failed"
        log.warning(
            'event=%s channel=%s error=%s reason="%s" retry_in=%.2f',
            event,
            CHANNEL,
            type(exc).__name__,
            self._reason(exc),
            retry_in,
        )

    def _reason(self, exc: Exception) -> str:
        """The first line of the driver's message, quotes and password out of it."""
        lines = str(exc).strip().splitlines()
        reason = lines[0].strip() if lines else type(exc).__name__
        if self._password:
            reason = reason.replace(self._password, "***")
        return reason.replace('"', "'")[:200]


async def _unless_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run `work` until it ends (True; its exception propagates) or `stop` is set first (False:
    `work` is cancelled, and its cleanup awaited)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        stopping.cancel()
    if task.done():
        task.result()
        return True
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return False


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()
