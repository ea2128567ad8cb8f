"""The monitoring bench's figures as Markdown, judged against the targets of issue 4.

Pure functions of data, like bench_report, so the formatting and the verdicts are tested
without running a worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bench_report import Machine, Verdict
from bench_wrk import WrkResult

BEGIN = "<!-- bench-monitor:begin -->"
END = "<!-- bench-monitor:end -->"

# The targets of issue 4.
MAX_WORKER_CPU_SHARE = 0.50
LATE_S = 1.0
"""A start more than this after its due time is late (worker.stats.LATE)."""
MAX_P99_RISE_MS = 1.0
MAX_P99_RISE_SHARE = 0.20
MAX_FLIP_S = 1.0

TICK_S = 0.2
"""The worker's longest wait between two looks for due checks (WorkerSettings.tick): lateness
moves by up to this much from one run to the next whatever else happens, so a shift smaller than
it is no change."""
MEASURED_CYCLES = 2
MIN_LOAD_SHARE = 0.95
"""Share of the intended results per minute the load case's window must hold: a window that
does not fall on the checks' grid holds a few runs more or fewer than the nominal rate, but a
window far short of it would not measure the load it claims."""


# --- data --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank, as the worker's own stats line computes its p99 (worker.stats)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class Lateness:
    """How late a set of runs started: start time minus due time, in seconds."""

    runs: int = 0
    late: int = 0
    """Runs that started more than LATE_S after they were due."""
    p50_s: float = 0.0
    p99_s: float = 0.0
    max_s: float = 0.0

    @classmethod
    def of(cls, delays: Iterable[float]) -> Lateness:
        # A start a hair before its due time (clock rounding) is on time, as the worker counts it.
        values = [max(0.0, d) for d in delays]
        return cls(
            runs=len(values),
            late=sum(1 for d in values if d > LATE_S),
            p50_s=percentile(values, 0.50),
            p99_s=percentile(values, 0.99),
            max_s=max(values, default=0.0),
        )


@dataclass(frozen=True)
class Runs:
    """Some check runs read back from the database: how many, how many failed, how late."""

    lateness: Lateness
    failed: int = 0
    reasons: Mapping[str, int] = field(default_factory=dict)
    """The failures' reasons, with how often each was given."""
    max_duration_ms: float = 0.0

    @property
    def count(self) -> int:
        return self.lateness.runs


@dataclass(frozen=True)
class Cpu:
    """CPU seconds used over a window, by whom; other = the machine's busy time minus the rest."""

    window_s: float
    worker_s: float = 0.0
    server_s: float = 0.0
    nginx_s: float = 0.0
    wrk_s: float = 0.0
    bench_s: float = 0.0
    """The bench process itself: its target server thread and its polling."""
    other_s: float = 0.0

    def share(self, seconds: float) -> str:
        return f"{seconds / self.window_s:.0%}" if self.window_s > 0 else "n/a"


@dataclass(frozen=True)
class WarmUp:
    """The first cycle: every check due at once, when defined."""

    define_s: float
    """From the first check defined to the last."""
    first_cycle_s: float
    """From the first check defined to the end of the last check's first run."""
    caught_up_s: float
    """From the first check defined until no check was more than LATE_S past its due time."""
    first_runs: Runs
    """Each check's first run, late from the moment it was defined."""
    cpu: Cpu


@dataclass(frozen=True)
class ScheduleCase:
    """Cases 1 and 2: one worker, `checks` HTTP checks every `interval_s`; `hanging` of them
    point at a target that answers in the clean cycle and hangs in the hanging one."""

    checks: int
    interval_s: float
    concurrency: int
    hanging: int
    timeout_s: float
    warm_up: WarmUp
    cpu: Cpu
    """Over the two measured cycles."""
    clean: Runs
    """The other checks in the first measured cycle."""
    while_hanging: Runs
    """The other checks in the second, while the hanging target held its checks to the timeout."""
    hanging_clean: Runs
    """The hanging target's checks in the first cycle, when it still answered."""
    hanging_hung: Runs
    """The hanging target's checks in the second cycle."""
    measured: Runs
    """Every run of the two measured cycles."""
    stats: Mapping[str, str] = field(default_factory=dict)
    """The worker's last stats line (its `monitor_stopped`), for its own totals."""

    @property
    def expected_runs(self) -> int:
        return MEASURED_CYCLES * self.checks


