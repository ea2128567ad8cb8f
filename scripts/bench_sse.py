"""The live streams under load: 5,000 open SSE connections to one `status-dashboard serve`.

Starts `status-dashboard serve --demo --no-monitor` on a fresh SQLite database (no monitor, so the
bench's own write is the only change), opens 5,000 streams of `/api/v1/dashboard/stream` over
loopback with raw asyncio sockets, checks that each got the dashboard, holds them while the
heartbeats go out, makes one change through the admin API and times its arrival on every
stream, then stops the server with all streams open. Prints a Markdown block and writes it into
docs/performance.md, section "Live updates (issue 5)". Runs in well under two minutes.

`run()` measures, writes the block (unless told not to) and returns it; `main()` is the command.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import bench_procs as procs
from bench_procs import DOC, SERVICE_BIN, BenchSetupError

SECTION = "## Live updates (issue 5)"
BEGIN, END = "<!-- bench-sse:begin -->", "<!-- bench-sse:end -->"

CONNECTIONS = 5_000
OPEN_AT_ONCE = 250
"""Connections opened together: more would overflow the server's listen backlog (1024), and a
dropped SYN costs a one-second retransmit that would be measured as the server's."""
HEARTBEAT_S = 5.0
HOLD_S = 10.0
"""How long the streams are held idle (two heartbeats) before the change."""
PHASE_TIMEOUT_S = 30.0
TARGET_S = 1.0
PATH = "/api/v1/dashboard/stream"
AGENT = "benchClient/1.0 sse/1.0"

_INTRO = """\
`scripts/bench_sse.py` opens 5,000 server-sent event streams (`GET /api/v1/dashboard/stream`)
to one `status-dashboard serve --demo --no-monitor` on SQLite, over loopback, from one asyncio
process with raw sockets; the streams are opened 250 at a time. It checks that every stream got
the dashboard, holds them for 10 s (heartbeats every 5 s), then sets one PROD item Disrupted
through the admin API and measures, on every stream, the time from sending that write to having
received the whole new `dashboard` event (the bench's own reading is part of that time). That
time includes the write itself (store, decision, rendering the dashboards) up to the moment the
snapshot changes, so the first stream's delay is roughly the write's share and the spread from
first to last the fan-out's. Last, it stops the server (SIGTERM) with all streams open.

Target (issue 5): one process holds at least 5,000 open streams, and a change reaches them
within 1 s.
"""


_DASHBOARD = b"event: dashboard\nid: "


class Stream(asyncio.Protocol):
    """One client connection and what it has seen. A protocol rather than a StreamReader: the
    bytes are scanned where they arrive, with no await per chunk, so 5,000 streams cost the
    bench little of the CPU it shares with the server."""

    def __init__(self, request: bytes, loop: asyncio.AbstractEventLoop) -> None:
        self._request = request
        self._buffer = bytearray()
        self._scanned = 0
        self._headed = False
        self.transport: asyncio.Transport | None = None
        self.first: asyncio.Future[None] = loop.create_future()
        self.gone: asyncio.Future[None] = loop.create_future()
        self.first_id: bytes | None = None
        self.changed_at: float | None = None
        self.heartbeats = 0
        self.ended_cleanly = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's do not subclass it
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self._buffer += data
        if not self._headed:
            head_end = self._buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = bytes(self._buffer[:head_end]).lower()
            if b" 200 " not in head.split(b"\r\n", 1)[0] or b"chunked" not in head:
                self._fail(BenchSetupError(f"the stream answered {head[:80]!r}"))
                return
            self._headed = True
            self._scanned = head_end + 4
        self._scan(now)
        if self._buffer.endswith(b"\r\n0\r\n\r\n"):  # the last chunk: the server ended it
            self.ended_cleanly = True
            self._done()

    def _scan(self, now: float) -> None:
        # Each event ends with a blank line, and the JSON in it has no line break, so an
        # event's fields are what lies between two "\n\n"; the chunk framing around it
        # ("<size>\r\n" ... "\r\n") never holds one.
        while True:
            end = self._buffer.find(b"\n\n", self._scanned)
            if end < 0:
                break
            block = self._buffer.find(b"event: ", self._scanned, end)
            if block >= 0 and self._buffer.startswith(_DASHBOARD, block):
                id_start = block + len(_DASHBOARD)
                event_id = bytes(self._buffer[id_start : self._buffer.find(b"\n", id_start)])
                if self.first_id is None:
                    self.first_id = event_id
                    if not self.first.done():
                        self.first.set_result(None)
                elif event_id != self.first_id and self.changed_at is None:
                    self.changed_at = now
            elif block >= 0 and self._buffer.startswith(b"event: heartbeat", block):
                self.heartbeats += 1
            self._scanned = end + 2
        if self._scanned > 1 << 16:
            del self._buffer[: self._scanned]
            self._scanned = 0

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.first.done():
            self._fail(BenchSetupError("a stream ended before its first dashboard"))
        self._done()

    def _fail(self, exc: Exception) -> None:
        if not self.first.done():
            self.first.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def _done(self) -> None:
        if not self.gone.done():
            self.gone.set_result(None)


