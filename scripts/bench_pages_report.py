"""The status pages bench's figures and their report: the verdicts and the Markdown block.

Apart from the measuring (bench_pages), as bench_scale_report is from bench_scale, so the
verdicts and the block are tested without starting a server.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import bench_wrk as wrk

# The scale bench's nearest rank, so a p99 means the same in every block of docs/performance.md.
from bench_scale_report import percentile

REQUESTS = 200
CHANGES = 30
TARGET_P50_S = 0.050
WEIGHT_LIMIT = 150 * 1024
"""As the browser test's (tests/e2e/test_status_page.py)."""
LOAD = wrk.Load(duration_s=10, connections=64, threads=2)
NOISY_SHARE = 0.10
"""Other processes using more than this share of one core make a phase's figures suspect."""

INTRO = """\
`scripts/bench_pages.py` (`scripts/bench.py --only pages`) starts `status-dashboard serve --demo
--no-monitor` on a fresh SQLite database (no monitor, so the bench's own writes are the only
changes) and asks it, over loopback, for each page of the demo: `/`, also with `?lang=nl` and
`?lang=fr` (what the page's language switch links to), `/acc`, `/int`, `/history`, and
`/items/{id}` of the first PROD item. Every request carries a browser's headers (a Chromium
User-Agent, `Accept: text/html,...`, `Accept-Encoding: gzip, deflate, br`, `Accept-Language:
en`), so pages come in brotli, and goes out alone on a fresh TCP connection, as a visitor's
first view opens one.

- **First HTML response**: from opening the connection and sending the request to having read
  the whole body. *Cached*: 200 requests a page in a row, nearly all served from the page kept
  in memory (a page is rendered again when the minute turns). *After a change*: 30 times a page,
  an operator's change through the admin API just before (`PATCH` of the PROD item, Disrupted
  and back, a new description each time), so the page must be rendered anew. The bench waits
  until the dashboard's ETag has moved before it asks for the page, so the write itself is not
  counted; its own time is given apart. The first request to each page after the start (in the
  table's order) is given for information.
- **Weight of a first visit**: the HTML as sent (brotli body, status line and headers) plus
  every same-origin file it links (`<link rel="stylesheet|icon|preload...">`, `<script src>`,
  `<img src>`, read with html.parser; a `data:` URL costs nothing more, and `/favicon.ico` is
  counted where no icon is declared), each asked once with the same `Accept-Encoding`, body as
  transferred plus headers. Measured after the changes, so the item's page holds a full page of
  its history. The live-update stream the script opens is not counted (it never ends), as in the
  browser test. The HTML's uncompressed size is given for information.
- **Throughput**, for information: wrk on `/` with the same headers, 64 connections, 2 threads,
  10 s after a 2 s warm-up.

p50 and p99 are nearest rank, as in the scale bench: the smallest time with at least that share
of all at or below it (p99 of 200 requests is the 198th fastest). The bench, wrk and the server
share the machine's cores; the CPU table says who used them.

Targets (issue 5): the page's first HTML response under 50 ms at p50 on the demo, on every page,
cached and after a change; total transferred weight of a first visit under 150 KB (150 × 1,024
bytes).
"""


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    label: str
    path: str


@dataclass(frozen=True)
class Weight:
    html_sent: int
    html_plain: int
    files: dict[str, int]
    """Each linked same-origin file, by path: bytes transferred (headers and body)."""
    foreign: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.html_sent + sum(self.files.values())


@dataclass
class PageFigures:
    page: Page
    first_s: float = math.nan
    """The first request to the page after the start."""
    cached_s: list[float] = field(default_factory=list)
    changed_s: list[float] = field(default_factory=list)
    weight: Weight | None = None


@dataclass(frozen=True)
class Cpu:
    window_s: float
    server_s: float
    bench_s: float
    wrk_s: float
    other_s: float


@dataclass
class Figures:
    machine: str = ""
    demo: str = ""
    pages: list[PageFigures] = field(default_factory=list)
    writes_s: list[float] = field(default_factory=list)
    visible_s: list[float] = field(default_factory=list)
    """From each write's answer to the new dashboard ETag."""
    throughput: wrk.WrkResult | None = None
    cpu: dict[str, Cpu] = field(default_factory=dict)


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    target: str
    passed: bool
    observed: str


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def _kb(size: int) -> str:
    return f"{size / 1024:,.1f} KB"


def _p50_verdict(when: str, p50s: dict[str, float]) -> Verdict:
    if not p50s:
        return Verdict(f"first HTML response p50 < 50 ms on every page, {when}", False, "none")
    slowest = max(p50s, key=lambda path: p50s[path])
    over = [path for path, p50 in p50s.items() if not p50 < TARGET_P50_S]
    observed = f"slowest `{slowest}` at {_ms(p50s[slowest])} ms"
    if over:
        observed += f"; over the target: {', '.join(f'`{path}`' for path in over)}"
    return Verdict(f"first HTML response p50 < 50 ms on every page, {when}", not over, observed)


def verdicts(figures: Figures) -> list[Verdict]:
    pages = figures.pages
    weights = {p.page.path: p.weight.total for p in pages if p.weight is not None}
    heaviest = max(weights, key=lambda path: weights[path]) if weights else "none"
    over = [path for path, total in weights.items() if not total < WEIGHT_LIMIT]
    observed = f"heaviest `{heaviest}` at {_kb(weights.get(heaviest, 0))}"
    if over:
        observed += f"; over the target: {', '.join(f'`{path}`' for path in over)}"
    weighed = len(weights) == len(pages) and bool(pages)
    return [
        _p50_verdict(
            "served from memory", {p.page.path: percentile(p.cached_s, 0.50) for p in pages}
        ),
        _p50_verdict(
            "right after a change", {p.page.path: percentile(p.changed_s, 0.50) for p in pages}
        ),
        Verdict("weight of a first visit < 150 KB on every page", weighed and not over, observed),
    ]