@dataclass(frozen=True)
class LoadRun:
    result: WrkResult
    cpu: Cpu
    results_per_min: float = 0.0
    """Results the worker recorded meanwhile, read back from the database."""
    worker_lateness: Lateness = field(default_factory=Lateness)
    due_runs: int = 0
    """Runs due in the window, on the checks' grid."""
    stored_runs: int = 0
    """Of them, the runs the worker stored."""


@dataclass(frozen=True)
class LoadCase:
    """Case 3: the public API at a fixed rate, alone and while a worker writes results; the
    server and wrk on `api_cpus`, the worker on `worker_cpus`, and once more unpinned."""

    duration_s: int
    connections: int
    delay_ms: int
    checks: int
    interval_s: float
    api_cpus: str
    worker_cpus: str
    baseline: LoadRun
    loaded: LoadRun
    shared: LoadRun
    """As `loaded`, with every process free to run on any CPU."""

    @property
    def intended_per_min(self) -> float:
        return self.checks * 60 / self.interval_s

    @property
    def p99_rise_ms(self) -> float:
        return self.loaded.result.p99_ms - self.baseline.result.p99_ms

    @property
    def allowed_rise_ms(self) -> float:
        return max(MAX_P99_RISE_MS, MAX_P99_RISE_SHARE * self.baseline.result.p99_ms)


@dataclass(frozen=True)
class Flip:
    """One flip of the target: what the item turned to, and when the API showed it."""

    to_code: int
    after_result_s: float | None
    """From the end of the deciding result to the API showing it; None: never shown."""
    after_flip_s: float | None
    """From the target's flip to the API showing it."""


@dataclass(frozen=True)
class FlipCase:
    interval_s: float
    timeout_s: float
    poll_ms: int
    flips: Sequence[Flip]
    cpu: Cpu

    def seen(self, attr: str) -> list[float]:
        values = (getattr(f, attr) for f in self.flips)
        return [v for v in values if v is not None]


@dataclass(frozen=True)
class MonitorMeasurements:
    machine: Machine
    when: str
    schedule: ScheduleCase
    load: LoadCase
    flips: FlipCase
    notes: Sequence[str] = ()


# --- the worker's log --------------------------------------------------------------------------


def parse_stats_line(line: str) -> dict[str, str] | None:
    """The key=value pairs of a worker's `monitor_stats` or `monitor_stopped` log line."""
    pairs = dict(word.partition("=")[::2] for word in line.split() if "=" in word)
    if pairs.get("event") not in ("monitor_stats", "monitor_stopped"):
        return None
    return pairs


def stats_lines(log: str) -> list[dict[str, str]]:
    return [pairs for line in log.splitlines() if (pairs := parse_stats_line(line)) is not None]


# --- verdicts ----------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def timed_out_reason(timeout_s: float) -> str:
    """What a probe says of a check its target kept past the timeout (probes.wording)."""
    return f"timed out after {timeout_s:g} s"


