"""A PostgreSQL server of the test's own, made with `initdb` in a temporary folder, that the
test may crash and start again: never the machine's shared one, which other tests use.

    with own_postgres() as server:
        url = server.create_database("dashboard")
        server.stop("kill")      # every PostgreSQL process gone at once, as after kill -9
        server.start()           # the same data folder and port: crash recovery, then ready

It listens on a free loopback port with trust authentication, keeps its Unix socket inside the
temporary folder, and runs with `fsync=off`: a crash of the processes keeps every committed
transaction (its WAL is written to the kernel before the commit returns, only not flushed to
the disk); only a crash of the machine would lose them. `synchronous_commit` stays on, since
with it off a kill loses the last commits, which is what the outage tests must see never
happen.

The postmaster is the test's own child process, started directly rather than through
`pg_ctl`, so that the test reaps it (a postmaster handed to the container's init can linger
as a zombie, and its pid in `postmaster.pid` would keep the next start from running), and so
that the kernel kills it if the test process dies without cleaning up. initdb and the
postmaster refuse to run as root, so under root both run as the `postgres` user (or
`nobody`), who owns the folder.

Without the binaries the tests skip, except where STATUS_DASHBOARD_TEST_REQUIRE_ALL=1 (CI):
there a skipped test would hide a failure, so they fail and say what to install.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import psycopg
import pytest
from psycopg import sql

from support.server import free_port

READY_LIMIT_S = 30.0
STOP_LIMIT_S = 15.0
_BINARIES = ("initdb", "postgres")
_INSTALL = (
    "apt-get install postgresql (initdb and postgres on PATH or in /usr/lib/postgresql/*/bin)"
)
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
fsync = off
full_page_writes = off
max_connections = 100
log_min_messages = warning
"""

StopMode = Literal["immediate", "kill", "fast"]
"""How the server goes: `immediate` is `pg_ctl stop -m immediate` (SIGQUIT: every process quits
at once, the next start recovers from the WAL); `kill` is SIGKILL to the postmaster and all its
children, the crash of kill -9; `fast` is a clean shutdown."""


