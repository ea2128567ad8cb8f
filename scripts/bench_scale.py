"""The scale bench: two replicas on PostgreSQL behind nginx, under wrk, while an operator writes.

Creates a database of its own on the machine's PostgreSQL (`bench_scale_<random>`, dropped at
the end), migrates it and loads the demo catalog once, then starts two `status-dashboard serve
--no-monitor` replicas on it (production defaults: each holds its own snapshot and learns of
the other's writes by LISTEN/NOTIFY) and one nginx on loopback in front of them. Then:

1. the same wrk load on `GET /api/v1/dashboard` (200, then 304) on replica A directly, through
   nginx to replica A alone, through nginx to both, and through nginx to both with its cache on;
2. wrk through nginx to both (cache off, so every request reaches a replica) in back-to-back
   runs of 20 s, alternately plain and conditional (each connection sends the last ETag it was
   given), while an operator changes one item every second through the admin API, on replica A
   and B in turn, and for each change times, on every replica's own port, how long after the
   write's answer the replica serves the new body.

Prints a Markdown block and writes it into docs/performance.md between its markers.
`run()` measures, writes the block (unless told not to) and returns it; `main()` is the command.
nginx's configuration is in bench_scale_nginx, the operator in bench_scale_operator, the
figures, verdicts and block in bench_scale_report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import bench_nginx
import bench_procs as procs
import bench_scale_nginx as site
import bench_wrk as wrk
from bench_procs import DASHBOARD_PATH, DOC, HOST, SERVICE_BIN, BenchSetupError
from bench_scale_operator import SEEN_LIMIT_S, WRITE_LIMIT_S, Change, first_item, operate
from bench_scale_report import (
    CACHED,
    CONDITIONAL,
    DIRECT,
    INTRO,
    ONE,
    PLAIN,
    REPLICAS,
    TRACKING,
    TWO,
    TWO_PINNED,
    Cpu,
    Figures,
    LoadRun,
    render,
    verdicts,
)
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from status_dashboard.bootstrap import demo_catalog_path
from status_dashboard.store.engine import create_engine_for, parse_url

SECTION = "## Scale: two replicas on PostgreSQL behind nginx"
BEGIN, END = "<!-- bench-scale:begin -->", "<!-- bench-scale:end -->"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HEADERS = {"Accept": "application/json", "User-Agent": "benchClient/1.0 wrk/4.1.0"}
# nginx lives in /usr/sbin, which is not on every user's PATH.
_TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

COMPARE_LOAD = wrk.Load(duration_s=10, connections=64, threads=2)
OPERATOR_LOAD = wrk.Load(duration_s=20, connections=64, threads=2)
OPERATOR_RUNS = 6
"""Back-to-back wrk runs while the operator writes: 120 s, so well over 100 changes."""
COMPARE_ROUNDS = 3
"""Turns of one replica and two in part 1: a median of three sets them apart from one run's
luck on a machine whose spare CPU moves from minute to minute."""
WARM_UP_S = 2

__all__ = ["main", "measure", "render", "run", "write"]


# --- the database ------------------------------------------------------------------------------


@contextmanager
def scratch_database(server: Engine, server_url: str) -> Iterator[str]:
    """A new database on the server, dropped afterwards (with whatever still holds it)."""
    name = f"bench_scale_{secrets.token_hex(4)}"
    admin = server.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # CREATE/DROP DATABASE cannot run in a transaction
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parse_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _cli(database_url: str, *args: str) -> str:
    done = subprocess.run(
        [str(SERVICE_BIN), *args, "--database", database_url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchSetupError(f"status-dashboard {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def prepare(database_url: str) -> str:
    """Migrate, load the demo catalog and make an operator token (returned), once for both."""
    _cli(database_url, "db", "upgrade")
    _cli(database_url, "catalog", "load", str(demo_catalog_path()))
    return _cli(database_url, "token", "create", "--name", "bench-operator", "--role", "operator")


def backends(server: Engine, database: str) -> list[int]:
    """The PostgreSQL processes serving the bench's database (the replicas' sessions)."""
    query = text("SELECT pid FROM pg_stat_activity WHERE datname = :name")
    with server.connect() as connection:
        return [int(row.pid) for row in connection.execute(query, {"name": database})]


# --- CPU per process ---------------------------------------------------------------------------


def _cpu_of(pids: Sequence[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with suppress(OSError, ValueError, IndexError):  # gone meanwhile: a session closed
            found[pid] = procs.cpu_s(pid)
    return found


def _rusage_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Measures a window: the named process groups (each a callable giving its pids now), wrk
    (this process's reaped children), the bench itself, and everything else on the machine."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self._groups = groups

    @contextmanager
    def window(self, into: list[Cpu]) -> Iterator[None]:
        before = {name: _cpu_of(pids()) for name, pids in self._groups.items()}
        children, own = _rusage_s(resource.RUSAGE_CHILDREN), _rusage_s(resource.RUSAGE_SELF)
        busy, started = procs.system_busy_s(), time.monotonic()
        yield
        seconds = {}
        for name, pids in self._groups.items():
            now = _cpu_of(pids())
            # A process new in the window (a pooled session) counts from its start.
            seconds[name] = sum(cpu - before[name].get(pid, 0.0) for pid, cpu in now.items())
        seconds["wrk"] = _rusage_s(resource.RUSAGE_CHILDREN) - children
        seconds["bench"] = _rusage_s(resource.RUSAGE_SELF) - own
        seconds["other"] = max(0.0, procs.system_busy_s() - busy - sum(seconds.values()))
        into.append(Cpu(time.monotonic() - started, seconds))


def process_tree(pid: int) -> Callable[[], list[int]]:
    def pids() -> list[int]:
        try:
            return [pid, *procs.children(pid)]
        except OSError:
            return [pid]

    return pids


# --- wrk ---------------------------------------------------------------------------------------

# Each connection keeps the last ETag it was given and sends it, as a polling partner does.
# wrk gives each thread its own Lua state; the connections of a thread share the variable.
_TRACKING_SCRIPT = """\
local etag = nil
request = function()
  if etag then return wrk.format(nil, nil, {["If-None-Match"] = etag}) end
  return wrk.format()