def verdicts(m: MonitorMeasurements) -> list[Verdict]:
    s, load, flips = m.schedule, m.load, m.flips
    measured = s.measured.lateness
    timed_out = s.hanging_hung.reasons.get(timed_out_reason(s.timeout_s), 0)
    shift = s.while_hanging.lateness.p99_s - s.clean.lateness.p99_s
    worker_share = s.cpu.worker_s / s.cpu.window_s if s.cpu.window_s else 0.0
    shown = flips.seen("after_result_s")
    worst_flip = max(shown, default=0.0)
    return [
        Verdict(
            f"{s.checks:,} checks every {s.interval_s:g} s: worker CPU "
            f"< {MAX_WORKER_CPU_SHARE:.0%} of one core",
            worker_share < MAX_WORKER_CPU_SHARE,
            f"{worker_share:.0%}",
        ),
        Verdict(
            f"no check started more than {LATE_S:g} s late (two measured cycles)",
            measured.late == 0 and measured.runs == s.expected_runs,
            f"{measured.late} late of {measured.runs:,} runs ({s.expected_runs:,} due), "
            f"latest {_ms(measured.max_s)}",
        ),
        Verdict(
            f"a hanging target's checks end at their {s.timeout_s:g} s timeout",
            s.hanging_hung.count == s.hanging and timed_out == s.hanging,
            f"{timed_out} of {s.hanging_hung.count} runs '{timed_out_reason(s.timeout_s)}' "
            f"({s.hanging} due)",
        ),
        Verdict(
            f"the other checks' lateness unchanged while {s.hanging} hang "
            f"(none > {LATE_S:g} s late, p99 within the worker's {TICK_S:g} s tick)",
            s.clean.lateness.late == 0 and s.while_hanging.lateness.late == 0 and shift < TICK_S,
            f"p99 {_ms(s.clean.lateness.p99_s)} → {_ms(s.while_hanging.lateness.p99_s)}, "
            f"{s.while_hanging.lateness.late} late",
        ),
        Verdict(
            f"{load.intended_per_min:,.0f} results/min stored: every run due in the window",
            load.loaded.due_runs > 0
            and load.loaded.stored_runs == load.loaded.due_runs
            and load.loaded.results_per_min >= MIN_LOAD_SHARE * load.intended_per_min,
            f"{load.loaded.stored_runs:,} of {load.loaded.due_runs:,} due in "
            f"{load.duration_s} s, {load.loaded.results_per_min:,.0f}/min",
        ),
        Verdict(
            f"with them the API's p99 at most max({MAX_P99_RISE_MS:g} ms, "
            f"{MAX_P99_RISE_SHARE:.0%}) above the baseline",
            load.p99_rise_ms <= load.allowed_rise_ms,
            f"{load.baseline.result.p99_ms:.2f} → {load.loaded.result.p99_ms:.2f} ms "
            f"({load.p99_rise_ms:+.2f} ms, allowed +{load.allowed_rise_ms:.2f})",
        ),
        Verdict(
            f"a result that flips an item reaches the API within {MAX_FLIP_S:g} s",
            len(shown) == len(flips.flips) > 0 and worst_flip < MAX_FLIP_S,
            f"max {_ms(worst_flip)} over {len(shown)} of {len(flips.flips)} flips seen",
        ),
    ]


def failed(m: MonitorMeasurements) -> list[Verdict]:
    return [v for v in verdicts(m) if not v.passed]


# --- Markdown ----------------------------------------------------------------------------------


def _lateness_cells(late: Lateness) -> str:
    return f"{_ms(late.p50_s)} | {_ms(late.p99_s)} | {_ms(late.max_s)} | {late.late}"


def _cpu_cells(cpu: Cpu) -> str:
    return (
        f"{cpu.share(cpu.worker_s)} | {cpu.share(cpu.server_s)} | {cpu.share(cpu.nginx_s)} "
        f"| {cpu.share(cpu.wrk_s)} | {cpu.share(cpu.bench_s)} | {cpu.share(cpu.other_s)}"
    )


_CPU_HEAD = [
    "| during | window | worker | server | nginx | wrk | bench | other processes |",
    "|--------|-------:|-------:|-------:|------:|----:|------:|----------------:|",
]


def cpu_table(rows: Sequence[tuple[str, Cpu]]) -> list[str]:
    """Who used the cores in each window; 100% is one core busy all along."""
    return [
        *_CPU_HEAD,
        *(f"| {label} | {cpu.window_s:.0f} s | {_cpu_cells(cpu)} |" for label, cpu in rows),
    ]


