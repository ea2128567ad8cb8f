"""The monitoring cases of `make bench` (issue 4): one worker's schedule under 1,000 checks, a
hanging target, the public API under 10,000 results a minute, and how fast a flip is public.

Every server runs on 127.0.0.1, every database is SQLite in the temporary directory it is given,
and every case ends by itself. docs/performance.md ("Monitoring") says what is measured; the
figures go through bench_monitor_report.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import bench_monitor_report as mrep
import bench_nginx
import bench_procs as procs
import bench_wrk as wrk
import sqlalchemy
from bench_procs import DASHBOARD_PATH, HOST, SERVICE_BIN, BenchSetupError
from bench_report import Machine
from sqlalchemy import func, select

from status_dashboard.bootstrap import Stores, open_stores
from status_dashboard.config import Settings
from status_dashboard.domain import ids
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck
from status_dashboard.domain.monitoring import next_due
from status_dashboard.domain.ports import StoredCheck
from status_dashboard.store import migrate
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.tables import checks as checks_table

ENVIRONMENT = "prod"

# Cases 1 and 2: 50 items of 20 checks, every 30 s; the first check of every item is on the
# bench's own target, which hangs in the second measured cycle.
GROUPS, ITEMS_PER_GROUP, CHECKS_PER_ITEM = 5, 10, 20
SCHEDULE = CheckSchedule(interval_s=30, timeout_s=5)
CONCURRENCY = 100
STATS_EVERY_S = 30
MEASURED_CYCLES = mrep.MEASURED_CYCLES
# Case 3: the same checks every 6 s are 10,000 results a minute.
LOAD_SCHEDULE = CheckSchedule(interval_s=6, timeout_s=5)
LOAD_DURATION_S, LOAD_CONNECTIONS, LOAD_DELAY_MS = 15, 8, 5
WRK_WARM_UP_S = 2
# Case 4.
FLIP_SCHEDULE = CheckSchedule(interval_s=1, timeout_s=0.5, fail_threshold=1, recover_threshold=1)
FLIPS = 20
POLL_S = 0.020
FLIP_WAIT_S = 5.0
"""How long the bench waits for one flip to show before calling it missed."""

FIRST_CYCLE_TIMEOUT_S = 60.0
HANG_S = 60.0
"""How long the hanging target holds a request: far past any check's timeout."""
SETTLE_S = 1.5
"""Past the measured window, so that runs due just before its end have started (the worker's
tick plus the 1 s that would count as late) before the worker is stopped."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def sleep_until(moment: datetime) -> None:
    delay = (moment - utc_now()).total_seconds()
    if delay > 0:
        time.sleep(delay)


# --- the bench's own target ----------------------------------------------------------------------

OK, FAILING, HANGING = "ok", "failing", "hanging"


class TargetServer(ThreadingHTTPServer):
    """A check target in a thread of the bench: answers 200, answers 503, or accepts a request
    and never answers it, as `mode` says at the moment the request arrives."""

    daemon_threads = True
    # Fifty checks hanging at once must not find the accept queue full (the default is 5).
    request_queue_size = 256

    def __init__(self) -> None:
        super().__init__((HOST, 0), _TargetHandler)
        self.mode = OK
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/target"


class _TargetHandler(BaseHTTPRequestHandler):
    server: TargetServer

    def do_GET(self) -> None:
        mode = self.server.mode
        if mode == HANGING:
            # Closing without a word once released is all a hung server ever does.
            self.server.released.wait(HANG_S)
            return
        body = b'{"status":"UP"}' if mode == OK else b'{"status":"DOWN"}'
        self.send_response(200 if mode == OK else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # a line per check run would flood the bench's output


@contextmanager
def serving_target() -> Iterator[TargetServer]:
    server = TargetServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join()


# --- nginx serving /health -----------------------------------------------------------------------

HEALTH_PATH = "/health"
HEALTH_BODY = b'{"status":"UP"}\n'

# As bench_nginx's site: everything under the prefix, no access log. keepalive_requests is raised
# so that the worker's pooled connections are never closed by nginx's count of 1000.
_HEALTH_CONFIG = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {prefix}/client_body_temp;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;

    server {{
        listen {host}:{port};
        location = {path} {{
            default_type application/json;
            alias {prefix}/www/health.json;
        }}
    }}
}}
"""


