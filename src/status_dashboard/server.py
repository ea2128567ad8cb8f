"""Runs the ASGI application on an embedded Granian server in this process (docs/adr/0001), or
several such processes on one port (`serve --workers N`).

Several processes are N copies of the one-process server, started with the `spawn` method (a
fresh interpreter each: nothing of the parent's database pool or threads is inherited) and
supervised here. They share the port because the embedded server binds with `SO_REUSEPORT`, as
Granian's own workers do on Linux, and the kernel spreads new connections over them. Granian's
multi-process mode is not used: its workers stop only once every open answer has finished, and
it offers no hook at the signal, so an open live stream, which never finishes by itself, would
hold a restart until the browsers leave; here each process closes its streams first (`_stopper`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

import uvloop
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.embed import Server

from status_dashboard.access_log import ACCESS_FORMAT, access_log_config

log = logging.getLogger(__name__)

MAX_REQUEST_HEAD_BYTES = 64 * 1024
"""Granian's read buffer: a request line past it is refused (414) before it reaches the
application. One header line is refused only past about 400 KiB (Granian's own default), as
tests/security/test_held_oversized.py records."""

MAX_REQUESTS_IN_FLIGHT = 20_000
"""An open live stream is a request in flight for as long as it lasts. Granian's default, the
backlog (1024), would stop every new request, dashboards included, at the 1024th stream."""

REPLICA_STOP_LIMIT_S = 30.0
"""How long `run_replicas` waits for its processes to stop before it kills what is left."""


def run(app: Any, *, host: str, port: int, access_log: bool) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight requests and return."""
    _raise_open_files_limit()
    uvloop.run(_serve(app, host=host, port=port, access_log=access_log))


async def _serve(app: Any, *, host: str, port: int, access_log: bool) -> None:
    server = Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        # Plain-text HTTP/2 (h2c) is not something partners use; serving HTTP/1.1 only spares
        # every new connection the protocol sniffing.
        http=HTTPModes.http1,
        log_enabled=access_log,
        log_level=LogLevels.error,
        log_dictconfig=access_log_config(),
        log_access=access_log,
        log_access_format=ACCESS_FORMAT,
        http1_settings=HTTP1Settings(max_buffer_size=MAX_REQUEST_HEAD_BYTES),
        backlog=1024,
        backpressure=MAX_REQUESTS_IN_FLIGHT,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stopper(server, app, sig))
    log.info("event=listening url=http://%s:%s pid=%s", host, port, os.getpid())
    await server.serve()
    log.info("event=stopped")


def _raise_open_files_limit() -> None:
    """Each open connection holds a file descriptor, and service managers often start processes
    with a soft limit of 1024: raise it to the hard limit, which the operator controls."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_REQUESTS_IN_FLIGHT + 1024 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            log.warning("event=open_files_limit_kept limit=%s", soft)


def _stopper(server: Server, app: Any, sig: signal.Signals) -> Any:
    def stop() -> None:
        log.info("event=stopping signal=%s", sig.name)
        # Granian lets every open answer finish before it stops (and runs the lifespan shutdown
        # only after that); a live stream never finishes by itself, so it is ended first.
        close_streams = getattr(app, "close_streams", None)
        if close_streams is not None:
            close_streams()
        server.stop()  # type: ignore[no-untyped-call]

    return stop


def run_replicas(
    serve_one: Callable[[int], None], count: int, *, stop_limit: float = REPLICA_STOP_LIMIT_S
) -> int:
    """Run `serve_one(0)` to `serve_one(count - 1)`, each in a process of its own serving on the
    same port, until SIGTERM or SIGINT, or until one of them exits by itself; then stop them all.
    Returns the exit status: 0 when asked to stop and every process stopped cleanly."""
    context = multiprocessing.get_context("spawn")
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    received: list[signal.Signals] = []

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum))
        with contextlib.suppress(OSError):  # the pipe is full: a wake is pending anyway
            os.write(wake_write, b"\0")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    replicas: list[BaseProcess] = []
    try:
        for index in range(count):
            replica = context.Process(target=serve_one, args=(index,), name=f"replica-{index + 1}")
            replica.start()
            replicas.append(replica)
            log.info("event=replica_started replica=%s pid=%s", index + 1, replica.pid)
        wait([wake_read, *(replica.sentinel for replica in replicas)])
        failed = _report_exits(replicas) if not received else False
        if received:
            log.info("event=stopping signal=%s replicas=%s", received[0].name, count)
        return 1 if _stop_replicas(replicas, stop_limit) or failed else 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_read)
        os.close(wake_write)


def _report_exits(replicas: list[BaseProcess]) -> bool:
    """Log the processes that exited unasked; True if one failed. The others are stopped too,
    and the service manager decides whether to start the whole again."""
    failed = False
    for replica in replicas:
        if replica.is_alive():
            continue
        failed = failed or replica.exitcode != 0
        log.log(
            logging.INFO if replica.exitcode == 0 else logging.ERROR,
            "event=replica_exited replica=%s pid=%s code=%s stopping_the_others=yes",
            replica.name.removeprefix("replica-"),
            replica.pid,
            replica.exitcode,
        )
    return failed


def _stop_replicas(replicas: list[BaseProcess], limit: float) -> bool:
    """SIGTERM to every live process, then wait up to `limit` seconds for them all, and kill
    what is left. True if any process stopped uncleanly (killed, or a non-zero exit)."""
    for replica in replicas:
        if replica.is_alive() and replica.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(replica.pid, signal.SIGTERM)
    deadline = time.monotonic() + limit
    unclean = False
    for replica in replicas:
        replica.join(max(0.0, deadline - time.monotonic()))
        if replica.is_alive():
            log.error("event=replica_killed replica=%s pid=%s", replica.name, replica.pid)
            replica.kill()
            replica.join()
            unclean = True
        elif replica.exitcode != 0:
            unclean = True
    log.info(
        "event=replicas_stopped replicas=%s clean=%s", len(replicas), "no" if unclean else "yes"
    )
    return unclean
