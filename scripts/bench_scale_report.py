"""The scale bench's figures and their report: percentiles, the verdicts, the Markdown block."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import bench_wrk as wrk
from bench_scale_operator import SEEN_LIMIT_S, Change

MIN_CHANGES = 100
TARGET_S = 1.0
REPLICAS = ("A", "B")
DIRECT = "replica A alone, direct"
ONE = "nginx → replica A"
TWO = "nginx → replicas A and B"
TWO_PINNED = "nginx → replicas A and B, a core each"
CACHED = "nginx → A and B, cache on"
PLAIN, CONDITIONAL, TRACKING = "200", "304", "304, ETag kept per connection"

INTRO = """\
`scripts/bench_scale.py` (`scripts/bench.py --only scale`) runs the deployment of
docs/operations.md ("A complete deployment") on one machine: two `status-dashboard serve
--no-monitor` replicas on a PostgreSQL database of their own (migrated and given the demo
catalog once; every setting at its default, so each replica learns of the other's writes by
LISTEN/NOTIFY and polls the store only every 5 s besides), and nginx in front, configured as
`deploy/nginx/status-dashboard.conf` is but in plain HTTP on loopback (upstream of the two with
keepalive and `least_conn`, `worker_processes auto` with `worker_cpu_affinity auto` as
docs/operations.md asks, access log off). wrk sends `GET /api/v1/dashboard` with `Accept:
application/json` and `User-Agent: benchClient/1.0 wrk/4.1.0`, 64 connections, 2 threads.

1. **Throughput, one replica against two.** The same load (2 s warm-up, 10 s measured, 200
   then 304 with the ETag) on replica A directly; then, taking turns three times, through nginx
   to replica A alone and through nginx to both; then once through nginx to both with each
   replica pinned to a core of its own (A to the first, B to the second, every thread: what
   systemd's `CPUAffinity=` does), and once through nginx to both with its cache on (as
   deployed: nginx keeps the dashboard for its `max-age` and answers `If-None-Match` itself).
   The verdict compares the median of nginx to one replica with the median of nginx to two,
   neither pinned: the same path, one replica more.
