"""`make bench`: the public API of one service process against nginx serving the same bytes,
then the monitor (bench_monitor).

Starts `status-dashboard serve --demo` on a fresh SQLite database, then nginx with the JSON the
service answered, and drives each in turn with wrk on the 200 and the 304 path. Prints a
Markdown table and writes it into docs/performance.md (docs/performance.md says what is measured).
The monitor's cases follow, then the status pages (bench_pages: each page's first HTML response
and a first visit's weight), 5,000 live-update (SSE) streams, the SDK's parsing, and the
simulator (1,000 polling clients and a memory soak), two replicas on PostgreSQL behind nginx
(bench_scale), hostile monitored services against the public API (bench_hostile), and ten
minutes of mixed load against one process's memory (bench_memory), each
with its own block in the same document; `--only` runs one part.
Exits 0 whether or not the targets are met: a missed target is a measurement, printed as FAIL.
Exits 1 when the bench itself cannot run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import bench_hostile
import bench_memory
import bench_monitor
import bench_monitor_report as mrep
import bench_nginx
import bench_pages
import bench_procs as procs
import bench_report as rep
import bench_scale
import bench_sdk
import bench_simulator
import bench_sse
import bench_wrk as wrk
from bench_procs import DASHBOARD_PATH, DOC, ROOT, SERVICE_BIN, BenchSetupError

WARM_UP_S = 2
HEADERS = {"Accept": "application/json", "User-Agent": "benchClient/1.0 wrk/4.1.0"}
# nginx lives in /usr/sbin, which is not on every user's PATH.
_TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


@dataclass(frozen=True)
class Target:
    """One server, up and answering, and what it told us about its dashboard."""

    name: str
    port: int
    pid: int
    etag: str
    tree_cpu: bool
    """Count the children's CPU too: nginx serves from a worker under its master."""


@dataclass
class Sampled:
    """The service's memory, filled in while its 200 run goes on."""

    peak_kb: int = 0
    sampled_max_kb: int = 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument(
        "--only",
        choices=(
            "api",
            "monitor",
            "pages",
            "sse",
            "simulator",
            "sdk",
            "scale",
            "hostile",
            "memory",
        ),
        help="run the API, the monitor, the status pages, the live-update (SSE), the simulator, "
        "the SDK, the scale (two replicas on PostgreSQL behind nginx) or the memory (ten "
        "minutes of mixed load) cases alone",
    )
    parser.add_argument(
        "--soak-seconds",
        type=float,
        default=bench_simulator.SOAK_S,
        help="length of the simulator's memory soak",
    )
    return parser.parse_args(argv)


# --- tools -------------------------------------------------------------------------------------