end
response = function(status, headers, body)
  local seen = headers["etag"] or headers["ETag"]
  if seen then etag = seen end
end
"""


def run_wrk(
    wrk_bin: str, port: int, headers: dict[str, str], load: wrk.Load, script: Path | None = None
) -> wrk.WrkResult:
    url = f"http://{HOST}:{port}{DASHBOARD_PATH}"
    if script is None:
        return wrk.run(wrk_bin, url, headers, load)
    args = wrk.command(wrk_bin, url, headers, load)
    args[-1:-1] = ["-s", str(script)]  # before the URL
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=load.duration_s + 30, check=False
        )
    except subprocess.TimeoutExpired:
        raise wrk.WrkError(f"wrk did not finish within {load.duration_s}s + margin") from None
    if done.returncode != 0:
        raise wrk.WrkError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return wrk.parse_report(done.stdout)


# --- the measurement ---------------------------------------------------------------------------


def load_average() -> tuple[float, ...]:
    return tuple(float(n) for n in Path("/proc/loadavg").read_text().split()[:3])


def _tools() -> tuple[str, str]:
    found = [shutil.which(name, path=_TOOL_PATH) for name in ("nginx", "wrk")]
    nginx, wrk_bin = found
    if nginx is None or wrk_bin is None:
        raise BenchSetupError("nginx and wrk are needed: `apt-get install nginx wrk`")
    return nginx, wrk_bin


def _version(args: list[str]) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    words = (done.stdout + done.stderr).split()
    return next((w.rpartition("/")[2] for w in words if any(c.isdigit() for c in w)), "unknown")


def _machine(nginx: str, wrk_bin: str, server: Engine) -> str:
    with server.connect() as connection:
        postgres = str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    model = next(
        (
            line.partition(":")[2].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return (
        f"{len(os.sched_getaffinity(0))} CPUs ({model}), Linux {platform.release()}; "
        f"Python {platform.python_version()}, PostgreSQL {postgres}, "
        f"nginx {_version([nginx, '-v'])}, wrk {_version([wrk_bin, '--version'])}"
    )


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Settings the replicas inherit, for as long as they start."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _start_replica(stack: ExitStack, tmp: Path, name: str, database_url: str) -> tuple[int, int]:
    port = procs.free_port()
    log = tmp / f"replica-{name}.log"
    command = [str(SERVICE_BIN), "serve", "--no-monitor", "--host", HOST, "--port", str(port)]
    proc, started = stack.enter_context(procs.running([*command, "--database", database_url], log))
    try:
        procs.wait_for_200(port, "/health", proc, started)
    except BenchSetupError as exc:
        raise BenchSetupError(f"replica {name}: {exc}\n{procs.log_tail(log)}") from exc
    return port, proc.pid


def _listener_states(ports: Sequence[int]) -> list[str]:
    states = []
    for port in ports:
        details = json.loads(procs.get(port, "/health").body).get("details", {})
        states.append(str((details.get("listener") or {}).get("status", "none")))
    return states


def _wait_for_listeners(ports: Sequence[int], limit_s: float = 15.0) -> list[str]:
    deadline = time.monotonic() + limit_s
    states = _listener_states(ports)
    while any(state != "UP" for state in states) and time.monotonic() < deadline:
        time.sleep(0.1)
        states = _listener_states(ports)
    return states


def _start_front(
    stack: ExitStack, tmp: Path, nginx: str, ports: Sequence[int]
) -> tuple[site.Front, int]:
    """nginx in front of the replicas, checked; its three ways in and its master's pid."""
    front = site.Front(procs.free_port(), procs.free_port(), procs.free_port())
    conf = tmp / "nginx.conf"
    conf.write_text(site.config(tmp, (ports[0], ports[1]), front))
    proc, started = stack.enter_context(
        procs.running(bench_nginx.command(nginx, tmp, conf), tmp / "nginx.out")
    )
    try:
        procs.wait_for_200(front.two, "/health", proc, started)
    except BenchSetupError as exc:
        raise BenchSetupError(f"{exc}\n{procs.log_tail(tmp / 'nginx-error.log')}") from exc
    return front, proc.pid