def write_health_site(prefix: Path, port: int) -> Path:
    www = prefix / "www"
    www.mkdir()
    (www / "health.json").write_bytes(HEALTH_BODY)
    # Run as root, nginx's worker drops to `nobody`, which must be able to read the file.
    for path, mode in ((prefix, 0o755), (www, 0o755), (www / "health.json", 0o644)):
        os.chmod(path, mode)
    conf = prefix / "nginx.conf"
    conf.write_text(_HEALTH_CONFIG.format(prefix=prefix, host=HOST, port=port, path=HEALTH_PATH))
    return conf


@dataclass(frozen=True)
class Nginx:
    pid: int
    url: str


@contextmanager
def serving_health(nginx: str, prefix: Path) -> Iterator[Nginx]:
    prefix.mkdir()
    port = procs.free_port()
    conf = write_health_site(prefix, port)
    with procs.running(bench_nginx.command(nginx, prefix, conf), prefix / "stderr.log") as (
        proc,
        started,
    ):
        try:
            procs.wait_for_200(port, HEALTH_PATH, proc, started)
        except BenchSetupError:
            tail = procs.log_tail(prefix / "nginx-error.log")
            print(f"bench: nginx error log tail:\n{tail}", file=sys.stderr)
            raise
        yield Nginx(proc.pid, f"http://{HOST}:{port}{HEALTH_PATH}")


# --- the service's processes ---------------------------------------------------------------------