def schedule_lines(s: ScheduleCase) -> list[str]:
    measured = s.measured
    w = s.warm_up
    stats = s.stats
    lines = [
        f"#### 1. {s.checks:,} HTTP checks every {s.interval_s:g} s, one worker",
        "",
        f"`status-dashboard worker --concurrency {s.concurrency}` on SQLite; "
        f"{s.checks - s.hanging:,} checks ask nginx for a static `/health`, {s.hanging} ask the "
        "bench's own target (case 2).",
        "",
        "| cycle | runs | failed | lateness p50 | p99 | max | late > 1 s |",
        "|-------|-----:|-------:|-------------:|----:|----:|-----------:|",
        f"| warm-up: first runs, from definition | {w.first_runs.count:,} "
        f"| {w.first_runs.failed} | {_lateness_cells(w.first_runs.lateness)} |",
        f"| measured, {MEASURED_CYCLES} × {s.interval_s:g} s | {measured.count:,} "
        f"| {measured.failed} "
        f"| {_lateness_cells(measured.lateness)} |",
        "",
        f"- Warm-up: the {s.checks:,} checks were defined in {w.define_s:.1f} s, all due at "
        f"once; the last first run ended {w.first_cycle_s:.1f} s after the first definition, "
        f"and {w.caught_up_s:.1f} s after it no check was more than {LATE_S:g} s overdue: "
        "the measured cycles start there. From its first run on, each check runs on its own "
        f"grid point of the {s.interval_s:g} s interval.",
        f"- Worker CPU over the two measured cycles: {s.cpu.share(s.cpu.worker_s)} of one core "
        f"({s.cpu.worker_s:.1f} s in {s.cpu.window_s:.0f} s); "
        f"{measured.count:,} runs of {s.expected_runs:,} due.",
    ]
    if w.first_runs.failed:
        lines.append(
            f"- The warm-up's {w.first_runs.failed} failures: {_reasons(w.first_runs.reasons)}."
        )
    if measured.failed:
        lines.append(
            f"- The {measured.failed} failures: {_reasons(measured.reasons)} "
            "(the hanging target of case 2)."
        )
    if stats:
        lines.append(
            f"- The worker's own count over its whole run, warm-up included: "
            f"{_count(stats, 'total_runs')} runs, {_count(stats, 'total_late')} late, "
            f"latest {_count(stats, 'total_late_max_ms')} ms."
        )
    return lines


def _count(stats: Mapping[str, str], key: str) -> str:
    """A number of the worker's log line as the report spells numbers; as logged otherwise."""
    value = stats.get(key, "?")
    return f"{int(value):,}" if value.isdigit() else value


def _reasons(reasons: Mapping[str, int]) -> str:
    return ", ".join(f"{count} '{reason}'" for reason, count in sorted(reasons.items()))


def hang_lines(s: ScheduleCase) -> list[str]:
    others = s.checks - s.hanging
    return [
        "",
        f"#### 2. A hanging target holds up nobody ({s.hanging} checks, timeout {s.timeout_s:g} s)",
        "",
        "In the first measured cycle the bench's target answers at once; in the second it "
        "accepts and never answers. Cycles are told apart by the runs' due times.",
        "",
        "| cycle | checks | runs | failed | longest run | lateness p50 | p99 | max | late > 1 s |",
        "|-------|--------|-----:|-------:|------------:|-------------:|----:|----:|-----------:|",
        _hang_row("answering", f"the {others:,} others", s.clean),
        _hang_row("answering", f"the {s.hanging} on the target", s.hanging_clean),
        _hang_row("hanging", f"the {others:,} others", s.while_hanging),
        _hang_row("hanging", f"the {s.hanging} on the target", s.hanging_hung),
        "",
        f"- What the hanging checks' runs said: {_reasons(s.hanging_hung.reasons) or 'nothing'}.",
    ]


def _hang_row(cycle: str, checks: str, runs: Runs) -> str:
    return (
        f"| {cycle} | {checks} | {runs.count:,} | {runs.failed} | {runs.max_duration_ms:,.0f} ms "
        f"| {_lateness_cells(runs.lateness)} |"
    )


def load_lines(load: LoadCase) -> list[str]:
    base = load.baseline.result
    rows = (
        (f"baseline, no worker (server and wrk on CPU {load.api_cpus})", load.baseline),
        (f"with the worker (on CPU {load.worker_cpus})", load.loaded),
        ("with the worker, no process pinned", load.shared),
    )
    lines = [
        "",
        f"#### 3. {load.intended_per_min:,.0f} results per minute and the public API",
        "",
        f"`GET /api/v1/dashboard` on `status-dashboard serve --no-monitor`, wrk at a fixed rate "
        f"(`-t1 -c{load.connections}`, a `delay()` of {load.delay_ms} ms after every answer) "
        f"for {load.duration_s} s, alone and while a worker runs {load.checks:,} checks every "
        f"{load.interval_s:g} s against nginx on the same database.",
        "",
        "| run | req/s | p50 ms | p99 ms | p99 vs baseline | results/min | stored of due "
        "| worker late > 1 s |",
        "|-----|------:|-------:|-------:|----------------:|------------:|--------------:"
        "|------------------:|",
    ]
    for label, run in rows:
        r, late = run.result, run.worker_lateness
        lines.append(
            f"| {label} | {r.requests_per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {r.p99_ms - base.p99_ms:+.2f} ms | {run.results_per_min:,.0f} "
            + (
                f"| {run.stored_runs:,} of {run.due_runs:,} | {late.late:,} of {late.runs:,} |"
                if run.due_runs
                else "| — | — |"
            )
        )
    worst = load.loaded.worker_lateness
    lines += [
        "",
        f"- The worker's lateness in the pinned run: p99 {_ms(worst.p99_s)}, "
        f"max {_ms(worst.max_s)}.",
    ]
    errors = [
        f"{label}: {r.non_2xx_3xx} non-2xx/3xx, {r.socket_errors.beyond_connect} failed requests"
        for label, run in rows
        if (r := run.result).non_2xx_3xx or r.socket_errors.beyond_connect
    ]
    lines += [f"- Errors seen by wrk: {e}" for e in errors]
    return lines