# --- cores -------------------------------------------------------------------------------------


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of `pid` on `cpus` from now on, as `taskset -a -p` does; threads it starts
    later inherit the set of the thread that starts them."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(tid), cpus)


class Cores:
    """Where the replicas run: anywhere (the deployment's way), or a core each."""

    def __init__(self, replica_pids: Sequence[int]) -> None:
        self._pids = replica_pids
        self._all = sorted(os.sched_getaffinity(0))

    def one_each(self) -> None:
        for index, pid in enumerate(self._pids):
            pin(pid, {self._all[index % len(self._all)]})

    def anywhere(self) -> None:
        for pid in self._pids:
            pin(pid, set(self._all))


# --- the two parts -----------------------------------------------------------------------------


def _load_run(
    wrk_bin: str, meter: Meter, setup: str, port: int, case: str, headers: dict[str, str]
) -> LoadRun:
    print(f"bench_scale: {setup}, {case}: warm-up {WARM_UP_S}s, {COMPARE_LOAD.duration_s}s")
    run_wrk(wrk_bin, port, headers, wrk.Load(WARM_UP_S, 64, 2))
    cpu: list[Cpu] = []
    with meter.window(cpu):
        result = run_wrk(wrk_bin, port, headers, COMPARE_LOAD)
    return LoadRun(setup, case, result, cpu[0])


def _compare(
    wrk_bin: str, meter: Meter, front: site.Front, direct_port: int, cores: Cores, etag: str
) -> list[LoadRun]:
    """Part 1: the same load on each way in, 200 then 304; one replica and two take turns, so
    the machine's drift from minute to minute falls on both alike."""
    # Each setup with the cores it runs on, in the order they run.
    turns = [(ONE, front.one, cores.anywhere), (TWO, front.two, cores.anywhere)]
    order = [
        (DIRECT, direct_port, cores.anywhere),
        *(turn for _ in range(COMPARE_ROUNDS) for turn in turns),
        (TWO_PINNED, front.two, cores.one_each),
        (CACHED, front.cached, cores.anywhere),
    ]
    runs = []
    for case, headers in ((PLAIN, HEADERS), (CONDITIONAL, {**HEADERS, "If-None-Match": etag})):
        for setup, port, place in order:
            place()
            runs.append(_load_run(wrk_bin, meter, setup, port, case, headers))
    return runs