@contextmanager
def started(
    args: list[str], log_path: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """As bench_procs.running, with settings given through the environment."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env={**os.environ, **env}
        )
        try:
            yield proc
        finally:
            procs.stop(proc)


def wait_for_line(log_path: Path, needle: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + procs.READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if needle in log_path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise BenchSetupError(f"{proc.args!r} exited with {proc.returncode}")
        time.sleep(0.05)
    raise BenchSetupError(f"no {needle!r} in {log_path.name} within {procs.READY_TIMEOUT_S:.0f}s")


OPEN_LOOPBACK = {"STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8,::1/128"}
"""The bench's targets (nginx) listen on loopback, which checks may not reach unless opened."""


@contextmanager
def running_worker(database: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    args = [str(SERVICE_BIN), "worker", "--database", database, "--name", "bench-worker"]
    env = {
        "STATUS_DASHBOARD_LOG_LEVEL": "info",
        "STATUS_DASHBOARD_MONITOR_STATS_INTERVAL": str(STATS_EVERY_S),
        **OPEN_LOOPBACK,
    }
    with started([*args, "--concurrency", str(CONCURRENCY)], log_path, env) as proc:
        try:
            wait_for_line(log_path, "event=monitor_started", proc)
        except BenchSetupError:
            print(f"bench: worker log tail:\n{procs.log_tail(log_path)}", file=sys.stderr)
            raise
        yield proc


@contextmanager
def running_server(
    database: str, log_path: Path, *, monitor: bool
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = procs.free_port()
    args = [str(SERVICE_BIN), "serve", "--database", database, "--host", HOST, "--port", str(port)]
    if not monitor:
        args.append("--no-monitor")
    # Outside --demo the admin UI wants a signing key; this one lives as long as the bench.
    env = {"STATUS_DASHBOARD_SESSION_SECRET": secrets.token_urlsafe(32), **OPEN_LOOPBACK}
    with started(args, log_path, env) as proc:
        try:
            procs.wait_for_200(port, "/health", proc, time.monotonic())
        except BenchSetupError:
            print(f"bench: server log tail:\n{procs.log_tail(log_path)}", file=sys.stderr)
            raise
        yield proc, port


# --- databases -----------------------------------------------------------------------------------


@dataclass
class Database:
    """A fresh database of one case: its URL for the service's processes, its stores for setting
    it up and reading results back, and an engine for the bench's cheap polls."""

    url: str
    stores: Stores
    engine: sqlalchemy.Engine

    def count_checks(self, where: sqlalchemy.ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(checks_table).where(where)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())


def new_database(path: Path) -> Database:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    return Database(url, open_stores(Settings(database_url=url)), create_engine_for(url))


def catalog(groups: int, items_per_group: int) -> CatalogSpec:
    group_specs = tuple(
        GroupSpec(
            key=f"group-{g:02d}",
            name=f"Group {g + 1}",
            order=g + 1,
            items=tuple(
                ItemSpec(
                    key=f"service-{g:02d}-{i:02d}", name=f"Service {g + 1}.{i + 1}", order=i + 1
                )
                for i in range(items_per_group)
            ),
        )
        for g in range(groups)
    )
    return CatalogSpec(
        (EnvironmentSpec(key=ENVIRONMENT, order=1, is_default=True, groups=group_specs),)
    )


def add_items(stores: Stores, groups: int, items_per_group: int) -> list[str]:
    """The catalog's item ids, in order."""
    spec = catalog(groups, items_per_group)
    stores.dashboards.apply_catalog(spec, utc_now())
    return [
        ids.item_id(ENVIRONMENT, item.key)
        for env in spec.environments
        for group in env.groups
        for item in group.items
    ]


UrlFor = Callable[[int], str]
"""The URL of an item's check number n."""


def define_checks(
    stores: Stores, item_ids: Sequence[str], url_for: UrlFor, schedule: CheckSchedule
) -> dict[str, datetime]:
    """CHECKS_PER_ITEM checks on every item; when each item's were defined (and due)."""
    defined = {}
    for item_id in item_ids:
        now = utc_now()
        checks = [
            (f"check-{n:02d}", HttpCheck(url_for(n)), schedule) for n in range(CHECKS_PER_ITEM)
        ]
        stores.monitor.set_checks(item_id, checks, now)
        defined[item_id] = now
    return defined


Pending = Callable[[], sqlalchemy.ColumnElement[bool]]
"""Which checks a wait is still waiting for, as of the moment it is called."""


def wait_first_runs(db: Database) -> None:
    """Until every check has reported once. The bench polls a count: reading every check back
    would cost it more CPU than the worker it watches."""
    _wait(db, lambda: checks_table.c.last_result_at.is_(None), "ran once")


def wait_caught_up(db: Database) -> None:
    """Until no check waits more than the lateness target past its due time: the backlog that
    the first runs left is gone."""
    late = timedelta(seconds=mrep.LATE_S)
    _wait(db, lambda: checks_table.c.next_due < utc_now() - late, "caught up")


def _wait(db: Database, pending: Pending, what: str) -> None:
    deadline = time.monotonic() + FIRST_CYCLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if db.count_checks(pending()) == 0:
            return
        time.sleep(0.25)
    raise BenchSetupError(f"the checks had not {what} within {FIRST_CYCLE_TIMEOUT_S:.0f}s")


def runs_due(check: StoredCheck, began: datetime, ended: datetime) -> int:
    """How many of the check's grid points fall in [began, ended)."""
    count = 0
    due = next_due(check.id, check.schedule, began - timedelta(microseconds=1))
    while due < ended:
        count += 1
        due = next_due(check.id, check.schedule, due)
    return count


def grid_due(check: StoredCheck, at: datetime) -> datetime:
    """The grid point a run started at `at` was due at: the latest one not after it. Every run
    after a check's first is due on its grid (domain.monitoring.next_due)."""
    return next_due(check.id, check.schedule, at - check.schedule.interval)


def results_of(stores: Stores, checks: Sequence[StoredCheck]) -> dict[int, list[CheckResult]]:
    # Enough for every run of the longest case (case 3: a run every 6 s for about a minute).
    return {c.id: list(stores.monitor.results(c.id, limit=100)) for c in checks}


def end_of(result: CheckResult) -> datetime:
    return result.at + timedelta(milliseconds=result.duration_ms)


@dataclass
class Bucket:
    """Runs being gathered into an mrep.Runs."""

    delays: list[float] = field(default_factory=list)
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    max_duration_ms: float = 0.0

    def add(self, result: CheckResult, due: datetime) -> None:
        self.delays.append((result.at - due).total_seconds())
        self.max_duration_ms = max(self.max_duration_ms, result.duration_ms)
        if not result.ok:
            self.failed += 1
            self.reasons[result.reason] += 1

    def runs(self) -> mrep.Runs:
        return mrep.Runs(
            mrep.Lateness.of(self.delays), self.failed, dict(self.reasons), self.max_duration_ms
        )


# --- CPU -----------------------------------------------------------------------------------------


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuMeter:
    """CPU used between `start` and `stop` by the processes of one case, and by all others."""

    worker: int | None = None
    server: int | None = None
    nginx: int | None = None
    _started: float = 0.0
    _before: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        return {
            "worker": procs.cpu_s(self.worker) if self.worker else 0.0,
            "server": procs.cpu_s(self.server) if self.server else 0.0,
            "nginx": procs.tree_cpu_s(self.nginx) if self.nginx else 0.0,
            "bench": _own_cpu_s(),
            "busy": procs.system_busy_s(),
        }

    def start(self) -> None:
        self._before = self._sample()
        self._started = time.monotonic()

    def stop(self, wrk_s: float = 0.0) -> mrep.Cpu:
        after = self._sample()
        window = time.monotonic() - self._started
        used = {key: after[key] - self._before[key] for key in after}
        mine = used["worker"] + used["server"] + used["nginx"] + used["bench"] + wrk_s
        return mrep.Cpu(
            window_s=window,
            worker_s=used["worker"],
            server_s=used["server"],
            nginx_s=used["nginx"],
            wrk_s=wrk_s,
            bench_s=used["bench"],
            other_s=max(used["busy"] - mine, 0.0),
        )


# --- cases 1 and 2: the schedule, and a hanging target -------------------------------------------


def bench_schedule(tmp: Path, health: Nginx, target: TargetServer) -> mrep.ScheduleCase:
    db = new_database(tmp / "schedule.db")
    item_ids = add_items(db.stores, GROUPS, ITEMS_PER_GROUP)
    checks = len(item_ids) * CHECKS_PER_ITEM
    target.mode = OK
    log = tmp / "schedule-worker.log"
    interval = timedelta(seconds=SCHEDULE.interval_s)
    print(f"bench: monitor 1/2: {checks} checks every {SCHEDULE.interval_s:g}s, one worker")
    with running_worker(db.url, log) as worker:
        meter = CpuMeter(worker=worker.pid, nginx=health.pid)
        meter.start()
        first_defined = utc_now()
        defined = define_checks(
            db.stores, item_ids, lambda n: target.url if n == 0 else health.url, SCHEDULE
        )
        define_s = (utc_now() - first_defined).total_seconds()
        wait_first_runs(db)
        wait_caught_up(db)
        window_start = utc_now()
        warm_up_cpu = meter.stop()
        print(f"bench: monitor 1/2: warm-up over; measuring {MEASURED_CYCLES} cycles")
        meter.start()
        sleep_until(window_start + interval)
        target.mode = HANGING
        window_end = window_start + MEASURED_CYCLES * interval
        sleep_until(window_end)
        cpu = meter.stop()
        sleep_until(window_end + timedelta(seconds=SETTLE_S))
    target.mode = OK
    stats = mrep.stats_lines(log.read_text(errors="replace"))

    stored = db.stores.monitor.checks()
    results = results_of(db.stores, stored)
    first_runs = Bucket()
    first_end = first_defined
    # (on the target?, cycle) -> the runs due in that cycle
    buckets = {(hangs, cycle): Bucket() for hangs in (False, True) for cycle in (0, 1)}
    measured = Bucket()
    for check in stored:
        runs = results[check.id]
        if not runs:
            continue
        first = min(runs, key=lambda r: r.at)
        # Defined, a check is due at once: its first run is late by the time it waited.
        first_runs.add(first, defined[check.item_id])
        first_end = max(first_end, end_of(first))
        hangs = isinstance(check.definition, HttpCheck) and check.definition.url == target.url
        for result in runs:
            if result is first:
                continue
            due = grid_due(check, result.at)
            if window_start <= due < window_end:
                # The target answers in the first cycle and hangs in every later one.
                cycle = 0 if due < window_start + interval else 1
                buckets[(hangs, cycle)].add(result, due)
                measured.add(result, due)
    return mrep.ScheduleCase(
        checks=checks,
        interval_s=SCHEDULE.interval_s,
        concurrency=CONCURRENCY,
        hanging=len(item_ids),
        timeout_s=SCHEDULE.timeout_s,
        warm_up=mrep.WarmUp(
            define_s=define_s,
            first_cycle_s=(first_end - first_defined).total_seconds(),
            caught_up_s=(window_start - first_defined).total_seconds(),
            first_runs=first_runs.runs(),
            cpu=warm_up_cpu,
        ),
        cpu=cpu,
        clean=buckets[(False, 0)].runs(),
        while_hanging=buckets[(False, 1)].runs(),
        hanging_clean=buckets[(True, 0)].runs(),
        hanging_hung=buckets[(True, 1)].runs(),
        measured=measured.runs(),
        stats=stats[-1] if stats else {},
    )


# --- case 3: the public API while results pour in ------------------------------------------------

_DELAY_SCRIPT = """\
-- A fixed, moderate rate: every connection waits {delay_ms} ms after each answer.
function delay()
   return {delay_ms}
end
"""


def fixed_rate(
    wrk_bin: str, url: str, headers: dict[str, str], script: Path, duration_s: int
) -> wrk.WrkResult:
    """wrk with the delay script, read as bench_wrk reads any run."""
    args = wrk.command(wrk_bin, url, headers, wrk.Load(duration_s, LOAD_CONNECTIONS, 1))
    args = [*args[:-1], "-s", str(script), args[-1]]
    before = _children_cpu_s()
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=duration_s + 30, check=False
        )
    except subprocess.TimeoutExpired:
        raise wrk.WrkError(f"wrk did not finish within {duration_s}s + margin") from None
    if done.returncode != 0:
        raise wrk.WrkError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return wrk.parse_report(done.stdout, cpu_s=_children_cpu_s() - before)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def split_cpus() -> tuple[set[int], set[int]]:
    """The CPUs of the API side (server and wrk) and of the worker's side: halves of the
    bench's own, or all of them for both when there is only one."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread a process has onto `cpus`; the threads they start later inherit it."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that just ended
            os.sched_setaffinity(int(task.name), cpus)


@contextmanager
def own_affinity(cpus: set[int]) -> Iterator[None]:
    """The bench's main thread on `cpus`, and so the wrk it starts meanwhile."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _cpu_names(cpus: set[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


@dataclass(frozen=True)
class _Measured:
    result: wrk.WrkResult
    cpu: mrep.Cpu
    began: datetime
    ended: datetime


def bench_load(tmp: Path, health: Nginx, wrk_bin: str, headers: dict[str, str]) -> mrep.LoadCase:
    db = new_database(tmp / "load.db")
    item_ids = add_items(db.stores, GROUPS, ITEMS_PER_GROUP)
    checks = len(item_ids) * CHECKS_PER_ITEM
    define_checks(db.stores, item_ids, lambda _: health.url, LOAD_SCHEDULE)
    script = tmp / "fixed-rate.lua"
    script.write_text(_DELAY_SCRIPT.format(delay_ms=LOAD_DELAY_MS))
    label = f"bench: monitor 3: {LOAD_DURATION_S}s at a fixed rate"
    everywhere = os.sched_getaffinity(0)
    api_cpus, worker_cpus = split_cpus()
    with running_server(db.url, tmp / "load-server.log", monitor=False) as (server, port):
        pin(server.pid, api_cpus)
        url = f"http://{HOST}:{port}{DASHBOARD_PATH}"

        def measure(meter: CpuMeter, cpus: set[int]) -> _Measured:
            with own_affinity(cpus):
                fixed_rate(wrk_bin, url, headers, script, WRK_WARM_UP_S)
                began = utc_now()
                meter.start()
                result = fixed_rate(wrk_bin, url, headers, script, LOAD_DURATION_S)
                cpu = meter.stop(wrk_s=result.cpu_s)
                return _Measured(result, cpu, began, utc_now())

        print(f"{label}, no worker")
        baseline = measure(CpuMeter(server=server.pid, nginx=health.pid), api_cpus)
        with running_worker(db.url, tmp / "load-worker.log") as worker:
            pin(worker.pid, worker_cpus)
            meter = CpuMeter(worker=worker.pid, server=server.pid, nginx=health.pid)
            wait_first_runs(db)
            # One more interval, so that the first runs' burst is over and every check is on its
            # grid before the measured run.
            time.sleep(LOAD_SCHEDULE.interval_s)
            print(f"{label}, {checks} checks every {LOAD_SCHEDULE.interval_s:g}s")
            loaded = measure(meter, api_cpus)
            print(f"{label}, the same, no process pinned")
            pin(worker.pid, everywhere)
            pin(server.pid, everywhere)
            shared = measure(meter, everywhere)
            time.sleep(SETTLE_S)  # so that the runs due at the window's end have started
    stored = db.stores.monitor.checks()
    results = results_of(db.stores, stored)

    def load_run(measured: _Measured) -> mrep.LoadRun:
        # By due time, not start time: a window that does not fall on the checks' grid still
        # holds exactly the runs due in it, and each must have been stored.
        bucket = Bucket()
        due = 0
        for check in stored:
            due += runs_due(check, measured.began, measured.ended)
            for result in results[check.id]:
                at = grid_due(check, result.at)
                if measured.began <= at < measured.ended:
                    bucket.add(result, at)
        window_s = (measured.ended - measured.began).total_seconds()
        return mrep.LoadRun(
            measured.result,
            measured.cpu,
            results_per_min=len(bucket.delays) * 60 / window_s if window_s > 0 else 0.0,
            worker_lateness=mrep.Lateness.of(bucket.delays),
            due_runs=due,
            stored_runs=len(bucket.delays),
        )

    return mrep.LoadCase(
        duration_s=LOAD_DURATION_S,
        connections=LOAD_CONNECTIONS,
        delay_ms=LOAD_DELAY_MS,
        checks=checks,
        interval_s=LOAD_SCHEDULE.interval_s,
        api_cpus=_cpu_names(api_cpus),
        worker_cpus=_cpu_names(worker_cpus),
        baseline=mrep.LoadRun(baseline.result, baseline.cpu),  # no worker ran: nothing was due
        loaded=load_run(loaded),
        shared=load_run(shared),
    )


# --- case 4: from a flipping result to the API ---------------------------------------------------


def item_status(port: int, headers: dict[str, str], item_id: str) -> int | None:
    answer = procs.get(port, DASHBOARD_PATH, {**headers, "Accept-Encoding": "identity"})
    if answer.status != 200:
        return None
    for group in json.loads(answer.body)["groups"]:
        for item in group["items"]:
            if item["id"] == item_id:
                code: int = item["status_code"]
                return code
    return None


def wait_for_status(
    port: int, headers: dict[str, str], item_id: str, code: int, timeout_s: float
) -> datetime | None:
    """Poll every POLL_S until the item shows `code`; when the answer that showed it came."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        polled = time.monotonic()
        if item_status(port, headers, item_id) == code:
            return utc_now()
        time.sleep(max(0.0, POLL_S - (time.monotonic() - polled)))
    return None


def deciding_end(stores: Stores, check_id: int, ok: bool) -> datetime | None:
    """The end of the first result of the latest run of results with outcome `ok`: with
    thresholds of 1, the result that moved the item."""
    first = None
    for result in stores.monitor.results(check_id, limit=50):  # newest first
        if result.ok != ok:
            break
        first = result
    return None if first is None else end_of(first)


def bench_flips(tmp: Path, target: TargetServer, headers: dict[str, str]) -> mrep.FlipCase:
    db = new_database(tmp / "flips.db")
    [item_id] = add_items(db.stores, 1, 1)
    check = ("flip", HttpCheck(target.url), FLIP_SCHEDULE)
    db.stores.monitor.set_checks(item_id, [check], utc_now())
    [stored] = db.stores.monitor.checks()
    target.mode = OK
    # Seeded: the same moments from run to run, spread over the check's interval.
    pauses = random.Random(4)
    flips = []
    print(f"bench: monitor 4: {FLIPS} flips of one check every {FLIP_SCHEDULE.interval_s:g}s")
    with running_server(db.url, tmp / "flips-server.log", monitor=True) as (server, port):
        if wait_for_status(port, headers, item_id, 1, FIRST_CYCLE_TIMEOUT_S) is None:
            raise BenchSetupError("the flip case's item never turned Operational")
        meter = CpuMeter(server=server.pid)
        meter.start()
        for _ in range(FLIPS):
            time.sleep(pauses.uniform(0, FLIP_SCHEDULE.interval_s))
            to_failing = target.mode == OK
            target.mode = FAILING if to_failing else OK
            flipped = utc_now()
            code = 2 if to_failing else 1
            seen = wait_for_status(port, headers, item_id, code, FLIP_WAIT_S)
            end = deciding_end(db.stores, stored.id, ok=not to_failing) if seen else None
            if seen is None or end is None:
                # A miss fails the target; the next flip goes back to what the API shows.
                flips.append(mrep.Flip(code, None, None))
                continue
            flips.append(
                mrep.Flip(code, (seen - end).total_seconds(), (seen - flipped).total_seconds())
            )
        cpu = meter.stop()
    return mrep.FlipCase(
        interval_s=FLIP_SCHEDULE.interval_s,
        timeout_s=FLIP_SCHEDULE.timeout_s,
        poll_ms=round(POLL_S * 1000),
        flips=flips,
        cpu=cpu,
    )


# --- all of it -----------------------------------------------------------------------------------


def bench(
    nginx: str, wrk_bin: str, machine: Machine, headers: dict[str, str]
) -> mrep.MonitorMeasurements:
    """The four cases, one after the other, in one temporary directory."""
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as name:
        tmp = Path(name)
        # nginx's worker runs as `nobody` and must reach the site under the directory; the
        # databases in it hold nothing but the bench's own catalog.
        os.chmod(tmp, 0o755)  # noqa: S103
        with serving_health(nginx, tmp / "nginx") as health, serving_target() as target:
            schedule = bench_schedule(tmp, health, target)
            load = bench_load(tmp, health, wrk_bin, headers)
            flips = bench_flips(tmp, target, headers)
    return mrep.MonitorMeasurements(
        machine=machine,
        when=time.strftime("%Y-%m-%d %H:%M %Z"),
        schedule=schedule,
        load=load,
        flips=flips,
    )