def _missing(message: str) -> NoReturn:
    if os.environ.get("STATUS_DASHBOARD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def binaries() -> dict[str, Path]:
    """initdb and postgres, from PATH or the newest /usr/lib/postgresql/*/bin; skips or fails
    (see the module docstring) when one is missing."""
    found: dict[str, Path] = {}
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for name in _BINARIES:
        on_path = shutil.which(name)
        candidates = [on_path] if on_path else []
        candidates += [str(Path(d) / name) for d in installed]
        path = next((Path(c) for c in candidates if os.access(c, os.X_OK)), None)
        if path is None:
            _missing(f"the outage tests need PostgreSQL's {name}: {_INSTALL}")
        found[name] = path
    return found


def _version(directory: str) -> int:
    major = Path(directory).parent.name
    return int(major) if major.isdigit() else 0


@dataclass(frozen=True, slots=True)
class _Account:
    """Who the server's processes run as: None where the test itself is not root."""

    uid: int | None
    gid: int | None


def _account() -> _Account:
    if os.geteuid() != 0:
        return _Account(None, None)
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return _Account(entry.pw_uid, entry.pw_gid)
    _missing("the outage tests run as root and need a `postgres` or `nobody` user for PostgreSQL")


class OwnPostgres:
    """One server on `port`, its data in `folder / "data"`; see the module docstring."""

    def __init__(self, folder: Path, port: int, programs: dict[str, Path], account: _Account):
        self.folder = folder
        self.port = port
        self.data = folder / "data"
        self.sockets = folder / "sockets"
        self.log_path = folder / "postgres.log"
        self._programs = programs
        self._account = account
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def initialise(self) -> None:
        """`initdb` into the empty folder, and the settings of the module docstring."""
        self.sockets.mkdir()
        self._own(self.folder, self.sockets)
        done = subprocess.run(
            [str(self._programs["initdb"]), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"],
            capture_output=True, text=True, timeout=120, check=False, **self._as_account(),
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"initdb failed:\n{done.stdout}{done.stderr}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(_SETTINGS.format(port=self.port, sockets=self.sockets))

    def start(self) -> float:
        """Start on the same port and data folder; returns once it accepts connections (after
        crash recovery, if the last stop was a crash), with the seconds that took."""
        if self.running:
            raise AssertionError("the own PostgreSQL is running already")
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(self._programs["postgres"]), "-D", str(self.data)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent, **self._as_account(),
            )  # fmt: skip
        self._wait_until_ready(started)
        return time.monotonic() - started

    def stop(self, mode: StopMode = "immediate") -> None:
        """Stop the server (see `StopMode`) and wait until every one of its processes is gone."""
        process = self._process
        if process is None or process.poll() is not None:
            self._process = None
            return
        # The postmaster waits for its children on every stop but a kill: then they are
        # waited for here, since an orphan could hold the port or shared memory a moment more.
        killed: list[int] = []
        if mode == "kill":
            killed = _kill_all(process.pid)
        else:
            process.send_signal(signal.SIGQUIT if mode == "immediate" else signal.SIGINT)
        try:
            process.wait(timeout=STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            killed = _kill_all(process.pid)
            process.wait(timeout=STOP_LIMIT_S)
        self._process = None
        _wait_until_gone(killed)

    def freeze(self) -> None:
        """SIGSTOP to the postmaster and every child of it: the server is there, its kernel
        still accepts connections and acknowledges packets, but nothing answers (a paused VM, a
        process stuck on a dead disk). `thaw` undoes it; call it in a `finally`."""
        process = self._process
        if process is None:
            raise AssertionError("the own PostgreSQL is not running")
        # The postmaster first, so that it forks no backend between the listing and the stop.
        os.kill(process.pid, signal.SIGSTOP)
        for pid in _children_of(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT to the children, then the postmaster: the server answers again."""
        process = self._process
        if process is None:
            return
        for pid in _children_of(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)

    def create_database(self, name: str) -> str:
        """A new, empty database on the server; its SQLAlchemy URL."""
        with self._connect(autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def accepts_connections(self) -> bool:
        try:
            with self._connect(autocommit=True) as connection:
                connection.execute("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    # -- inside ----------------------------------------------------------------------------

    def _connect(self, *, autocommit: bool) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
            connect_timeout=2, autocommit=autocommit,
        )  # fmt: skip

    def _wait_until_ready(self, started: float) -> None:
        deadline = started + READY_LIMIT_S
        while time.monotonic() < deadline:
            process = self._process
            if process is None or process.poll() is not None:
                raise AssertionError(f"PostgreSQL exited while starting:\n{self.log()[-4000:]}")
            if self.accepts_connections():
                return
            time.sleep(0.05)
        raise AssertionError(
            f"PostgreSQL not ready within {READY_LIMIT_S} s:\n{self.log()[-4000:]}"
        )

    def _own(self, *paths: Path) -> None:
        if self._account.uid is not None and self._account.gid is not None:
            for path in paths:
                os.chown(path, self._account.uid, self._account.gid)

    def _as_account(self) -> dict[str, object]:
        if self._account.uid is None:
            return {}
        return {"user": self._account.uid, "group": self._account.gid, "extra_groups": []}


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before it runs postgres (and after it became the unprivileged user, which
    would clear it): SIGKILL when the test process goes."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _children_of(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name is in parentheses and may hold spaces: fields after the last ")".
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[1]) == parent:
                children.append(int(stat.parent.name))
    return children


def _kill_all(postmaster: int) -> list[int]:
    """SIGKILL to the postmaster and every child of it; the children's pids."""
    # Frozen first, so that it forks no backend between the listing and the kill; killed
    # first, so that it cannot notice a child's death and start new ones.
    with contextlib.suppress(ProcessLookupError):
        os.kill(postmaster, signal.SIGSTOP)
    children = _children_of(postmaster)
    for pid in (postmaster, *children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return children


def _wait_until_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + STOP_LIMIT_S
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"PostgreSQL processes {pids} outlived the kill")
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (exited, not yet reaped by init) does not."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A started server in a new temporary folder; stopped and removed afterwards, whatever
    happened. The folder is not under pytest's tmp_path, which only root may enter."""
    programs, account = binaries(), _account()
    folder = Path(tempfile.mkdtemp(prefix="sd-own-pg-"))
    server = OwnPostgres(folder, free_port(), programs, account)
    try:
        server.initialise()
        server.start()
        yield server
    finally:
        try:
            server.stop("fast")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