2. **An operator writing every second under load.** wrk through nginx to both, cache off so
   every request reaches a replica (the replicas' worst case), in six back-to-back runs of
   20 s, alternately plain and conditional (a wrk script keeps the last ETag each connection
   was given and sends it, as a polling partner does). Meanwhile an operator changes one PROD
   item every second through the admin API (status and description, so every change is a new
   body), on replica A and B in turn, and after each write's answer polls both replicas' own
   ports every 5 ms (`If-None-Match`, one keep-alive connection each) until the new body is
   there. The bench's own polling is part of the times. They are counted from the write's
   answer, as targeted, and also from its sending: the writer stores the change and rebuilds
   its own dashboards before it answers, while the other replica, told at the commit, rebuilds
   at the same time.

The machine is shared with other work: the block gives the load average before and after, and
the CPU of every process in every run.

Targets: from an admin write on replica A to the new body on replica B (and B to A), p99 under
1 s over at least 100 changes, none missing; the throughput of two replicas not lower than one
(within 5%, the run-to-run noise of this machine).
"""


THROUGHPUT_NOISE = 0.05
"""How far below one replica's rate two may measure and still count as not lower: two 10 s runs
of the same setup on this shared 2-core machine differ by this much or more, so a strict
comparison would judge the noise, not the replicas."""


@dataclass(frozen=True)
class Cpu:
    """CPU seconds each part used in a window; `other` is every process not named."""

    window_s: float
    seconds: dict[str, float]

    def share(self, part: str) -> float:
        """Of one core, over the window: 1.0 is one core busy all along."""
        return self.seconds.get(part, 0.0) / self.window_s if self.window_s > 0 else 0.0


CPU_PARTS = ("replica A", "replica B", "nginx", "PostgreSQL", "wrk", "bench", "other")


@dataclass(frozen=True)
class LoadRun:
    setup: str
    case: str
    result: wrk.WrkResult
    cpu: Cpu


@dataclass
class Figures:
    """Everything one run of the bench measured."""

    machine: str = ""
    compare_s: int = 0  # the length of each measured run, part 1
    operator_s: int = 0  # and part 2
    load_before: tuple[float, ...] = ()
    load_after: tuple[float, ...] = ()
    comparison: list[LoadRun] = field(default_factory=list)
    operator_runs: list[LoadRun] = field(default_factory=list)
    operator_cpu: Cpu | None = None
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of all values at or below it
    (p99 of 100 values is the 99th smallest); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered) - 1e-9)  # 0.99 * 100 must stay 99, not become 100
    return ordered[min(max(rank, 1), len(ordered)) - 1]


@dataclass(frozen=True)
class Spread:
    seen: int
    missing: int
    p50_s: float
    p99_s: float
    max_s: float


def spread(delays: Sequence[float | None]) -> Spread:
    seen = [d for d in delays if d is not None]
    return Spread(
        len(seen),
        len(delays) - len(seen),
        percentile(seen, 0.5),
        percentile(seen, 0.99),
        max(seen, default=math.nan),
    )


def delays_on(changes: Sequence[Change], replica: int, *, as_writer: bool) -> list[float | None]:
    """When `replica` served each change it took itself (`as_writer`), or each the other took."""
    return [c.seen_s[replica] for c in changes if (c.writer == replica) == as_writer]


def cross_replica(changes: Sequence[Change]) -> list[float | None]:
    """Every change as served by the replicas that did not take it."""
    return [s for c in changes for i, s in enumerate(c.seen_s) if i != c.writer]


def from_sending(changes: Sequence[Change]) -> list[float | None]:
    """What `cross_replica` gives, counted from sending the write: its own time included."""
    return [
        None if s is None else c.write_s + s
        for c in changes
        for i, s in enumerate(c.seen_s)
        if i != c.writer
    ]


@dataclass(frozen=True)
class Verdict:
    passed: bool
    target: str
    observed: str


def _ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:,.0f} ms"


def visibility_verdict(changes: Sequence[Change]) -> Verdict:
    """Judged on the replicas that did not take the write, over at least MIN_CHANGES changes,
    none of them missing: a change never seen has no delay to rank, so it fails outright."""
    cross = spread(cross_replica(changes))
    sending = spread(from_sending(changes))
    enough = len(changes) >= MIN_CHANGES
    observed = (
        f"p99 {_ms(cross.p99_s)}, max {_ms(cross.max_s)}, over {len(changes)} changes "
        f"({cross.missing} not seen within {SEEN_LIMIT_S:.0f} s); from sending the write, "
        f"p99 {_ms(sending.p99_s)}"
    )
    if not enough:
        observed += f"; fewer than {MIN_CHANGES} changes"
    return Verdict(
        enough and cross.missing == 0 and cross.p99_s < TARGET_S,
        "from an admin write on replica A to the new body on replica B (and B to A): "
        f"p99 under {TARGET_S:.0f} s",
        observed,
    )


def median_rate(runs: Sequence[LoadRun], setup: str, case: str) -> float:
    """The median req/s of a setup's runs of one case, NaN when it has none: the setups take
    turns, so a median sets the rounds against each other rather than one run's luck."""
    rates = [r.result.requests_per_s for r in runs if r.setup == setup and r.case == case]
    return statistics.median(rates) if rates else math.nan


def rounds_of(runs: Sequence[LoadRun], setup: str, case: str) -> int:
    return sum(1 for r in runs if r.setup == setup and r.case == case)


def throughput_verdict(comparison: Sequence[LoadRun]) -> Verdict:
    """nginx to two replicas against nginx to one, on the 200 and the 304 path alike, median
    against median."""
    ratios = []
    for case in (PLAIN, CONDITIONAL):
        one, two = median_rate(comparison, ONE, case), median_rate(comparison, TWO, case)
        # NaN stays NaN through the division, and compares false below: a missing run fails.
        ratios.append((case, two / one if one > 0 else math.nan))
    rounds = min(
        rounds_of(comparison, setup, case) for setup in (ONE, TWO) for case in (PLAIN, CONDITIONAL)
    )
    return Verdict(
        all(ratio >= 1.0 - THROUGHPUT_NOISE for _, ratio in ratios),
        f"throughput of 2 replicas not lower than one (behind the same nginx; median of "
        f"{rounds} runs each, taking turns; within {THROUGHPUT_NOISE:.0%}, the spread of one "
        "setup's runs)",
        ", ".join(f"{case}: {ratio:.0%} of one" for case, ratio in ratios),
    )


def clean_verdict(runs: Sequence[LoadRun]) -> Verdict:
    bad = sum(r.result.non_2xx_3xx + r.result.socket_errors.beyond_connect for r in runs)
    return Verdict(
        bool(runs) and bad == 0,
        "no non-2xx/3xx responses, no socket errors beyond connect",
        "clean" if bad == 0 else f"{bad:,} in {len(runs)} runs",
    )


def verdicts(figures: Figures) -> list[Verdict]:
    return [
        visibility_verdict(figures.changes),
        throughput_verdict(figures.comparison),
        clean_verdict([*figures.comparison, *figures.operator_runs]),
    ]


def _run_rows(runs: Sequence[LoadRun]) -> list[str]:
    rows = []
    for run in runs:
        r = run.result
        errors = r.non_2xx_3xx + r.socket_errors.beyond_connect
        rows.append(
            f"| {run.setup} | {run.case} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | "
            f"{r.p99_ms:.2f} | {errors:,} |"
        )
    return rows


def _median_rows(runs: Sequence[LoadRun]) -> list[str]:
    rows = []
    for case in (PLAIN, CONDITIONAL):
        one, two = median_rate(runs, ONE, case), median_rate(runs, TWO, case)
        rows.append(
            f"| {case} | {one:,.0f} ({rounds_of(runs, ONE, case)} runs) | "
            f"{two:,.0f} ({rounds_of(runs, TWO, case)} runs) | {two / one:.0%} |"
            if one > 0
            else f"| {case} | n/a | n/a | n/a |"
        )
    return rows


def _cpu_row(label: str, cpu: Cpu) -> str:
    shares = " | ".join(f"{cpu.share(part):.0%}" for part in CPU_PARTS)
    return f"| {label} | {cpu.window_s:.0f} s | {shares} |"


def _visibility_rows(changes: Sequence[Change]) -> list[str]:
    rows = []
    for index, name in enumerate(REPLICAS):
        for as_writer, role in ((True, "its own writes"), (False, "the other's writes")):
            s = spread(delays_on(changes, index, as_writer=as_writer))
            rows.append(
                f"| {name} | {role} | {s.seen} | {s.missing} | {_ms(s.p50_s)} | "
                f"{_ms(s.p99_s)} | {_ms(s.max_s)} |"
            )
    return rows


def _writes_section(figures: Figures) -> list[str]:
    changes = figures.changes
    writes = spread([c.write_s for c in changes])
    sending = spread(from_sending(changes))
    return [
        f"#### 2. Under an operator's writes, nginx → A and B, cache off "
        f"({len(figures.operator_runs)} runs of {figures.operator_s} s)",
        "",
        "| run | case | req/s | p50 ms | p99 ms | errors |",
        "|-----|------|------:|-------:|-------:|-------:|",
        *_run_rows(figures.operator_runs),
        "",
        f"{len(changes)} changes, one a second, on A and B in turn; the write (PATCH) was "
        f"answered after p50 {_ms(writes.p50_s)}, p99 {_ms(writes.p99_s)}, max "
        f"{_ms(writes.max_s)}. From the write's answer to the new body on each replica:",
        "",
        "| replica | serving | changes seen | missing | p50 | p99 | max |",
        "|---------|---------|-------------:|--------:|----:|----:|----:|",
        *_visibility_rows(changes),
        "",
        f"From sending the write to the new body on the other replica: p50 {_ms(sending.p50_s)}, "
        f"p99 {_ms(sending.p99_s)}, max {_ms(sending.max_s)}.",
    ]


def _cpu_section(figures: Figures) -> list[str]:
    return [
        f"CPU (100% is one core busy all along; the machine has {len(os.sched_getaffinity(0))}; "
        "PostgreSQL is its processes serving the bench's database; bench is the operator and "
        "its polling):",
        "",
        f"| run | window | {' | '.join(CPU_PARTS)} |",
        f"|-----|-------:|{'---:|' * len(CPU_PARTS)}",
        *(_cpu_row(f"{r.setup}, {r.case}", r.cpu) for r in figures.comparison),
        *(_cpu_row(f"under writes, {r.setup}, {r.case}", r.cpu) for r in figures.operator_runs),
        *(
            [_cpu_row("under writes, all runs", figures.operator_cpu)]
            if figures.operator_cpu
            else []
        ),
    ]


def render(figures: Figures) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    loads = ", ".join(
        f"{' / '.join(f'{n:.2f}' for n in load)} {when}"
        for load, when in ((figures.load_before, "before"), (figures.load_after, "after"))
    )
    lines = [
        f"Measured {stamp} on loopback, wrk `-t2 -c64 --latency`.",
        "",
        f"- Machine: {figures.machine}; wrk, nginx, PostgreSQL and both replicas share the cores",
        f"- Load average (1 / 5 / 15 min): {loads}",
        "",
        f"#### 1. Throughput: one replica against two ({figures.compare_s} s a run)",
        "",
        "| setup | case | req/s | p50 ms | p99 ms | errors |",
        "|-------|------|------:|-------:|-------:|-------:|",
        *_run_rows(figures.comparison),
        "",
        f"Median req/s, {ONE} against {TWO}:",
        "",
        "| case | one replica | two replicas | two of one |",
        "|------|------------:|-------------:|-----------:|",
        *_median_rows(figures.comparison),
        "",
        *_writes_section(figures),
        "",
        *(
            f"- **{'PASS' if v.passed else 'FAIL'}** {v.target}: {v.observed}"
            for v in verdicts(figures)
        ),
        *(f"- Note: {note}" for note in figures.notes),
        "",
        *_cpu_section(figures),
    ]
    return "\n".join(lines)
