"""`/metrics` on a port of its own (`STATUS_DASHBOARD_METRICS_PORT`): plain HTTP, no token, for a
scraper on a private network; and the only HTTP a `status-dashboard worker` serves.

It runs on threads of its own (the standard library's WSGI server), beside the event loop
rather than on it, so a worker needs no HTTP stack and a scrape never waits behind the
dashboards. Anything but `GET`/`HEAD /metrics` gets a problem+json answer like the main port's.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from status_dashboard.api.metrics import METRICS_PATH
from status_dashboard.api.problems import PROBLEM_JSON, Problem
from status_dashboard.api.tracing import new_trace_id
from status_dashboard.service.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

_STOP_LIMIT_S = 5.0

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class MetricsPort:
    """Serves `metrics` on `host:port` from `start` until `stop`."""

    def __init__(self, metrics: Metrics, host: str, port: int) -> None:
        self._metrics = metrics
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the one asked for, or the one the system chose for 0)."""
        return self._port if self._server is None else int(self._server.server_address[1])

    def start(self) -> None:
        """Bind and serve; raises OSError when the port is taken."""
        server = _Server((self._host, self._port), _family(self._host))
        server.set_app(self._answer)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="metrics-port"
        )
        self._thread.daemon = True
        self._thread.start()
        log.info("event=metrics_listening url=http://%s:%s%s", self._host, self.port, METRICS_PATH)

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join(_STOP_LIMIT_S)
        self._server = self._thread = None

    def _answer(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path != METRICS_PATH:
            return _problem(start_response, Problem(404, f"No resource at '{path[:200]}'"))
        if method not in ("GET", "HEAD"):
            refused = Problem(
                405,
                f"Method {method[:16]} is not allowed here; use GET",
                headers=((b"allow", b"GET, HEAD"),),
            )
            return _problem(start_response, refused)
        body = self._metrics.exposition()
        start_response(
            "200 OK",
            [
                ("Content-Type", CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [b"" if method == "HEAD" else body]


def _problem(start_response: StartResponse, problem: Problem) -> Iterable[bytes]:
    trace_id = new_trace_id()
    body = problem.body(trace_id)
    headers = [
        ("Content-Type", PROBLEM_JSON.decode("ascii")),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("BelGov-Trace-Id", trace_id),
        *((name.decode("latin-1"), value.decode("latin-1")) for name, value in problem.headers),
    ]
    start_response(f"{problem.status} {_reason(problem.status)}", headers)
    return [body]


def _reason(status: int) -> str:
    return {404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")


def _family(host: str) -> socket.AddressFamily:
    """IPv6 for an IPv6 address (`::`, `::1`), IPv4 otherwise."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return socket.AF_INET
    return infos[0][0] if infos else socket.AF_INET


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    """A scrape in progress does not hold the process when it stops."""

    def __init__(self, address: tuple[str, int], family: socket.AddressFamily) -> None:
        self.address_family = family  # read by the base class when it makes the socket
        super().__init__(address, _QuietHandler)


class _QuietHandler(WSGIRequestHandler):
    """No access line per scrape on stderr: Prometheus asks every few seconds."""

    def log_message(self, format: str, *args: Any) -> None:
        return
