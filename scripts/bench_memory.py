"""The service's memory under ten minutes of mixed load: does `serve` stop growing?

Starts `status-dashboard serve --demo` on a fresh SQLite database and drives it over loopback
for ten minutes with what a public status page meets at once: API polls with and without
`If-None-Match`, page views of `/`, `/acc`, `/int` and `/history` in the three languages, live
streams that connect and leave, and one admin write a second (each a new revision, so every
page is rendered again). It reads the server's RSS at the end of each minute. Prints a Markdown
block and writes it into docs/performance.md, section "Memory under mixed load (issue 15)".

Target (issue 15): RSS at minute 10 within 15% of minute 2 (minute 1 is the warm-up).

`run()` measures, writes the block (unless told not to) and returns it; `main()` is the command.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_procs as procs
import httpx
from bench_procs import DOC, SERVICE_BIN, BenchSetupError

SECTION = "## Memory under mixed load (issue 15)"
BEGIN, END = "<!-- bench-memory:begin -->", "<!-- bench-memory:end -->"

MINUTES = 10
BASELINE_MINUTE = 2
TARGET_GROWTH = 0.15
AGENT = "benchClient/1.0 memory/1.0"
POLLS_PER_S = 20.0
"""API polls, half of them conditional (If-None-Match with the last ETag)."""
PAGE_VIEWS_PER_S = 4.0
STREAMS = 10
"""Live streams open at any time; each leaves after 5 to 20 s and another connects."""
WRITES_PER_S = 1.0
PAGES = ("/", "/acc", "/int", "/history")
LANGUAGES = ("en", "nl", "fr")
API_PATHS = ("/api/v1/dashboard", "/api/v1/dashboard/acc", "/api/v1/dashboard/int")
BROWSER = {"Accept": "text/html", "Accept-Encoding": "gzip, br", "User-Agent": AGENT}

_INTRO = """\
`scripts/bench_memory.py` (`scripts/bench.py --only memory`) starts `status-dashboard serve
--demo` on SQLite and drives it over loopback for ten minutes with mixed load: 20 API polls a
second over PROD, ACC and INT (half of them with `If-None-Match` and the last ETag, so answered
304 until a change), 4 page views a second spread over `/`, `/acc`, `/int` and `/history` in
English, Dutch and French (a browser's `Accept-Encoding: gzip, br`), 10 live streams
(`/api/v1/dashboard/stream`) of which each leaves after 5 to 20 s and another connects, and one
admin write a second (a PROD item's status set back and forth, each write a new revision, so
every page is rendered again). The server's RSS is read at the end of each minute.

Target (issue 15): RSS at minute 10 within 15% of minute 2; the first minute is the warm-up.
"""


@dataclass
class Figures:
    rss_kb: list[int] = field(default_factory=list)
    """VmRSS at the end of each minute."""
    rss_start_kb: int = 0
    peak_kb: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    """By kind of request and status, e.g. "poll 304", "page 200", "write 200"."""
    failures: Counter[str] = field(default_factory=Counter)
    streams_opened: int = 0


def _admin_token(log: Path) -> str:
    found = re.search(r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)", log.read_text())
    if found is None:
        raise BenchSetupError("the demo server printed no admin token")
    return found.group(1)


async def _paced(
    per_s: float, until: float, action: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Call `action()` `per_s` times a second, each call on its own task so that a slow answer
    does not slow the pace."""
    interval = 1.0 / per_s
    tasks: set[asyncio.Task[None]] = set()
    next_at = time.monotonic()
    while next_at < until:
        task = asyncio.create_task(action())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    if tasks:
        await asyncio.wait(tasks, timeout=30)


class Load:
    def __init__(self, client: httpx.AsyncClient, token: str, item: str, figures: Figures):
        self._client = client
        self._token = token
        self._item = item
        self._figures = figures
        self._etags: dict[str, str] = {}
        self._polls = itertools.count()
        self._pages = itertools.cycle([(p, lang) for p in PAGES for lang in LANGUAGES])
        self._status = itertools.cycle((2, 1))

    async def _get(self, kind: str, path: str, headers: dict[str, str]) -> httpx.Response | None:
        try:
            answer = await self._client.get(path, headers=headers)
        except httpx.HTTPError as exc:
            self._figures.failures[f"{kind} {type(exc).__name__}"] += 1
            return None
        self._figures.answers[f"{kind} {answer.status_code}"] += 1
        return answer

    async def poll(self) -> None:
        number = next(self._polls)
        path = API_PATHS[number % len(API_PATHS)]
        headers = {"Accept": "application/json", "User-Agent": AGENT}
        conditional = number % 2 == 1 and path in self._etags
        if conditional:
            headers["If-None-Match"] = self._etags[path]
        answer = await self._get("poll", path, headers)
        if answer is not None and "etag" in answer.headers:
            self._etags[path] = answer.headers["etag"]

    async def page_view(self) -> None:
        path, language = next(self._pages)
        await self._get("page", f"{path}?lang={language}", BROWSER)

    async def write(self) -> None:
        body = {"status_code": next(self._status), "description": "Memory bench change"}
        try:
            answer = await self._client.patch(
                f"/api/admin/v1/dashboards/prod/items/{self._item}",
                json=body,
                headers={"Authorization": f"Bearer {self._token}", "User-Agent": AGENT},
            )
        except httpx.HTTPError as exc:
            self._figures.failures[f"write {type(exc).__name__}"] += 1
            return
        self._figures.answers[f"write {answer.status_code}"] += 1

    async def streams(self, until: float) -> None:
        async def one_after_another() -> None:
            while time.monotonic() < until:
                await self._stream(min(random.uniform(5, 20), max(0.0, until - time.monotonic())))

        await asyncio.gather(*(one_after_another() for _ in range(STREAMS)))

    async def _stream(self, stay_s: float) -> None:
        headers = {"Accept": "text/event-stream", "User-Agent": AGENT}
        self._figures.streams_opened += 1
        try:
            async with self._client.stream("GET", "/api/v1/dashboard/stream", headers=headers) as s:
                self._figures.answers[f"stream {s.status_code}"] += 1
                with_timeout = asyncio.timeout(stay_s)
                async with with_timeout:
                    async for _ in s.aiter_bytes():
                        pass
        except TimeoutError:
            pass  # the client leaves, as a closed browser tab does
        except httpx.HTTPError as exc:
            self._figures.failures[f"stream {type(exc).__name__}"] += 1


async def _drive(port: int, pid: int, token: str, minutes: int, figures: Figures) -> None:
    limits = httpx.Limits(max_connections=STREAMS + 40, max_keepalive_connections=STREAMS + 40)
    timeout = httpx.Timeout(30.0)
    base = f"http://{procs.HOST}:{port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        prod = await client.get("/api/v1/dashboard/prod", headers={"User-Agent": AGENT})
        item = json.loads(prod.content)["groups"][0]["items"][0]["id"]
        load = Load(client, token, item, figures)
        figures.rss_start_kb = procs.status_kb(pid, "VmRSS")
        began = time.monotonic()
        until = began + minutes * 60

        async def sample() -> None:
            for minute in range(1, minutes + 1):
                await asyncio.sleep(max(0.0, began + minute * 60 - time.monotonic()))
                figures.rss_kb.append(procs.status_kb(pid, "VmRSS"))
                print(f"bench_memory: minute {minute}: RSS {figures.rss_kb[-1] / 1024:.0f} MB")

        await asyncio.gather(
            sample(),
            _paced(POLLS_PER_S, until, load.poll),
            _paced(PAGE_VIEWS_PER_S, until, load.page_view),
            _paced(WRITES_PER_S, until, load.write),
            load.streams(until),
        )
        figures.peak_kb = procs.status_kb(pid, "VmHWM")


def measure(minutes: int = MINUTES) -> Figures:
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as directory:
        tmp = Path(directory)
        port = procs.free_port()
        log = tmp / "server.log"
        command = [str(SERVICE_BIN), "serve", "--demo", "--host", procs.HOST, "--port", str(port)]
        command += ["--database", f"sqlite:///{tmp / 'bench.db'}"]
        try:
            with procs.running(command, log) as (proc, started):
                procs.wait_for_200(port, "/health", proc, started)
                with procs.loop_runner() as runner:
                    runner.run(_drive(port, proc.pid, _admin_token(log), minutes, figures))
        except (BenchSetupError, OSError, httpx.HTTPError, KeyError, ValueError) as exc:
            raise BenchSetupError(f"{exc}\n{procs.log_tail(log)}") from exc
    return figures


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def verdict(figures: Figures) -> tuple[bool, str]:
    """(passed, what was seen) of the target: the last minute against the baseline minute."""
    if len(figures.rss_kb) < max(BASELINE_MINUTE, 2):
        return False, "too few minutes measured"
    baseline, last = figures.rss_kb[BASELINE_MINUTE - 1], figures.rss_kb[-1]
    growth = (last - baseline) / baseline
    seen = (
        f"minute {len(figures.rss_kb)} {_mb(last)} against minute {BASELINE_MINUTE} "
        f"{_mb(baseline)} ({growth:+.1%})"
    )
    return growth <= TARGET_GROWTH, seen


def render(figures: Figures) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    passed, seen = verdict(figures)
    lines = [
        f"Measured {stamp} on loopback; machine: {len(os.sched_getaffinity(0))} CPUs, "
        f"Python {sys.version.split()[0]}; the bench and the server share them.",
        "",
        "| minute | server RSS |",
        "|-------:|-----------:|",
        f"| 0 (started, before the load) | {_mb(figures.rss_start_kb)} |",
    ]
    lines += [f"| {minute} | {_mb(kb)} |" for minute, kb in enumerate(figures.rss_kb, start=1)]
    answered = ", ".join(f"{kind}: {count:,}" for kind, count in sorted(figures.answers.items()))
    failed = ", ".join(f"{kind}: {count:,}" for kind, count in sorted(figures.failures.items()))
    lines += [
        "",
        f"- Peak RSS (VmHWM): {_mb(figures.peak_kb)}; streams opened: {figures.streams_opened:,}",
        f"- Answers: {answered or 'none'}",
        f"- Requests that got no answer: {failed or 'none'}",
        f"- **{'PASS' if passed else 'FAIL'}** RSS at the last minute within "
        f"{TARGET_GROWTH:.0%} of minute {BASELINE_MINUTE}: {seen}",
    ]
    return "\n".join(lines)


def write(block: str, doc: Path = DOC) -> None:
    procs.put_block(doc, (BEGIN, END), block, SECTION, _INTRO)


def run(write_doc: bool = True, minutes: int = MINUTES) -> str:
    """Measure, write the block into docs/performance.md (unless `write_doc` is false or the run
    is shorter than the target's ten minutes), and return it."""
    block = render(measure(minutes))
    if write_doc and minutes == MINUTES:
        write(block)
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument("--minutes", type=int, default=MINUTES, help="length of the load")
    args = parser.parse_args(argv)
    return procs.report_or_fail(
        "bench_memory", lambda: run(write_doc=not args.no_write, minutes=args.minutes)
    )


if __name__ == "__main__":
    sys.exit(main())