def flip_lines(f: FlipCase) -> list[str]:
    after_result, after_flip = f.seen("after_result_s"), f.seen("after_flip_s")
    missing = len(f.flips) - len(after_result)
    lines = [
        "",
        f"#### 4. A result that flips an item reaches the API ({len(f.flips)} flips)",
        "",
        f"`status-dashboard serve` with its monitor in-process, one item, one HTTP check "
        f"(every {f.interval_s:g} s, timeout {f.timeout_s:g} s, thresholds 1) on a target that "
        f"the bench turns from 200 to 503 and back; the API is polled every {f.poll_ms} ms.",
        "",
        "| from | to the API showing it | p50 | p99 (= max of 20) | max |",
        "|------|-----------------------|----:|------------------:|----:|",
        f"| the end of the deciding result | status_code | {_ms(percentile(after_result, 0.5))} "
        f"| {_ms(percentile(after_result, 0.99))} | {_ms(max(after_result, default=0.0))} |",
        f"| the target's flip | status_code | {_ms(percentile(after_flip, 0.5))} "
        f"| {_ms(percentile(after_flip, 0.99))} | {_ms(max(after_flip, default=0.0))} |",
    ]
    if missing:
        lines += ["", f"- {missing} flip(s) never showed on the API within the bench's wait."]
    return lines


def report(m: MonitorMeasurements) -> str:
    """The Markdown that goes between the monitor markers (and to stdout)."""
    mc, s, load = m.machine, m.schedule, m.load
    lines = [
        f"Measured {m.when} on loopback, one case after the other.",
        "",
        f"- Machine: {mc.nproc} CPUs ({mc.cpu_model}), Linux {mc.kernel}; shared with other work",
        f"- Python {mc.python}, nginx {mc.nginx}, wrk {mc.wrk}; SQLite databases in a temporary "
        "directory",
        "",
        *schedule_lines(s),
        *hang_lines(s),
        *load_lines(load),
        *flip_lines(m.flips),
        "",
        *(f"- **{'PASS' if v.passed else 'FAIL'}** {v.target}: {v.observed}" for v in verdicts(m)),
        "",
        f"CPU during each case (100% is one core busy all along; the machine has {mc.nproc}; "
        "bench is the bench process with its target server):",
        "",
        *cpu_table(
            [
                ("1. warm-up", s.warm_up.cpu),
                ("1./2. two measured cycles", s.cpu),
                ("3. baseline", load.baseline.cpu),
                ("3. with the worker", load.loaded.cpu),
                ("3. with the worker, unpinned", load.shared.cpu),
                ("4. flips", m.flips.cpu),
            ]
        ),
    ]
    notes = [*m.notes, *noise_notes(m)]
    if notes:
        lines += ["", *(f"- Note: {note}" for note in notes)]
    return "\n".join(lines) + "\n"


NOISY_SHARE = 0.10
"""Other processes using more than this share of one core make a window's figures suspect."""


def noise_notes(m: MonitorMeasurements) -> list[str]:
    windows = {
        "case 1/2": m.schedule.cpu,
        "the case 3 baseline": m.load.baseline.cpu,
        "case 3 with the worker": m.load.loaded.cpu,
        "case 3 unpinned": m.load.shared.cpu,
        "case 4": m.flips.cpu,
    }
    noisy = [
        f"{name} ({cpu.share(cpu.other_s)})"
        for name, cpu in windows.items()
        if cpu.window_s and cpu.other_s / cpu.window_s > NOISY_SHARE
    ]
    if not noisy:
        return []
    return [
        "other processes were busy during " + ", ".join(noisy) + "; those figures carry their "
        "share of the cores"
    ]


