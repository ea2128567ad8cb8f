"""The simulator under load: 1,000 polling clients at once, then a memory soak.

Starts `status-dashboard simulate` on loopback and drives it from one asyncio process with raw
sockets, each client on its own keep-alive connection with its own User-Agent:

1. **1,000 concurrent polling clients.** Every client polls `GET /api/v1/dashboard` once a second
   with `If-None-Match`, as the cookbook's clients do, for 20 s; every answer must come (200 or
   304), none may fail, and the latency of each is measured.
2. **Memory soak** (10 minutes unless `--soak-seconds` says otherwise). 200 clients poll as fast
   as the simulator answers through every scenario that answers at once (faults included: 500,
   503, 429, invalid JSON, truncated bodies that close the connection), and every client takes a
   new identity every 50 requests, so the per-client state and the conformance book see hundreds
   of thousands of identities come and go. The simulator's resident memory is sampled every 5 s;
   it must stay flat: the last minute's mean within 5% (or 2 MB) of the mean of the minute after
   the warm-up.

Prints a Markdown block and writes it into docs/performance.md, section "Simulator (issue 6)".
`run()` measures, writes the block (unless told not to) and returns it; `main()` is the command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bench_procs as procs
from bench_procs import DOC, SERVICE_BIN, BenchSetupError

SECTION = "## Simulator (issue 6)"
BEGIN, END = "<!-- bench-simulator:begin -->", "<!-- bench-simulator:end -->"

POLLERS = 1_000
POLL_EVERY_S = 1.0
POLL_FOR_S = 20.0
OPEN_AT_ONCE = 250
"""Connections opened together, below the server's listen backlog (1024)."""
SOAK_CLIENTS = 200
SOAK_S = 600.0
RENAME_EVERY = 50
"""Requests after which a soak client takes a new identity."""
SAMPLE_EVERY_S = 5.0
WARM_UP_S = 60.0
FLAT_SHARE, FLAT_KB = 0.05, 2048
ANSWER_TIMEOUT_S = 10.0
SOAK_SCENARIOS = (
    "timeline", "all-operational", "one-disrupted", "group-disrupted", "all-unknown", "mixed",
    "empty", "empty-group", "large", "long-texts", "no-description", "new-item",
    "removed-item", "reordered", "timezone-shift", "error-500", "unavailable-503",
    "rate-limited-429", "not-modified", "flapping", "truncated-body", "invalid-json",
    "wrong-content-type",
)  # fmt: skip
"""Every scenario that answers at once: `slow` and `timeout` hold a client by design."""

_INTRO = """\
`scripts/bench_simulator.py` drives one `status-dashboard simulate` over loopback from one
asyncio process with raw sockets, each client on its own keep-alive connection with its own
User-Agent. First 1,000 clients poll `GET /api/v1/dashboard` once a second with `If-None-Match`
for 20 s, all connected at once. Then a soak: 200 clients poll as fast as answers come, through
every scenario that answers at once (faults included), each taking a new identity every 50
requests; the simulator's resident memory is sampled every 5 s.

Targets (issue 6): the simulator holds 1,000 concurrent polling clients (every poll answered,
none failed), and its memory stays flat over a 10-minute soak (the last minute's mean within 5%,
or 2 MB, of the minute after the warm-up).
"""


@dataclass
class Answer:
    status: int
    body_bytes: int
    complete: bool
    etag: str | None = None


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened when the simulator closes it."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def request(self, target: str, headers: dict[str, str]) -> Answer:
        if self._writer is None:
            await self._open()
        assert self._reader is not None
        assert self._writer is not None
        head = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._writer.write((head + "\r\n").encode())
        try:
            return await asyncio.wait_for(self._answer(), ANSWER_TIMEOUT_S)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            return Answer(0, 0, complete=False)

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(procs.HOST, self._port)
        self.reconnects += 1

    async def _answer(self) -> Answer:
        assert self._reader is not None
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        length = 0 if status == 304 else int(fields.get("content-length", "0"))
        body = await self._reader.readexactly(length)
        if fields.get("connection", "").lower() == "close":
            self.close()
        return Answer(status, len(body), complete=True, etag=fields.get("etag"))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


