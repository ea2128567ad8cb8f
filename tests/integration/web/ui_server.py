"""A real server process with the operators' UI, on a migrated SQLite file with the demo catalog
and one user per role, for the UI's integration and browser tests.

It runs `status-dashboard serve` when that mounts the UI; until the composition root does, it
runs the same runtime and app from a short script that adds the UI's routes and middleware the
way `ServerRuntime.app` is meant to.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.databases import sqlite_database_url
from support.server import CONFORMING_AGENT, RunningServer, free_port, running_server

REPO = Path(__file__).resolve().parents[3]
DEMO_CATALOG = REPO / "catalogs" / "demo.yaml"
SESSION_SECRET = "ui-tests-session-secret-0123456789abcdef"
PASSWORDS = {
    "alice": "alice-operator-pw-1",
    "victor": "victor-viewer-pw-1",
    "ada": "ada-admin-password-1",
}
ROLES = {"alice": "operator", "victor": "viewer", "ada": "admin"}
STARTUP_LIMIT_S = 20.0

_SCRIPT = textwrap.dedent(
    """
    import sys
    from status_dashboard.api.admin.common import AdminServices
    from status_dashboard.api.app import AppParts, StatusDashboardApp
    from status_dashboard.bootstrap import ServerRuntime, open_stores
    from status_dashboard.config import Settings
    from status_dashboard.logs import configure_logging
    from status_dashboard.server import run
    from status_dashboard.web.admin import admin_ui

    database_url, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    settings = Settings(database_url=database_url, host="127.0.0.1", port=port)
    configure_logging("info")
    runtime = ServerRuntime(settings, open_stores(settings))
    routes, middleware = admin_ui(
        runtime.accounts, runtime.operations, session_secret=secret,
        secure_cookies=False, environment_keys=runtime.snapshot.environment_keys,
    )
    app = StatusDashboardApp(AppParts(
        snapshot=runtime.snapshot, tracker=runtime.tracker, health=runtime.health,
        startup=runtime.start, shutdown=runtime.stop,
        admin=AdminServices(runtime.accounts, runtime.operations),
        extra_routes=routes, middleware=middleware,
    ))
    run(app, host="127.0.0.1", port=port, access_log=False)
    """
)


@dataclass
class UiServer:
    url: str
    database_url: str
    log_path: Path

    def client(self, **kwargs: object) -> httpx.Client:
        """A client like a browser's: it keeps cookies, and follows no redirect by itself."""
        headers = {"User-Agent": CONFORMING_AGENT}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0, **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def prepared_database(directory: Path) -> str:
    """A migrated SQLite file with the demo catalog and alice (operator), victor (viewer) and
    ada (admin), made with the admin commands an operator would use."""
    url = sqlite_database_url(directory)
    cli = [sys.executable, "-m", "status_dashboard"]
    _run([*cli, "db", "upgrade", "--database", url])
    _run([*cli, "catalog", "load", str(DEMO_CATALOG), "--database", url])
    for name, role in ROLES.items():
        _run(
            [*cli, "user", "create", name, "--role", role, "--password-stdin", "--database", url],
            stdin=PASSWORDS[name] + "\n",
        )
    return url


@contextmanager
def ui_server(directory: Path) -> Iterator[UiServer]:
    database_url = prepared_database(directory)
    environment = {"STATUS_DASHBOARD_SESSION_SECRET": SESSION_SECRET}
    with running_server(database_url, directory, env=environment) as served:
        if _mounts_ui(served):
            yield UiServer(served.url, database_url, served.log_path)
            return
    with _scripted_server(database_url, directory) as scripted:
        yield scripted


def _mounts_ui(served: RunningServer) -> bool:
    answer = httpx.get(f"{served.url}/admin/login", timeout=5.0)
    return answer.status_code == 200 and "text/html" in answer.headers.get("content-type", "")


@contextmanager
def _scripted_server(database_url: str, directory: Path) -> Iterator[UiServer]:
    port = free_port()
    log_path = directory / f"ui-server-{port}.log"
    environment = {
        **os.environ,
        "STATUS_DASHBOARD_REFRESH_INTERVAL": "0.2",
        "STATUS_DASHBOARD_REGISTER_FLUSH_INTERVAL": "0.2",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, database_url, str(port), SESSION_SECRET],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        server = UiServer(f"http://127.0.0.1:{port}", database_url, log_path)
        try:
            _wait_until_healthy(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(server: UiServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server not healthy within {STARTUP_LIMIT_S} s:\n{server.log()}")


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command[2:4])} failed:\n{done.stdout}{done.stderr}")
