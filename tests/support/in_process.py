"""The service's ASGI application on Granian, in a thread of the test process, on a free
loopback port: a real HTTP server whose runtime the test can reach into (its stores, its
engine's events), which a subprocess would hide."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from granian.constants import HTTPModes, Interfaces
from granian.server.embed import Server

from support.server import free_port


@contextmanager
def serving_in_thread(
    app: Any, *, ready_path: str = "/health", ready_status: int | None = None, limit_s: float = 15.0
) -> Iterator[str]:
    """Serve `app` until the block ends, then stop it (lifespan shutdown included). Ready once
    `ready_path` answers, with `ready_status` when one is given."""
    port = free_port()
    server = Server(
        app, address="127.0.0.1", port=port, interface=Interfaces.ASGI, http=HTTPModes.http1
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url + ready_path, ready_status, limit_s)
        yield url
    finally:
        loop.call_soon_threadsafe(server.stop)  # type: ignore[no-untyped-call]
        thread.join(limit_s)
        assert not thread.is_alive(), "the server did not stop"
        loop.close()


def _wait_until_ready(url: str, status: int | None, limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=1.0)
            if status is None or answer.status_code == status:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"{url} did not answer within {limit_s} s")