@dataclass
class PollFigures:
    clients: int = 0
    connected: int = 0
    polls: int = 0
    answered_200: int = 0
    answered_304: int = 0
    failed: int = 0
    latencies_s: list[float] = field(default_factory=list)
    connect_s: float = 0.0
    cpu_s: float = 0.0
    window_s: float = 0.0
    rss_kb: int = 0


@dataclass
class SoakFigures:
    seconds: float = 0.0
    clients: int = 0
    requests: int = 0
    identities: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    incomplete: int = 0
    samples: list[tuple[float, int]] = field(default_factory=list)
    """(seconds since the soak began, VmRSS in kB)."""
    cpu_s: float = 0.0

    def mean_kb(self, start_s: float, end_s: float) -> float:
        chosen = [kb for at, kb in self.samples if start_s <= at < end_s]
        return statistics.fmean(chosen) if chosen else 0.0

    @property
    def early_kb(self) -> float:
        return self.mean_kb(WARM_UP_S, 2 * WARM_UP_S)

    @property
    def late_kb(self) -> float:
        return self.mean_kb(self.seconds - WARM_UP_S, self.seconds + 1)

    @property
    def flat(self) -> bool:
        allowed = max(FLAT_SHARE * self.early_kb, FLAT_KB)
        return bool(self.samples) and self.late_kb - self.early_kb <= allowed


@dataclass
class Figures:
    poll: PollFigures
    soak: SoakFigures
    started_s: float
    measured_at: str
    load: tuple[float, float] = (0.0, 0.0)
    """The machine's 5-minute load average before and after the run."""


# --- the clients -----------------------------------------------------------------------------


async def _poller(
    n: int, port: int, figures: PollFigures, ready: asyncio.Event, stop_at: list[float]
) -> None:
    connection = Connection(port)
    agent = f"benchPoller-{n}/1.0 asyncio/3.11"
    etag: str | None = None
    try:
        await connection.request("/api/v1/simulator/scenarios", {"User-Agent": agent})
    except OSError:
        return
    figures.connected += 1
    await ready.wait()
    await asyncio.sleep((n % 100) / 100 * POLL_EVERY_S)  # clients are not in step
    while time.monotonic() < stop_at[0]:
        began = time.monotonic()
        headers = {"User-Agent": agent, "Accept": "application/json"}
        if etag is not None:
            headers["If-None-Match"] = etag
        answer = await connection.request("/api/v1/dashboard", headers)
        figures.polls += 1
        if answer.status == 200:
            figures.answered_200 += 1
            etag = answer.etag
        elif answer.status == 304:
            figures.answered_304 += 1
        else:
            figures.failed += 1
        figures.latencies_s.append(time.monotonic() - began)
        await asyncio.sleep(max(0.0, POLL_EVERY_S - (time.monotonic() - began)))
    connection.close()


async def _measure_polling(port: int, pid: int) -> PollFigures:
    figures = PollFigures(clients=POLLERS)
    ready = asyncio.Event()
    stop_at = [float("inf")]
    started = time.monotonic()
    tasks = []
    for first in range(0, POLLERS, OPEN_AT_ONCE):
        batch = [
            asyncio.create_task(_poller(n, port, figures, ready, stop_at))
            for n in range(first, min(first + OPEN_AT_ONCE, POLLERS))
        ]
        tasks.extend(batch)
        while figures.connected < min(first + OPEN_AT_ONCE, POLLERS):
            if time.monotonic() - started > 60:
                raise BenchSetupError(f"only {figures.connected} of {POLLERS} clients connected")
            await asyncio.sleep(0.01)
    figures.connect_s = time.monotonic() - started
    cpu = procs.cpu_s(pid)
    began = time.monotonic()
    stop_at[0] = began + POLL_FOR_S
    ready.set()
    await asyncio.wait_for(asyncio.gather(*tasks), POLL_FOR_S + 2 * ANSWER_TIMEOUT_S)
    figures.window_s = time.monotonic() - began
    figures.cpu_s = procs.cpu_s(pid) - cpu
    figures.rss_kb = procs.status_kb(pid, "VmRSS")
    return figures