def ensure_tools() -> tuple[str, str]:
    """Paths of nginx and wrk, installed from Debian packages when missing and we are root."""
    missing = [name for name in ("nginx", "wrk") if shutil.which(name, path=_TOOL_PATH) is None]
    if missing:
        if os.geteuid() != 0:
            raise BenchSetupError(
                f"{' and '.join(missing)} not installed, and installing needs root: "
                "run `sudo apt-get update -qq && sudo apt-get install -y -qq nginx wrk`"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nginx", "wrk"], check=True, env=env)
    nginx, wrk_bin = (shutil.which(n, path=_TOOL_PATH) for n in ("nginx", "wrk"))
    if nginx is None or wrk_bin is None:
        raise BenchSetupError("nginx or wrk still missing after apt-get install")
    return nginx, wrk_bin


def tool_version(args: list[str]) -> str:
    """The version in a tool's banner: "nginx version: nginx/1.22.1" -> "1.22.1",
    "wrk debian/4.1.0-3+b2 [epoll] ..." -> "4.1.0-3+b2". nginx prints it on stderr."""
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    banner = (done.stdout + done.stderr).splitlines()
    for word in banner[0].split() if banner else []:
        if any(c.isdigit() for c in word):
            return word.rpartition("/")[2]
    return "unknown"


def machine(nginx: str, wrk_bin: str, body_bytes: int) -> rep.Machine:
    cpu_model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.partition(":")[2].strip()
            break
    return rep.Machine(
        nproc=len(os.sched_getaffinity(0)),
        cpu_model=cpu_model,
        kernel=platform.release(),
        python=platform.python_version(),
        granian=importlib.metadata.version("granian"),
        nginx=tool_version([nginx, "-v"]),
        wrk=tool_version([wrk_bin, "--version"]),
        body_bytes=body_bytes,
    )


# --- one server at a time ----------------------------------------------------------------------


def dashboard(port: int, etag: str | None = None) -> procs.Response:
    headers = {**HEADERS, "Accept-Encoding": "identity"}
    if etag is not None:
        headers["If-None-Match"] = etag
    return procs.get(port, DASHBOARD_PATH, headers)


def first_answer(name: str, port: int) -> procs.Response:
    answer = dashboard(port)
    if answer.status != 200 or "etag" not in answer.headers:
        raise BenchSetupError(f"{name} answered {answer.status} without a usable ETag")
    return answer


def measure_cases(
    target: Target, wrk_bin: str, load: wrk.Load, memory: Sampled | None
) -> list[rep.Run]:
    """Warm up, then measure the 200 and the 304 path of one server."""
    url = f"http://{procs.HOST}:{target.port}{DASHBOARD_PATH}"
    runs = []
    for case, headers in (("200", HEADERS), ("304", {**HEADERS, "If-None-Match": target.etag})):
        print(f"bench: {target.name} {case}: warm-up {WARM_UP_S}s, run {load.duration_s}s")
        wrk.run(wrk_bin, url, headers, wrk.Load(WARM_UP_S, load.connections, load.threads))
        cpu = procs.tree_cpu_s if target.tree_cpu else procs.cpu_s
        before, busy_before = cpu(target.pid), procs.system_busy_s()
        if case == "200" and memory is not None:
            result = _run_sampled(target.pid, memory, wrk_bin, url, headers, load)
        else:
            result = wrk.run(wrk_bin, url, headers, load)
        server_cpu = cpu(target.pid) - before
        other = procs.system_busy_s() - busy_before - server_cpu - result.cpu_s
        runs.append(rep.Run(case, target.name, result, server_cpu, max(other, 0.0)))
    return runs


def _run_sampled(
    pid: int, into: Sampled, wrk_bin: str, url: str, headers: dict[str, str], load: wrk.Load
) -> wrk.WrkResult:
    with procs.RssSampler(pid) as sampler:
        result = wrk.run(wrk_bin, url, headers, load)
    into.sampled_max_kb = max(sampler.samples_kb, default=0)
    # The kernel folds per-thread RSS counters in lazily, so a sample can top VmHWM slightly.
    into.peak_kb = max(procs.status_kb(pid, "VmHWM"), into.sampled_max_kb)
    return result


@dataclass
class ServiceOutcome:
    runs: list[rep.Run]
    body: bytes
    start_s: float
    first_start_s: float
    memory: Sampled
    notes: list[str]


def service_command(tmp: Path, port: int, db_name: str) -> list[str]:
    args = [str(SERVICE_BIN), "serve", "--demo", "--host", procs.HOST, "--port", str(port)]
    return [*args, "--database", f"sqlite:///{tmp / db_name}"]


def first_start(tmp: Path) -> float:
    """Start and stop the service once, on its own database, and return how long it took.

    The first import after an install or an edit compiles bytecode (uv installs none), which
    says nothing of a restart; the measured start is the next one, and this one is reported
    beside it.
    """
    port = procs.free_port()
    log = tmp / "first-start.log"
    with procs.running(service_command(tmp, port, "first-start.db"), log) as (proc, started):
        try:
            return procs.wait_for_200(port, "/health", proc, started)
        except BenchSetupError:
            print(f"bench: {rep.SERVICE} log tail:\n{procs.log_tail(log)}", file=sys.stderr)
            raise


def bench_service(tmp: Path, wrk_bin: str, load: wrk.Load) -> ServiceOutcome:
    first_start_s = first_start(tmp)
    port = procs.free_port()
    log = tmp / "service.log"
    print(f"bench: starting {rep.SERVICE} on port {port}")
    with procs.running(service_command(tmp, port, "bench.db"), log) as (proc, started):
        try:
            start_s = procs.wait_for_200(port, "/health", proc, started)
            answer = first_answer(rep.SERVICE, port)
            etag = answer.headers["etag"]
            notes = service_notes(proc.pid, port, etag)
            memory = Sampled()
            target = Target(rep.SERVICE, port, proc.pid, etag, tree_cpu=False)
            runs = measure_cases(target, wrk_bin, load, memory)
            after = dashboard(port).headers.get("etag")
            if after != etag:
                notes.append(f"the service's ETag changed during the runs ({etag} -> {after})")
        except BenchSetupError:
            print(f"bench: {rep.SERVICE} log tail:\n{procs.log_tail(log)}", file=sys.stderr)
            raise
    return ServiceOutcome(runs, answer.body, start_s, first_start_s, memory, notes)


def service_notes(pid: int, port: int, etag: str) -> list[str]:
    """Anything about the service that would make the figures mean something else."""
    notes = []
    status = dashboard(port, etag).status
    if status != 304:
        notes.append(f"the service answered {status}, not 304, to its own ETag")
    kids = procs.children(pid)
    if kids:
        notes.append(f"the service runs {len(kids)} child process(es); RSS is the parent's only")
    return notes


def bench_nginx_static(nginx: str, wrk_bin: str, load: wrk.Load, body: bytes) -> list[rep.Run]:
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as name:
        prefix = Path(name)
        port = procs.free_port()
        conf = bench_nginx.write_site(prefix, port, body)
        print(f"bench: starting nginx on port {port}")
        command = bench_nginx.command(nginx, prefix, conf)
        with procs.running(command, prefix / "stderr.log") as (proc, started):
            try:
                procs.wait_for_200(port, DASHBOARD_PATH, proc, started)
                answer = first_answer(rep.NGINX, port)
                if answer.body != body:
                    raise BenchSetupError("nginx does not serve the service's bytes")
                etag = answer.headers["etag"]
                if dashboard(port, etag).status != 304:
                    raise BenchSetupError("nginx does not answer 304 to its own ETag")
                target = Target(rep.NGINX, port, proc.pid, etag, tree_cpu=True)
                return measure_cases(target, wrk_bin, load, None)
            except BenchSetupError:
                tail = procs.log_tail(prefix / "nginx-error.log")
                print(f"bench: nginx error log tail:\n{tail}", file=sys.stderr)
                raise


# --- main --------------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> rep.Measurements:
    nginx, wrk_bin = ensure_tools()
    load = wrk.Load(args.duration, args.connections, args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-service-") as name:
        service = bench_service(Path(name), wrk_bin, load)
    nginx_runs = bench_nginx_static(nginx, wrk_bin, load, service.body)
    return rep.Measurements(
        machine=machine(nginx, wrk_bin, len(service.body)),
        when=time.strftime("%Y-%m-%d %H:%M %Z"),
        duration_s=load.duration_s,
        connections=load.connections,
        threads=load.threads,
        runs=[*service.runs, *nginx_runs],
        rss_peak_kb=service.memory.peak_kb,
        rss_sampled_max_kb=service.memory.sampled_max_kb,
        start_s=service.start_s,
        first_start_s=service.first_start_s,
        notes=service.notes,
    )


def publish(measurements: rep.Measurements, write: bool) -> None:
    block = rep.report(measurements)
    print("\n" + block)
    if write:
        existing = DOC.read_text() if DOC.exists() else None
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(rep.insert(existing, block))
        print(f"bench: wrote {DOC.relative_to(ROOT)}")
    for verdict in rep.failed(measurements):
        print(f"bench: TARGET FAILED: {verdict.target}: {verdict.observed}")


def bench_monitoring() -> mrep.MonitorMeasurements:
    nginx, wrk_bin = ensure_tools()
    # The monitor serves no dashboard body of its own: the machine line leaves it out.
    return bench_monitor.bench(nginx, wrk_bin, machine(nginx, wrk_bin, 0), HEADERS)


def publish_monitoring(measurements: mrep.MonitorMeasurements, write: bool) -> None:
    block = mrep.report(measurements)
    print("\n" + block)
    if write:
        existing = DOC.read_text() if DOC.exists() else None
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(mrep.insert(existing, block))
        print(f"bench: wrote {DOC.relative_to(ROOT)}")
    for verdict in mrep.failed(measurements):
        print(f"bench: TARGET FAILED: {verdict.target}: {verdict.observed}")


SDK_SECTION = "## Partner SDK (issue 7)"
SDK_BEGIN, SDK_END = "<!-- bench-sdk:begin -->", "<!-- bench-sdk:end -->"
_SDK_INTRO = (
    "`scripts/bench_sdk.py` times `Dashboard.parse` on a 1,000-item dashboard (50 groups of 20).\n"
    "Target (issue 7): under 5 ms.\n"
)


def publish_sdk(write: bool) -> str:
    """The SDK's parsing time, in its own marked block of docs/performance.md."""
    block, passed = bench_sdk.measure()
    if write:
        procs.put_block(DOC, (SDK_BEGIN, SDK_END), block, SDK_SECTION, _SDK_INTRO)
    if not passed:
        print("bench: TARGET FAILED: parsing the large dashboard with the SDK under 5 ms")
    return block


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.only in (None, "api"):
            publish(bench(args), write=not args.no_write)
        if args.only in (None, "monitor"):
            publish_monitoring(bench_monitoring(), write=not args.no_write)
        if args.only in (None, "pages"):
            print("\n" + bench_pages.run(write_doc=not args.no_write))
        if args.only in (None, "sse"):
            print("\n" + bench_sse.run(write_doc=not args.no_write))
        if args.only in (None, "sdk"):
            print("\n" + publish_sdk(write=not args.no_write))
        if args.only in (None, "simulator"):
            block = bench_simulator.run(write_doc=not args.no_write, soak_s=args.soak_seconds)
            print("\n" + block)
        if args.only in (None, "scale"):
            print("\n" + bench_scale.run(write_doc=not args.no_write))
        if args.only in (None, "hostile"):
            print("\n" + bench_hostile.run(write_doc=not args.no_write))
        if args.only in (None, "memory"):
            print("\n" + bench_memory.run(write_doc=not args.no_write))
    except (BenchSetupError, wrk.WrkError, subprocess.CalledProcessError, OSError) as exc:
        print(f"bench: could not run: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
