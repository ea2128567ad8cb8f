"""Monitored services that attack the monitor, on 127.0.0.1: for `make bench` (bench_hostile.py)
and the security tests (tests/security), which import this module.

    /catastrophic   "a" * CATASTROPHIC_AS + "!": a backtracking engine takes ~2^n steps
                    to find that `^(a+)+$` does not match it
    /huge           HUGE_BYTES of "x", streamed without a Content-Length until the client leaves
    /huge-declared  the same with its Content-Length announced
    /deep           a JSON array nested DEEP_LEVELS deep
    /drip           a Content-Length of 64 and one byte a second
    /metadata       a cloud metadata service's credentials document (METADATA_SECRET inside)
    /redirect?to=U  a 302 to U
    /stats          `hits` and `sent` so far, as JSON (for the bench, which runs this module as
                    a process of its own: `python scripts/hostile_targets.py --port N`)

Each path counts its requests and the body bytes it managed to send (`hits`, `sent`), so a test
can tell whether a refused target was reached at all and how much of a huge body was taken; the
headers of its last request are in `headers`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CATASTROPHIC_PATTERN = "^(a+)+$"
CATASTROPHIC_AS = 25
HUGE_BYTES = 50 * 1024 * 1024
DEEP_LEVELS = 100_000
METADATA_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105 (a fake, to be spotted)
_CHUNK = 64 * 1024


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, catastrophic_as: int, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.catastrophic_as = catastrophic_as
        self.stopping = threading.Event()
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, path: str, hits: int = 0, sent: int = 0) -> None:
        with self.lock:
            self.hits[path] += hits
            self.sent[path] += sent


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        self.server.count(path, hits=1)
        self.server.headers[path] = dict(self.headers.items())
        self.close_connection = True
        if path == "/catastrophic":
            self._whole(b"a" * self.server.catastrophic_as + b"!", "text/plain")
        elif path == "/huge":
            self._stream(declared=False)
        elif path == "/huge-declared":
            self._stream(declared=True)
        elif path == "/deep":
            self._whole(b"[" * DEEP_LEVELS + b"]" * DEEP_LEVELS, "application/json")
        elif path == "/drip":
            self._drip()
        elif path.startswith("/metadata"):
            document = {"Code": "Success", "AccessKeyId": "AKIAEXAMPLE"}
            document["SecretAccessKey"] = METADATA_SECRET
            self._whole(json.dumps(document).encode(), "application/json")
        elif path == "/stats":
            with self.server.lock:
                stats = {"hits": dict(self.server.hits), "sent": dict(self.server.sent)}
            self._whole(json.dumps(stats).encode(), "application/json")
        elif path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._whole(b"not here", "text/plain", status=404)

    def _whole(self, body: bytes, kind: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with suppress(OSError):
            self.wfile.write(body)
            self.server.count(self.path.split("?")[0], sent=len(body))

    def _stream(self, *, declared: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if declared:
            self.send_header("Content-Length", str(HUGE_BYTES))
        self.end_headers()
        chunk = b"x" * _CHUNK
        with suppress(OSError):  # the client hung up: the point of the exercise
            for _ in range(HUGE_BYTES // _CHUNK):
                if self.server.stopping.is_set():
                    return
                self.wfile.write(chunk)
                self.server.count(self.path, sent=len(chunk))

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "64")
        self.end_headers()
        with suppress(OSError):
            for _ in range(64):
                self.wfile.write(b"a")
                self.wfile.flush()
                self.server.count(self.path, sent=1)
                if self.server.stopping.wait(1.0):
                    return


@contextmanager
def hostile_server(catastrophic_as: int = CATASTROPHIC_AS) -> Iterator[HostileServer]:
    """The server, serving in a daemon thread until the block ends."""
    server = HostileServer(catastrophic_as)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the hostile targets until SIGTERM.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--catastrophic-as", type=int, default=CATASTROPHIC_AS)
    args = parser.parse_args(argv)
    server = HostileServer(args.catastrophic_as, args.port)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    finally:
        server.stopping.set()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