@dataclass
class Figures:
    connections: int = 0
    connect_s: float = 0.0
    rss_idle_kb: int = 0
    rss_held_kb: int = 0
    rss_peak_kb: int = 0
    cpu_connect_s: float = 0.0
    cpu_hold_s: float = 0.0
    cpu_change_s: float = 0.0
    heartbeats_seen: int = 0
    get_while_held_ms: float = 0.0
    delays_s: list[float] = field(default_factory=list)
    missing: int = 0
    change_window_s: float = 0.0
    write_s: float = 0.0
    busy_other_change: float = 0.0
    bench_cpu_change_s: float = 0.0
    stop_s: float = 0.0
    ended_cleanly: int = 0
    exit_code: int | None = None


# --- the client side -------------------------------------------------------------------------


def _request(port: int) -> bytes:
    return (
        f"GET {PATH} HTTP/1.1\r\nHost: {procs.HOST}:{port}\r\nUser-Agent: {AGENT}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode("ascii")


async def _open(port: int) -> Stream:
    loop = asyncio.get_running_loop()
    request = _request(port)
    _, stream = await loop.create_connection(lambda: Stream(request, loop), procs.HOST, port)
    return stream


async def _open_all(port: int, count: int) -> list[Stream]:
    streams: list[Stream] = []
    for start in range(0, count, OPEN_AT_ONCE):
        batch = await asyncio.gather(
            *(_open(port) for _ in range(min(OPEN_AT_ONCE, count - start)))
        )
        await asyncio.gather(*(stream.first for stream in batch))
        streams.extend(batch)
    return streams


# --- the server side -------------------------------------------------------------------------


def _admin_token(log: Path) -> str:
    found = re.search(r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)", log.read_text())
    if found is None:
        raise BenchSetupError("the demo server printed no admin token")
    return found.group(1)


def _first_prod_item(port: int) -> str:
    answer = procs.get(port, "/api/v1/dashboard/prod", {"User-Agent": AGENT})
    item_id: str = json.loads(answer.body)["groups"][0]["items"][0]["id"]
    return item_id


def _disrupt(port: int, token: str, item_id: str) -> tuple[float, float]:
    """Send the change; the monotonic times just before it was sent and when it was answered."""
    body = json.dumps({"status_code": 2, "description": "Benchmark change"})
    conn = http.client.HTTPConnection(procs.HOST, port, timeout=10)
    try:
        sent = time.monotonic()
        conn.request(
            "PATCH",
            f"/api/admin/v1/dashboards/prod/items/{item_id}",
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise BenchSetupError(f"the admin write answered {answer.status}")
        return sent, time.monotonic()
    finally:
        conn.close()


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed_get(port: int) -> float:
    started = time.monotonic()
    answer = procs.get(port, "/api/v1/dashboard", {"User-Agent": AGENT})
    if answer.status != 200:
        raise BenchSetupError(f"GET /api/v1/dashboard answered {answer.status} with streams open")
    return (time.monotonic() - started) * 1000


async def _measure(port: int, proc: subprocess.Popen[bytes], token: str, figures: Figures) -> None:
    pid = proc.pid
    item_id = _first_prod_item(port)
    figures.rss_idle_kb = procs.status_kb(pid, "VmRSS")
    cpu = procs.cpu_s(pid)
    started = time.monotonic()
    streams = await asyncio.wait_for(_open_all(port, CONNECTIONS), PHASE_TIMEOUT_S * 2)
    figures.connect_s = time.monotonic() - started
    figures.connections = sum(1 for s in streams if s.first_id is not None)
    figures.cpu_connect_s, cpu = procs.cpu_s(pid) - cpu, procs.cpu_s(pid)

    await asyncio.sleep(HOLD_S)
    figures.cpu_hold_s = procs.cpu_s(pid) - cpu
    figures.rss_held_kb = procs.status_kb(pid, "VmRSS")
    figures.heartbeats_seen = min(s.heartbeats for s in streams)
    figures.get_while_held_ms = await asyncio.to_thread(_timed_get, port)

    cpu, busy, own = procs.cpu_s(pid), procs.system_busy_s(), _own_cpu_s()
    sent, answered = await asyncio.to_thread(_disrupt, port, token, item_id)
    figures.write_s = answered - sent
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while any(s.changed_at is None for s in streams) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    window = time.monotonic() - sent
    server_cpu = procs.cpu_s(pid) - cpu
    figures.cpu_change_s = server_cpu
    figures.change_window_s = window
    figures.bench_cpu_change_s = _own_cpu_s() - own
    figures.busy_other_change = max(
        0.0, procs.system_busy_s() - busy - server_cpu - figures.bench_cpu_change_s
    )
    figures.delays_s = sorted(s.changed_at - sent for s in streams if s.changed_at is not None)
    figures.missing = len(streams) - len(figures.delays_s)
    figures.rss_peak_kb = procs.status_kb(pid, "VmHWM")

    # Stopping with every stream open: the server must end them, not wait for the clients.
    asked = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(asyncio.gather(*(stream.gone for stream in streams)), PHASE_TIMEOUT_S)
    while proc.poll() is None and time.monotonic() - asked < PHASE_TIMEOUT_S:
        await asyncio.sleep(0.01)
    figures.exit_code = proc.returncode
    figures.stop_s = time.monotonic() - asked
    figures.ended_cleanly = sum(1 for s in streams if s.ended_cleanly)
    for stream in streams:
        if stream.transport is not None:
            stream.transport.close()


def measure() -> Figures:
    procs.raise_open_files_limit(2 * CONNECTIONS + 1024)  # the server inherits the raised limit
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="bench-sse-") as directory:
        tmp = Path(directory)
        port = procs.free_port()
        log = tmp / "server.log"
        command = [str(SERVICE_BIN), "serve", "--demo", "--no-monitor", "--host", procs.HOST]
        command += ["--port", str(port), "--database", f"sqlite:///{tmp / 'bench.db'}"]
        os.environ["STATUS_DASHBOARD_SSE_HEARTBEAT"] = str(HEARTBEAT_S)
        # Every stream comes from this one address: the cap per client would refuse all but 20.
        os.environ["STATUS_DASHBOARD_MAX_STREAMS_PER_CLIENT"] = str(CONNECTIONS)
        try:
            with procs.running(command, log) as (proc, started):
                procs.wait_for_200(port, "/health", proc, started)
                with procs.loop_runner() as runner:
                    runner.run(_measure(port, proc, _admin_token(log), figures))
        except (BenchSetupError, OSError, TimeoutError) as exc:
            tail = procs.log_tail(log)
            raise BenchSetupError(f"{exc}\n{tail}") from exc
        finally:
            os.environ.pop("STATUS_DASHBOARD_SSE_HEARTBEAT", None)
            os.environ.pop("STATUS_DASHBOARD_MAX_STREAMS_PER_CLIENT", None)
    return figures


# --- the report ------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def _cores(cpu_s: float, window_s: float) -> str:
    return f"{cpu_s / window_s:.0%}" if window_s > 0 else "n/a"


def render(figures: Figures) -> str:
    delays = figures.delays_s
    p50, p99 = _percentile(delays, 0.5), _percentile(delays, 0.99)
    slowest = delays[-1] if delays else float("nan")
    first = delays[0] if delays else float("nan")
    held = figures.rss_held_kb - figures.rss_idle_kb
    per_stream = held / figures.connections if figures.connections else 0.0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    all_got = figures.missing == 0 and figures.connections == CONNECTIONS
    passed = all_got and slowest < TARGET_S
    lines = [
        f"Measured {stamp} on loopback; machine: {len(os.sched_getaffinity(0))} CPUs, "
        f"Python {sys.version.split()[0]}; the bench and the server share them.",
        "",
        "| what | figure |",
        "|------|-------:|",
        f"| streams open, each with its first dashboard event | {figures.connections:,} "
        f"of {CONNECTIONS:,} |",
        f"| time to open them all (250 at a time) | {figures.connect_s:.1f} s |",
        f"| server RSS before / with the streams open | {figures.rss_idle_kb / 1024:,.0f} MB / "
        f"{figures.rss_held_kb / 1024:,.0f} MB ({per_stream:,.1f} KB per stream) |",
        f"| server RSS peak | {figures.rss_peak_kb / 1024:,.0f} MB |",
        f"| server CPU while opening them | {figures.cpu_connect_s:.1f} s "
        f"({_cores(figures.cpu_connect_s, figures.connect_s)} of one core) |",
        f"| server CPU holding them for {HOLD_S:.0f} s (heartbeat every {HEARTBEAT_S:.0f} s; "
        f"at least {figures.heartbeats_seen} seen by every stream) | {figures.cpu_hold_s:.2f} s "
        f"({_cores(figures.cpu_hold_s, HOLD_S)} of one core) |",
        f"| `GET /api/v1/dashboard` meanwhile | {figures.get_while_held_ms:.1f} ms |",
        f"| the admin write (PATCH) answered after | {_ms(figures.write_s)} |",
        f"| one change to all of them, from sending the write: first / p50 / p99 / max | "
        f"{_ms(first)} / {_ms(p50)} / {_ms(p99)} / {_ms(slowest)} |",
        f"| the same, from the first stream that had it to the last | {_ms(slowest - first)} |",
        f"| streams without the change after {PHASE_TIMEOUT_S:.0f} s | {figures.missing:,} |",
        f"| CPU in that time ({figures.change_window_s:.2f} s): server / bench / other "
        f"processes | {figures.cpu_change_s:.2f} s / {figures.bench_cpu_change_s:.2f} s / "
        f"{figures.busy_other_change:.2f} s |",
        f"| SIGTERM with all streams open: server exited after | {figures.stop_s:.2f} s "
        f"(exit code {figures.exit_code}) |",
        f"| streams ended cleanly (last chunk) on SIGTERM | {figures.ended_cleanly:,} |",
        "",
        f"- **{'PASS' if passed else 'FAIL'}** {CONNECTIONS:,} open streams in one process, a "
        f"change on every one within {TARGET_S:.0f} s: max {_ms(slowest)}",
    ]
    if figures.busy_other_change > 0.2 * max(figures.change_window_s, 0.001):
        lines.append(
            f"- Note: other processes (not the server, not the bench) used "
            f"{_cores(figures.busy_other_change, figures.change_window_s)} of one core while the "
            "change went out; the delays carry their share of the cores"
        )
    return "\n".join(lines)


def write(block: str, doc: Path = DOC) -> None:
    procs.put_block(doc, (BEGIN, END), block, SECTION, _INTRO)


def run(write_doc: bool = True) -> str:
    """Measure, write the block into docs/performance.md (unless `write_doc` is false), and
    return it."""
    block = render(measure())
    if write_doc:
        write(block)
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args(argv)
    return procs.report_or_fail("bench_sse", lambda: run(write_doc=not args.no_write))


if __name__ == "__main__":
    sys.exit(main())