SECTION = """\
## Monitoring (issue 4)

`make bench` then measures the monitor (`scripts/bench_monitor.py`; `scripts/bench.py --only
monitor` runs it alone) and rewrites the block at the end of this section. Every server listens
on 127.0.0.1, every database is SQLite in a temporary directory, and every case stops by itself;
the four take three to four minutes.

### What is measured, and how

1. **1,000 HTTP checks every 30 s, one worker.** 50 items of 20 checks on a fresh database,
   one `status-dashboard worker --concurrency 100` (stats every 30 s). 950 checks ask nginx for
   a small static `/health`, 50 ask a target server in the bench process (case 2). Defined at
   once, all are due at once: that first cycle is the warm-up, reported apart, with its runs'
   lateness counted from the moment each check was defined. It ends once every check has run
   and none is more than 1 s overdue; from its first run on, each check runs on its own grid
   point of the interval. The next two full cycles (60 s) are measured: the runs are read back
   from the database by their due time (a run's `at`, when the worker started it, minus its
   grid point is its lateness), and the worker's CPU comes from `/proc/PID/stat`. The worker's
   own count, from its `monitor_stats` lines, is given beside.
2. **A hanging target holds up nobody.** In the first measured cycle the bench's target answers
   at once; in the second it accepts every request and never answers. Its 50 checks (timeout
   5 s) must end "timed out after 5 s", and the other 950 must start as on time as in the cycle
   before: none more than 1 s late, and a p99 within the worker's 0.2 s tick (the longest it
   waits between two looks for due checks, so lateness moves by that much from run to run
   whatever else happens).
3. **10,000 results per minute do not slow the public API.** `status-dashboard serve
   --no-monitor` on a database of 50 items and 1,000 checks every 6 s; wrk drives
   `GET /api/v1/dashboard` (the API bench's headers) for 15 s, after a 2 s warm-up, first alone,
   then while a worker runs those checks against nginx, and the results per minute are counted
   in the database. The rate is fixed and moderate (one wrk thread, 8 connections, each waiting
   5 ms after every answer): a saturating wrk would measure how the cores are shared between
   wrk, the server and the worker, not whether the results written to the store slow the API.
   For the same reason the server and wrk run pinned to one half of the CPUs and the worker to
   the other (`sched_setaffinity`): a CPU-bound worker would otherwise take turns with the server
   on both cores at the scheduler's whim. A third run with nothing pinned shows what that costs.
   The target is judged on the pinned run.
4. **A result that flips an item reaches the API within 1 s.** `status-dashboard serve` with its
   in-process monitor, one item with one HTTP check (every 1 s, timeout 0.5 s, fail and recover
   thresholds 1) on a target in the bench process that answers 200 or 503 as told. The bench
   flips it 20 times, at seeded random moments of the check's interval, and polls
   `GET /api/v1/dashboard` every 20 ms until the item's `status_code` follows. Measured from the
   end of the deciding result (the first result of the new outcome: its `at` plus its
   `duration_ms`, read from the database) to the poll that saw it, so up to one poll (20 ms) is
   the bench's own; and, for the whole path, from the flip itself, which adds the wait for the
   check's next run.

The machine is shared with other work: the CPU table shows what the worker, the server, nginx,
wrk, the bench and every other process used in each case, and a case during which other
processes were busy is flagged.

### Targets (issue 4)

- 1,000 checks every 30 s: one worker uses < 50% of one core, and no check starts more than 1 s
  late
- a hanging target holds up nobody: its checks end at their timeout, the others' lateness is
  unchanged
- 10,000 results per minute: the API's p99 at most 1 ms or 20% above the baseline, whichever is
  larger
- a result that flips an item is on the API within 1 s

### Latest figures

"""


def insert(document: str | None, block: str) -> str:
    """`document` with `block` between the monitor markers; the section is added at the end of
    a document that has no markers yet (or a new document made of it)."""
    if document is None:
        return f"{SECTION}{BEGIN}\n{block}{END}\n"
    head, found_begin, rest = document.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found_begin and found_end):
        return f"{document.rstrip()}\n\n{SECTION}{BEGIN}\n{block}{END}\n"
    return f"{head}{BEGIN}\n{block}{END}{tail}"
