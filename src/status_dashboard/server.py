"""Runs the ASGI application on an embedded Granian server in this process (docs/adr/0001)."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import uvloop
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server.embed import Server

log = logging.getLogger(__name__)

MAX_REQUEST_HEAD_BYTES = 64 * 1024
"""Request heads past this size are refused by the server before they reach the application."""


def run(app: Any, *, host: str, port: int, access_log: bool) -> None:
    """Serve until SIGTERM or SIGINT, then finish in-flight requests and return."""
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
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stopper(server, sig))
    log.info("event=listening url=http://%s:%s", host, port)
    await server.serve()
    log.info("event=stopped")


def _stopper(server: Server, sig: signal.Signals) -> Any:
    def stop() -> None:
        log.info("event=stopping signal=%s", sig.name)
        server.stop()  # type: ignore[no-untyped-call]

    return stop
