"""Turns the bench's measurements into a Markdown report and judges them against the targets.

Pure functions of data, so the formatting is tested without running any server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench_wrk import WrkResult

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
SERVICE = "status-dashboard"
NGINX = "nginx"
CASES = ("200", "304")

# The targets of issue 2 (docs/adr/0001-http-stack.md).
MIN_SHARE_200 = 0.40
MAX_P99_200_MS = 5.0
MIN_SHARE_304 = 0.25
MAX_RSS_MB = 120.0
MAX_START_S = 2.0

_CASE_LABEL = {"200": "200 `GET /api/v1/dashboard`", "304": "304 `If-None-Match`"}


@dataclass(frozen=True)
class Machine:
    nproc: int
    cpu_model: str
    kernel: str
    python: str
    granian: str
    nginx: str
    wrk: str
    body_bytes: int


@dataclass(frozen=True)
class Run:
    case: str
    server: str
    result: WrkResult
    server_cpu_s: float
    """CPU the server under test used during the measured run (nginx: master and worker)."""
    other_cpu_s: float = 0.0
    """CPU every other process on the machine used meanwhile: noise in the figures."""


@dataclass(frozen=True)
class Measurements:
    machine: Machine
    when: str
    duration_s: int
    connections: int
    threads: int
    runs: Sequence[Run]
    rss_peak_kb: int
    """VmHWM of the service at the end of its 200 run: its peak resident set since start."""
    rss_sampled_max_kb: int
    start_s: float
    first_start_s: float | None = None
    """The start before the measured one, which may compile bytecode an install left out."""
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class Verdict:
    target: str
    passed: bool
    observed: str


def kb_to_mb(kb: int) -> float:
    """/proc's "kB" are KiB; the target is in MB of 10^6 bytes, the stricter reading."""
    return kb * 1024 / 1_000_000


def find(runs: Sequence[Run], case: str, server: str) -> Run:
    for run in runs:
        if run.case == case and run.server == server:
            return run
    raise KeyError((case, server))


def share(runs: Sequence[Run], case: str) -> float:
    """The service's req/s as a fraction of nginx's for one case."""
    nginx = find(runs, case, NGINX).result.requests_per_s
    return find(runs, case, SERVICE).result.requests_per_s / nginx if nginx else 0.0


def clean(result: WrkResult) -> bool:
    """No error status and no failed request; connect errors are wrk's start-up retries."""
    return result.non_2xx_3xx == 0 and result.socket_errors.beyond_connect == 0


def verdicts(m: Measurements) -> list[Verdict]:
    service_200 = find(m.runs, "200", SERVICE).result
    share_200, share_304 = share(m.runs, "200"), share(m.runs, "304")
    dirty = [f"{r.case}/{r.server}" for r in m.runs if not clean(r.result)]
    rss_mb = kb_to_mb(m.rss_peak_kb)
    return [
        Verdict(
            f"200 path ≥ {MIN_SHARE_200:.0%} of nginx req/s",
            share_200 >= MIN_SHARE_200,
            f"{share_200:.0%}",
        ),
        Verdict(
            f"200 path p99 < {MAX_P99_200_MS:g} ms at {m.connections} connections",
            service_200.p99_ms < MAX_P99_200_MS,
            f"{service_200.p99_ms:.2f} ms",
        ),
        Verdict(
            f"304 path ≥ {MIN_SHARE_304:.0%} of nginx's 304 rate",
            share_304 >= MIN_SHARE_304,
            f"{share_304:.0%}",
        ),
        Verdict(f"RSS peak < {MAX_RSS_MB:g} MB", rss_mb < MAX_RSS_MB, f"{rss_mb:.1f} MB"),
        Verdict(f"start < {MAX_START_S:g} s", m.start_s < MAX_START_S, f"{m.start_s:.2f} s"),
        Verdict(
            "no non-2xx/3xx responses, no socket errors beyond connect",
            not dirty,
            "clean" if not dirty else "errors in " + ", ".join(dirty),
        ),
    ]


def results_table(runs: Sequence[Run]) -> list[str]:
    lines = [
        "| case | server | req/s | p50 ms | p99 ms | vs nginx |",
        "|------|--------|------:|-------:|-------:|---------:|",
    ]
    for case in CASES:
        nginx_rate = find(runs, case, NGINX).result.requests_per_s
        for server in (SERVICE, NGINX):
            r = find(runs, case, server).result
            vs = f"{r.requests_per_s / nginx_rate:.0%}" if nginx_rate else "n/a"
            lines.append(
                f"| {_CASE_LABEL[case]} | {server} | {r.requests_per_s:,.0f} "
                f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} | {vs} |"
            )
    return lines


def errors_lines(runs: Sequence[Run]) -> list[str]:
    """One line per run that saw error statuses or socket errors (connect retries included)."""
    lines = []
    for run in runs:
        r, s = run.result, run.result.socket_errors
        if r.non_2xx_3xx or s.connect or s.beyond_connect:
            lines.append(
                f"- {run.case}/{run.server}: {r.non_2xx_3xx} non-2xx/3xx of {r.requests:,}; "
                f"socket errors connect {s.connect}, read {s.read}, write {s.write}, "
                f"timeout {s.timeout}"
            )
    return lines


