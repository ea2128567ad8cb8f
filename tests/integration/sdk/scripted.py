"""A real HTTP server on 127.0.0.1 that answers from a script, for the SDK's fault tests.

Each request takes the next `Reply` of the script (the last one repeats), so a test can say
"two 503s, then a dashboard". A reply can be slow, trickle its head or its body a byte at a
time, or cut its body short; every request is recorded with its headers and when it came.
Waits are on an event that stopping the server sets, so no test leaves a thread asleep.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON = {"Content-Type": "application/json"}


def document(*codes: int, description: str | None = None) -> dict[str, Any]:
    """A v1 document of one group whose items have these status codes, ids a, b, c, ..."""
    items: list[dict[str, Any]] = []
    for n, code in enumerate(codes):
        item: dict[str, Any] = {
            "id": chr(ord("a") + n) * 32,
            "order": n + 1,
            "status_code": code,
            "last_updated": "2025-05-09T08:55:00+02:00",
            "name": f"Service {chr(ord('A') + n)}",
        }
        if code != 1 and description:
            item["description"] = description
        items.append(item)
    worst = 2 if 2 in codes else 3 if 3 in codes or not codes else 1
    return {
        "groups": [
            {"id": "AXAQooF-9v9nOdhekPYm", "name": "1. IAM", "items": items, "status_code": worst}
        ]
    }


def body_of(*codes: int, description: str | None = None) -> bytes:
    return json.dumps(document(*codes, description=description)).encode()


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=lambda: dict(JSON))
    delay_s: float = 0.0
    """Silence before the status line."""
    head_trickle_s: float | None = None
    """Send the status line and headers one byte at a time, this far apart."""
    body_trickle_s: float | None = None
    """Send the body one byte at a time, this far apart."""
    cut_after: int | None = None
    """Announce the whole body, send only this many bytes of it, then close."""


def dashboard_reply(
    *codes: int, etag: str | None = None, max_age: int | None = 15, **fields: Any
) -> Reply:
    headers = dict(JSON)
    if etag is not None:
        headers["ETag"] = etag
    if max_age is not None:
        headers["Cache-Control"] = f"public, max-age={max_age}"
    return Reply(200, body_of(*codes), headers, **fields)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class _Handler(BaseHTTPRequestHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        reply = self.server.next_reply(
            Seen(self.path, dict(self.headers.items()), time.monotonic())
        )
        with suppress(OSError):  # the client may have given up already
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        if self.server.release.wait(reply.delay_s):
            return
        head = [f"HTTP/1.1 {reply.status} Scripted"]
        head += [f"{name}: {value}" for name, value in reply.headers.items()]
        if reply.status != 304:
            head.append(f"Content-Length: {len(reply.body)}")
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        self._write(raw_head, reply.head_trickle_s)
        body = reply.body if reply.cut_after is None else reply.body[: reply.cut_after]
        if reply.status != 304:
            self._write(body, reply.body_trickle_s)
        if reply.cut_after is not None:
            self.close_connection = True

    def _write(self, data: bytes, pause: float | None) -> None:
        if pause is None:
            self.wfile.write(data)
            self.wfile.flush()
            return
        for n in range(len(data)):
            if self.server.release.wait(pause):
                return
            self.wfile.write(data[n : n + 1])
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests assert on what the client did."""


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, replies: list[Reply]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._replies = list(replies)
        self.requests: list[Seen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: clients that give up mid-answer are what these tests are about."""


@contextmanager
def scripted(*replies: Reply) -> Iterator[ScriptedServer]:
    server = ScriptedServer(list(replies))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
