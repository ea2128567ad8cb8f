"""Runs the ASGI application on an embedded Granian server in this process (docs/adr/0001)."""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
from typing import Any

import uvloop
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server.embed import Server

log = logging.getLogger(__name__)

MAX_REQUEST_HEAD_BYTES = 64 * 1024
"""Request heads past this size are refused by the server before they reach the application."""

MAX_REQUESTS_IN_FLIGHT = 20_000
"""An open live stream is a request in flight for as long as it lasts. Granian's default, the
backlog (1024), would stop every new request, dashboards included, at the 1024th stream."""


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
        log_access=access_log,
        http1_settings=HTTP1Settings(max_buffer_size=MAX_REQUEST_HEAD_BYTES),
        backlog=1024,
        backpressure=MAX_REQUESTS_IN_FLIGHT,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stopper(server, app, sig))
    log.info("event=listening url=http://%s:%s", host, port)
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