def cpu_table(m: Measurements) -> list[str]:
    """Who used the cores during each measured run; 100 % is one core busy all along."""
    lines = [
        "| case | server | server CPU | wrk CPU | other processes |",
        "|------|--------|-----------:|--------:|----------------:|",
    ]
    for case in CASES:
        for server in (SERVICE, NGINX):
            run = find(m.runs, case, server)
            lines.append(
                f"| {case} | {server} | {run.server_cpu_s / m.duration_s:.0%} "
                f"| {run.result.cpu_s / m.duration_s:.0%} "
                f"| {run.other_cpu_s / m.duration_s:.0%} |"
            )
    return lines


NOISY_SHARE = 0.10
"""Other processes using more than this share of one core make a run's figures suspect."""


def noise_notes(m: Measurements) -> list[str]:
    noisy = [r for r in m.runs if r.other_cpu_s / m.duration_s > NOISY_SHARE]
    if not noisy:
        return []
    which = ", ".join(f"{r.case}/{r.server}" for r in noisy)
    return [f"other processes were busy during {which}; those figures are low by an unknown amount"]


def machine_lines(m: Measurements) -> list[str]:
    mc = m.machine
    return [
        f"Measured {m.when} with `wrk -t{m.threads} -c{m.connections} -d{m.duration_s}s "
        f"--latency`, after a 2 s warm-up, one server at a time, on loopback.",
        "",
        f"- Machine: {mc.nproc} CPUs ({mc.cpu_model}), Linux {mc.kernel}; wrk shares the cores",
        f"- Python {mc.python}, Granian {mc.granian}, nginx {mc.nginx}, wrk {mc.wrk}",
        f"- Body: {mc.body_bytes:,} bytes of JSON, identity encoding, the same bytes on both",
    ]


def report(m: Measurements) -> str:
    """The Markdown that goes between the markers (and to stdout)."""
    service_rss = kb_to_mb(m.rss_sampled_max_kb)
    lines = [*machine_lines(m), "", *results_table(m.runs), ""]
    lines += [
        f"- RSS peak (VmHWM) of the service: {kb_to_mb(m.rss_peak_kb):.1f} MB "
        f"(highest VmRSS sampled during the 200 run: {service_rss:.1f} MB)",
        f"- Start time (process start to the first 200 on `/health`, fresh SQLite database, "
        f"migrations and demo catalog included): {m.start_s:.2f} s{first_start(m)}",
        "",
        *(f"- **{'PASS' if v.passed else 'FAIL'}** {v.target}: {v.observed}" for v in verdicts(m)),
    ]
    errors = errors_lines(m.runs)
    if errors:
        lines += ["", "Errors seen by wrk:", "", *errors]
    lines += [
        "",
        f"CPU during the measured runs (100% is one core busy all along; "
        f"the machine has {m.machine.nproc}):",
        "",
        *cpu_table(m),
    ]
    notes = [*m.notes, *noise_notes(m)]
    if notes:
        lines += ["", *(f"- Note: {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def first_start(m: Measurements) -> str:
    if m.first_start_s is None:
        return ""
    return (
        f" (the first start before it: {m.first_start_s:.2f} s; it may include compiling "
        "bytecode an install or an edit left stale)"
    )


def failed(m: Measurements) -> list[Verdict]:
    return [v for v in verdicts(m) if not v.passed]


INTRO = f"""\
# Performance

`make bench` (`scripts/bench.py`) measures the public API of one `status-dashboard serve`
process against nginx serving the very same bytes, on the same machine, and rewrites the block
below.

## What is measured, and how

- The service is started as in production, `status-dashboard serve --demo` on a fresh SQLite
  database in a temporary directory: it migrates, loads the demo catalog and serves.
- The reference is nginx with one worker, `access_log off`, serving the JSON the service
  answered to `GET /api/v1/dashboard` (identity encoding) as a static file, with nginx's
  default ETag.
- wrk drives each server in turn, never both at once, after a 2 s warm-up:
  - **200**: `GET /api/v1/dashboard` with `Accept: application/json` and
    `User-Agent: benchClient/1.0 wrk/4.1.0`;
  - **304**: the same plus `If-None-Match` with the ETag that server gave.
- The service's resident memory is read from `/proc/PID/status` (VmRSS sampled during the 200
  run, VmHWM for the peak); its start time runs from process start to the first 200 on
  `/health`. The service is started once before, on its own database, and that first start is
  reported beside: it may compile bytecode that an install or an edit left stale.
- A run that sees a non-2xx/3xx status or a failed request is reported, not hidden.
- The block names the machine it ran on; wrk runs on the same cores as the server under test,
  so the figures are a comparison with nginx more than an absolute capacity. Its CPU table
  shows how the cores were shared between the server, wrk and every other process; a run
  during which other processes were busy is flagged, as its figures are low.

## Targets (issue 2)

- 200 path ≥ {MIN_SHARE_200:.0%} of nginx's req/s, with p99 < {MAX_P99_200_MS:g} ms at 64 connections
- 304 path ≥ {MIN_SHARE_304:.0%} of nginx's 304 rate
- RSS < {MAX_RSS_MB:g} MB (10^6 bytes)
- start < {MAX_START_S:g} s

## Latest figures

"""


def insert(document: str | None, block: str) -> str:
    """`document` with `block` between the markers; a new document when there is none."""
    if document is None:
        return f"{INTRO}{BEGIN}\n{block}{END}\n"
    head, found_begin, rest = document.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found_begin and found_end):
        # Keep what others wrote and append the block rather than guess where it goes.
        return f"{document.rstrip()}\n\n{BEGIN}\n{block}{END}\n"
    return f"{head}{BEGIN}\n{block}{END}{tail}"
