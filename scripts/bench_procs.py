"""The two servers under test, as child processes on loopback ports, and what /proc says of them."""

from __future__ import annotations

import asyncio
import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
"""Where every bench writes its block."""
SERVICE_BIN = ROOT / ".venv" / "bin" / "status-dashboard"
"""The service as `make install` put it in the project's venv: the one every bench starts."""
HOST = "127.0.0.1"
DASHBOARD_PATH = "/api/v1/dashboard"
STOP_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 30.0
_POLL_INTERVAL_S = 0.01


class BenchSetupError(Exception):
    """A server would not start, answer, or agree with the other: the bench cannot run."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    """A port the kernel just handed out; it stays free long enough for a child to bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def get(port: int, path: str, headers: dict[str, str] | None = None) -> Response:
    """One GET over loopback; header names come back lower-cased."""
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        answer = conn.getresponse()
        body = answer.read()
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, body)
    finally:
        conn.close()


def wait_for_200(port: int, path: str, proc: subprocess.Popen[bytes], started: float) -> float:
    """Poll until `path` answers 200; return the seconds since `started` (a monotonic time)."""
    deadline = started + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchSetupError(f"{proc.args!r} exited with {proc.returncode} before answering")
        try:
            if get(port, path).status == 200:
                return time.monotonic() - started
        except OSError:
            pass  # not listening yet
        time.sleep(_POLL_INTERVAL_S)
    raise BenchSetupError(f"no 200 on {path} within {READY_TIMEOUT_S:.0f}s")


@contextmanager
def running(args: list[str], log_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """Start `args`, yield it with its monotonic start time, and always stop it afterwards."""
    with log_path.open("wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            yield proc, started
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, wait, then SIGKILL: both servers finish in-flight work on SIGTERM."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- /proc -----------------------------------------------------------------------------------


def status_kb(pid: int, key: str) -> int:
    """A `kB` line of /proc/PID/status, such as VmRSS (resident now) or VmHWM (resident peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    raise BenchSetupError(f"/proc/{pid}/status has no {key}")


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds the process has used (fields 14 and 15 of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses; the fields after it are plain numbers.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy_s() -> float:
    """CPU seconds all processes on the machine have used since boot: user, nice and system
    time from the first line of /proc/stat. What the servers and wrk did not use of it, other
    processes did. Interrupt time is left out: loopback traffic is processed there, on behalf
    of the servers and wrk, but not charged to them."""
    user, nice, system = (int(n) for n in Path("/proc/stat").read_text().split()[1:4])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """Direct children of a process, such as nginx's worker under its master."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_cpu_s(pid: int) -> float:
    """CPU of a process and its direct children: the nginx worker does the serving."""
    return cpu_s(pid) + sum(cpu_s(child) for child in children(pid))


@dataclass
class RssSampler:
    """Samples VmRSS in a background thread while a measured run goes on."""

    pid: int
    interval_s: float = 0.1
    samples_kb: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples_kb.append(status_kb(self.pid, "VmRSS"))
            except (OSError, BenchSetupError):
                return  # the process is gone; the run will report why
            self._stop.wait(self.interval_s)


# --- shared by the benches that write their own block ----------------------------------------


def put_block(doc: Path, marks: tuple[str, str], block: str, section: str, intro: str) -> None:
    """Put `block` between the `marks` of its section in `doc`, adding the section (heading and
    intro) at the end if absent; the rest of the document is left as it is."""
    begin, end = marks
    text = doc.read_text()
    marked = f"{begin}\n{block}\n{end}"
    if begin in text and end in text:
        before, _, rest = text.partition(begin)
        text = before + marked + rest.partition(end)[2]
    else:
        text = text.rstrip("\n") + f"\n\n{section}\n\n{intro}\n{marked}\n"
    doc.write_text(text)


def raise_open_files_limit(needed: int) -> None:
    """Each connection is a file descriptor, here and in the server, which inherits the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise BenchSetupError(f"open files limit {soft} < {needed}; raise `ulimit -n`")


def loop_runner() -> asyncio.Runner:
    """On the service's own loop where it is installed: it keeps the bench's reading out of the
    figures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def report_or_fail(
    name: str,
    measure: Callable[[], str],
    errors: tuple[type[Exception], ...] = (BenchSetupError,),
) -> int:
    """A bench's command: print the block `measure` gives and exit 0 (a missed target is a
    measurement), 1 with the reason when the bench cannot run, 130 when interrupted."""
    try:
        print(measure())
    except errors as exc:
        print(f"{name}: cannot run: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