async def _soaker(n: int, port: int, figures: SoakFigures, stop_at: float) -> None:
    connection = Connection(port)
    sent = 0
    while time.monotonic() < stop_at:
        if sent % RENAME_EVERY == 0:
            figures.identities += 1
            agent = f"benchSoak-{n}-{sent // RENAME_EVERY}/1.0 asyncio/3.11"
        scenario = SOAK_SCENARIOS[(n + sent) % len(SOAK_SCENARIOS)]
        headers = {"User-Agent": agent, "Accept": "application/json"}
        try:
            answer = await connection.request(f"/api/v1/dashboard?scenario={scenario}", headers)
        except OSError:
            answer = Answer(0, 0, complete=False)
            await asyncio.sleep(0.1)
        sent += 1
        figures.requests += 1
        figures.by_status[answer.status] = figures.by_status.get(answer.status, 0) + 1
        if not answer.complete:
            figures.incomplete += 1
    connection.close()


async def _measure_soak(port: int, pid: int, seconds: float) -> SoakFigures:
    figures = SoakFigures(seconds=seconds, clients=SOAK_CLIENTS)
    began = time.monotonic()
    stop_at = began + seconds
    cpu = procs.cpu_s(pid)
    tasks = [asyncio.create_task(_soaker(n, port, figures, stop_at)) for n in range(SOAK_CLIENTS)]
    while time.monotonic() < stop_at:
        figures.samples.append((time.monotonic() - began, procs.status_kb(pid, "VmRSS")))
        await asyncio.sleep(SAMPLE_EVERY_S)
    await asyncio.wait_for(asyncio.gather(*tasks), 2 * ANSWER_TIMEOUT_S)
    figures.samples.append((time.monotonic() - began, procs.status_kb(pid, "VmRSS")))
    figures.cpu_s = procs.cpu_s(pid) - cpu
    return figures


def measure(soak_s: float = SOAK_S) -> Figures:
    procs.raise_open_files_limit(2 * POLLERS + 1024)  # the simulator inherits the raised limit
    measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = os.getloadavg()[1]
    with tempfile.TemporaryDirectory(prefix="bench-simulator-") as directory:
        port = procs.free_port()
        log = Path(directory) / "simulator.log"
        command = [str(SERVICE_BIN), "simulate", "--host", procs.HOST, "--port", str(port)]
        command += ["--seed", "1"]
        try:
            with procs.running(command, log) as (proc, started):
                started_s = procs.wait_for_200(port, "/api/v1/dashboard", proc, started)
                with procs.loop_runner() as runner:
                    poll = runner.run(_measure_polling(port, proc.pid))
                    soak = runner.run(_measure_soak(port, proc.pid, soak_s))
                if proc.poll() is not None:
                    raise BenchSetupError(f"the simulator stopped (exit {proc.returncode})")
        except (BenchSetupError, OSError, TimeoutError) as exc:
            raise BenchSetupError(f"{exc}\n{procs.log_tail(log)}") from exc
    return Figures(poll, soak, started_s, measured_at, (load_before, os.getloadavg()[1]))


# --- the report ------------------------------------------------------------------------------


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def _mb(kb: float) -> str:
    return f"{kb / 1024:,.1f} MB"


def polling_passed(poll: PollFigures) -> bool:
    answered = poll.answered_200 + poll.answered_304
    return poll.connected == poll.clients and poll.failed == 0 and answered == poll.polls > 0