def _under_writes(
    wrk_bin: str, meter: Meter, port: int, replicas: Sequence[int], token: str, tmp: Path
) -> tuple[list[LoadRun], Cpu, list[Change]]:
    """Part 2: wrk on `port` in back-to-back runs while the operator writes on `replicas`."""
    script = tmp / "keep-etag.lua"
    script.write_text(_TRACKING_SCRIPT)
    item_id = first_item(replicas[0])
    run_wrk(wrk_bin, port, HEADERS, wrk.Load(WARM_UP_S, 64, 2))
    runs: list[LoadRun] = []
    whole: list[Cpu] = []
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool, meter.window(whole):
        operator = pool.submit(operate, replicas, token, item_id, stop)
        try:
            for number in range(1, OPERATOR_RUNS + 1):
                case, used = (PLAIN, None) if number % 2 else (TRACKING, script)
                print(
                    f"bench_scale: under writes, run {number}, {case}: {OPERATOR_LOAD.duration_s}s"
                )
                cpu: list[Cpu] = []
                with meter.window(cpu):
                    result = run_wrk(wrk_bin, port, HEADERS, OPERATOR_LOAD, used)
                runs.append(LoadRun(f"run {number}", case, result, cpu[0]))
                if operator.done():
                    break  # it failed: its exception is raised below
        finally:
            stop.set()
        changes = operator.result(timeout=WRITE_LIMIT_S + SEEN_LIMIT_S + 30)
    return runs, whole[0], changes


def measure(server_url: str = POSTGRES_URL) -> Figures:
    """Set everything up, run both parts, and take it all down again, the database too."""
    nginx, wrk_bin = _tools()
    figures = Figures(compare_s=COMPARE_LOAD.duration_s, operator_s=OPERATOR_LOAD.duration_s)
    figures.load_before = load_average()
    server = create_engine_for(server_url)
    try:
        figures.machine = _machine(nginx, wrk_bin, server)
        with (
            tempfile.TemporaryDirectory(prefix="bench-scale-") as directory,
            scratch_database(server, server_url) as database_url,
            ExitStack() as stack,
        ):
            _measure_on(figures, server, database_url, Path(directory), stack, (nginx, wrk_bin))
    except SQLAlchemyError as exc:
        # One line of the driver's reason: the URL may hold a password, the reason does not.
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise BenchSetupError(f"PostgreSQL: {reason}") from exc
    finally:
        server.dispose()
    figures.load_after = load_average()
    return figures


def _measure_on(
    figures: Figures,
    server: Engine,
    database_url: str,
    tmp: Path,
    stack: ExitStack,
    tools: tuple[str, str],
) -> None:
    nginx, wrk_bin = tools
    print("bench_scale: preparing the database")
    token = prepare(database_url)
    with _environment({"STATUS_DASHBOARD_SESSION_SECRET": secrets.token_urlsafe(32)}):
        started = [_start_replica(stack, tmp, name, database_url) for name in REPLICAS]
    ports = tuple(port for port, _ in started)
    states = _wait_for_listeners(ports)
    front, nginx_pid = _start_front(stack, tmp, nginx, ports)
    etag = site.check_front(ports[0], front, HEADERS)
    database = parse_url(database_url).database or ""
    meter = Meter(
        {
            "replica A": process_tree(started[0][1]),
            "replica B": process_tree(started[1][1]),
            "nginx": process_tree(nginx_pid),
            "PostgreSQL": lambda: backends(server, database),
        }
    )
    cores = Cores([pid for _, pid in started])
    figures.comparison = _compare(wrk_bin, meter, front, ports[0], cores, etag)
    figures.operator_runs, figures.operator_cpu, figures.changes = _under_writes(
        wrk_bin, meter, front.two, ports, token, tmp
    )
    after = _listener_states(ports)
    figures.notes += [
        f"the change listener of replica {name} was {before} at the start, {end} at the end"
        for name, before, end in zip(REPLICAS, states, after, strict=True)
        if before != "UP" or end != "UP"
    ]


def write(block: str, doc: Path = DOC) -> None:
    procs.put_block(doc, (BEGIN, END), block, SECTION, INTRO)


def run(write_doc: bool = True, server_url: str = POSTGRES_URL) -> str:
    """Measure, write the block into docs/performance.md (unless `write_doc` is false), and
    return it."""
    figures = measure(server_url)
    block = render(figures)
    if write_doc:
        write(block)
    for verdict in verdicts(figures):
        if not verdict.passed:
            print(f"bench_scale: TARGET FAILED: {verdict.target}: {verdict.observed}")
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument("--postgres", default=POSTGRES_URL, help="server to create the database on")
    args = parser.parse_args(argv)
    return procs.report_or_fail(
        "bench_scale",
        lambda: run(write_doc=not args.no_write, server_url=args.postgres),
        errors=(BenchSetupError, wrk.WrkError, OSError),
    )


if __name__ == "__main__":
    sys.exit(main())
