"""Real servers on 127.0.0.1 for the probe tests, each in a daemon thread.

HttpServer   answers each path as the test set it (status, body, headers, delay), and follows
             `/redirect/N` through N redirects; with an SSL context it speaks HTTPS
TlsServer    completes a TLS handshake with a given certificate, then waits for the close
listening()  a TCP port that accepts connections; refused_port() one that refuses them

Slow answers wait on an event that stopping the server sets, so no test leaves a thread asleep.
"""

from __future__ import annotations

import asyncio
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from status_dashboard.domain.checks import CheckResult
from status_dashboard.probes import Probe

NOW = datetime.now(UTC)
"""Certificates are issued around the real clock, so the tests judge them at the real time."""
RUN_LIMIT_S = 20.0

IDENTITIES = ("localhost", "127.0.0.1")
LIFETIMES = {
    "valid": (NOW - timedelta(days=1), NOW + timedelta(days=365, hours=1)),
    # An hour past the whole days, so the day count does not depend on when the test runs.
    "expiring": (NOW - timedelta(days=1), NOW + timedelta(days=3, hours=1)),
    "expired": (NOW - timedelta(days=30), NOW - timedelta(days=2, hours=1)),
}
"""(not before, not after) of the test certificates, by name."""


def run(probe: Probe, now: datetime = NOW) -> CheckResult:
    """One run, bounded so that a probe that ignores its own timeout fails the test instead of
    hanging it."""
    return asyncio.run(asyncio.wait_for(probe.run(now), RUN_LIMIT_S))


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"OK"
    delay_s: float = 0.0
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})


class _Handler(BaseHTTPRequestHandler):
    server: HttpServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        # The handshake happens here, in the request's own thread, so a client that refuses
        # the certificate cannot stall the accept loop.
        context = self.server.ssl_context
        if context is not None:
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        self.server.requests[path] = (self.command, dict(self.headers.items()))
        answer = self.server.answer_for(path)
        self.server.release.wait(answer.delay_s)
        with suppress(OSError):  # the client may have given up already
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests assert on results, not on the server's log."""


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # fifty probes at once must not be refused at the door

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ssl_context = ssl_context
        self.release = threading.Event()
        self._answers: dict[str, Answer] = {}
        self.requests: dict[str, tuple[str, dict[str, str]]] = {}
        """The last request to each path: method and headers."""

    @property
    def base_url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.server_address[1]}"

    def answer(self, path: str, answer: Answer) -> str:
        """Answer `path` so from now on; returns its full URL."""
        self._answers[path] = answer
        return self.base_url + path

    def answer_for(self, path: str) -> Answer:
        if path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            if left > 0:
                return Answer(302, b"", headers={"Location": f"/redirect/{left - 1}"})
            return Answer(200, b"arrived")
        return self._answers.get(path, Answer(404, b"no such page"))

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: refused handshakes and dropped clients are what some tests are about."""


class _TlsHandler(socketserver.BaseRequestHandler):
    server: TlsServer

    def handle(self) -> None:
        with suppress(OSError):
            tls = self.server.ssl_context.wrap_socket(self.request, server_side=True)
            tls.settimeout(5)
            tls.recv(1)  # until the client closes


class TlsServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _TlsHandler)
        self.ssl_context = ssl_context

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet, as HttpServer."""


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield
    finally:
        release = getattr(server, "release", None)
        if release is not None:
            release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def listening() -> Iterator[int]:
    """A port the kernel accepts connections on (into the backlog; nobody reads them)."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:
        yield listener.getsockname()[1]


@contextmanager
def refused_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused, and nothing else takes it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    """A port whose connections never complete: its accept queue is full, so the kernel drops
    further SYNs and the client waits, as with a firewall that drops packets."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener:
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(4):
                filler = socket.socket()
                filler.setblocking(False)
                with suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
                fillers.append(filler)
            yield port
        finally:
            for filler in fillers:
                filler.close()