def render(figures: Figures) -> str:
    poll, soak = figures.poll, figures.soak
    answered = poll.answered_200 + poll.answered_304
    lines = [
        f"Measured {figures.measured_at} on loopback (`status-dashboard simulate --seed 1`, "
        f"up in {figures.started_s:.1f} s); load average {figures.load[0]:.1f} before, "
        f"{figures.load[1]:.1f} after, on {os.cpu_count()} CPUs.",
        "",
        f"#### 1. {poll.clients:,} concurrent polling clients",
        "",
        "| clients connected | polls | 200 | 304 | failed | p50 | p99 | max | simulator CPU | RSS |",
        "|------------------:|------:|----:|----:|-------:|----:|----:|----:|--------------:|----:|",
        f"| {poll.connected:,} of {poll.clients:,} | {poll.polls:,} | {poll.answered_200:,} "
        f"| {poll.answered_304:,} | {poll.failed:,} | {_ms(_percentile(poll.latencies_s, 0.5))} "
        f"| {_ms(_percentile(poll.latencies_s, 0.99))} | {_ms(max(poll.latencies_s, default=0))} "
        f"| {poll.cpu_s / max(poll.window_s, 0.001):.0%} of a core | {_mb(poll.rss_kb)} |",
        "",
        f"- All {poll.clients:,} connected in {poll.connect_s:.1f} s, then polled for "
        f"{POLL_FOR_S:.0f} s, each once a second.",
        "",
        f"#### 2. Memory over a {soak.seconds / 60:.0f}-minute soak",
        "",
        f"{soak.clients} clients, {soak.requests:,} requests "
        f"({soak.requests / max(soak.seconds, 0.001):,.0f}/s), {soak.identities:,} client "
        f"identities, {len(SOAK_SCENARIOS)} scenarios in turn; simulator CPU "
        f"{soak.cpu_s / max(soak.seconds, 0.001):.0%} of a core.",
        "",
        "| minute | RSS mean | RSS max |",
        "|-------:|---------:|--------:|",
    ]
    for minute in range(int(soak.seconds // 60) + 1):
        chosen = [kb for at, kb in soak.samples if minute * 60 <= at < (minute + 1) * 60]
        if chosen:
            lines.append(f"| {minute + 1} | {_mb(statistics.fmean(chosen))} | {_mb(max(chosen))} |")
    statuses = ", ".join(
        f"{status or 'cut'}: {n:,}" for status, n in sorted(soak.by_status.items())
    )
    lines += [
        "",
        f"- Answers by status: {statuses} ({soak.incomplete:,} incomplete, as the "
        "`truncated-body` fault intends).",
        "",
        f"- **{'PASS' if polling_passed(poll) else 'FAIL'}** {poll.clients:,} concurrent polling "
        f"clients: {answered:,} of {poll.polls:,} polls answered, {poll.failed} failed, "
        f"p99 {_ms(_percentile(poll.latencies_s, 0.99))}",
        f"- **{'PASS' if soak.flat else 'FAIL'}** memory flat over the soak: "
        f"{_mb(soak.early_kb)} in minute 2 → {_mb(soak.late_kb)} in the last minute "
        f"({soak.late_kb - soak.early_kb:+,.0f} kB; allowed "
        f"+{max(FLAT_SHARE * soak.early_kb, FLAT_KB):,.0f} kB)",
    ]
    return "\n".join(lines)


def write(block: str, doc: Path = DOC) -> None:
    procs.put_block(doc, (BEGIN, END), block, SECTION, _INTRO)


def run(write_doc: bool = True, soak_s: float = SOAK_S) -> str:
    block = render(measure(soak_s))
    if write_doc:
        write(block)
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument("--soak-seconds", type=float, default=SOAK_S)
    args = parser.parse_args(argv)
    return procs.report_or_fail(
        "bench_simulator", lambda: run(write_doc=not args.no_write, soak_s=args.soak_seconds)
    )


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