def _timing_rows(pages: Sequence[PageFigures]) -> list[str]:
    rows = [
        "| page | path | first after start | cached p50 | cached p99 | after a change p50 "
        "| after a change p99 | after a change max |",
        "|------|------|------:|------:|------:|------:|------:|------:|",
    ]
    for p in pages:
        changed = p.changed_s
        rows.append(
            f"| {p.page.label} | `{p.page.path}` | {_ms(p.first_s)} "
            f"| {_ms(percentile(p.cached_s, 0.50))} | {_ms(percentile(p.cached_s, 0.99))} "
            f"| {_ms(percentile(changed, 0.50))} | {_ms(percentile(changed, 0.99))} "
            f"| {_ms(max(changed, default=math.nan))} |"
        )
    return rows


def _weight_rows(pages: Sequence[PageFigures]) -> list[str]:
    rows = [
        "| page | HTML as sent | HTML uncompressed | linked files | total | of 150 KB |",
        "|------|------:|------:|------:|------:|------:|",
    ]
    for p in pages:
        if p.weight is None:
            continue
        w = p.weight
        rows.append(
            f"| `{p.page.path}` | {w.html_sent:,} B | {w.html_plain:,} B "
            f"| {len(w.files)}: {sum(w.files.values()):,} B | {w.total:,} B ({_kb(w.total)}) "
            f"| {w.total / WEIGHT_LIMIT:.0%} |"
        )
    return rows


def _files_line(pages: Sequence[PageFigures]) -> list[str]:
    files: dict[str, int] = {}
    for p in pages:
        files.update(p.weight.files if p.weight else {})
    if not files:
        return ["The pages link no file of their own."]
    listed = ", ".join(f"`{path}` {size:,} B" for path, size in files.items())
    return [f"Linked files (headers and body as transferred, brotli where offered): {listed}."]


def _throughput_lines(result: wrk.WrkResult | None) -> list[str]:
    if result is None:
        return []
    errors = result.non_2xx_3xx + result.socket_errors.beyond_connect
    return [
        f"Throughput, for information: wrk `-t{LOAD.threads} -c{LOAD.connections} "
        f"-d{LOAD.duration_s}s --latency` on `/` with the same headers (brotli): "
        f"{result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 "
        f"{result.p99_ms:.2f} ms, {errors:,} failed or not 2xx/3xx of {result.requests:,}."
    ]


def _write_lines(figures: Figures) -> list[str]:
    writes, visible = figures.writes_s, figures.visible_s
    return [
        f"The {len(writes)} admin writes (PATCH) were answered after p50 "
        f"{_ms(percentile(writes, 0.50))} ms, p99 {_ms(percentile(writes, 0.99))} ms; the new "
        f"dashboard ETag was there p50 {_ms(percentile(visible, 0.50))} ms after the answer "
        f"(max {_ms(max(visible, default=math.nan))} ms), and the page was asked for then."
    ]


def _cpu_lines(cpu: dict[str, Cpu]) -> list[str]:
    lines = [
        f"CPU (100% is one core busy all along; the machine has {len(os.sched_getaffinity(0))}):",
        "",
        "| phase | window | server | bench | wrk | other processes |",
        "|-------|-------:|-------:|------:|----:|----------------:|",
    ]
    for name, c in cpu.items():
        share = [
            part / c.window_s if c.window_s else math.nan
            for part in (c.server_s, c.bench_s, c.wrk_s, c.other_s)
        ]
        lines.append(
            f"| {name} | {c.window_s:.1f} s | " + " | ".join(f"{s:.0%}" for s in share) + " |"
        )
    return lines


def notes(figures: Figures) -> list[str]:
    found = [
        f'other processes used {c.other_s / c.window_s:.0%} of a core during "{name}"; '
        "its figures are off by an unknown amount"
        for name, c in figures.cpu.items()
        if c.window_s and c.other_s / c.window_s > NOISY_SHARE
    ]
    for p in figures.pages:
        if p.weight is not None and p.weight.foreign:
            found.append(
                f"`{p.page.path}` links other hosts, not counted: {', '.join(p.weight.foreign)}"
            )
    return found


def render(figures: Figures) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {stamp} on loopback, one request at a time, each on a fresh connection.",
        "",
        f"- Machine: {figures.machine}; the bench, wrk and the server share the cores",
        f"- Demo: {figures.demo}",
        "",
        f"#### First HTML response, ms ({REQUESTS} requests a page cached, {CHANGES} changes a "
        "page)",
        "",
        *_timing_rows(figures.pages),
        "",
        *_write_lines(figures),
        "",
        "#### Weight of a first visit",
        "",
        *_weight_rows(figures.pages),
        "",
        *_files_line(figures.pages),
        "",
        *_throughput_lines(figures.throughput),
        "",
        *(
            f"- **{'PASS' if v.passed else 'FAIL'}** {v.target}: {v.observed}"
            for v in verdicts(figures)
        ),
        *(f"- Note: {note}" for note in notes(figures)),
        "",
        *_cpu_lines(figures.cpu),
    ]
    return "\n".join(lines)
