"""Start the real `status-dashboard serve` process on a free loopback port, and stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CONFORMING_AGENT = "statusDashboardTests/1.0 httpx/0.28.1"
STARTUP_LIMIT_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningServer:
    url: str
    port: int
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float

    def client(self, **kwargs: object) -> httpx.Client:
        headers = {"User-Agent": CONFORMING_AGENT, "Accept": "application/json"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0, **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM, as a service manager would; the exit code of the process."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"server did not stop on SIGTERM:\n{self.log()}") from None


def serve_command(port: int, database_url: str, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "status_dashboard",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database",
        database_url,
        *args,
    ]


@contextmanager
def running_server(
    database_url: str, log_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    environment = {
        **os.environ,
        "STATUS_DASHBOARD_REFRESH_INTERVAL": "0.2",
        "STATUS_DASHBOARD_REGISTER_FLUSH_INTERVAL": "0.2",
        "STATUS_DASHBOARD_SESSION_SECRET": "q70AeI22gXdavSXV73HbRcLd8k_hPv6-7CU6keUz3TZhnnLJmIsPyvceaTzCCdf3",
        **(env or {}),
    }
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            serve_command(port, database_url, *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )
        server = RunningServer(
            f"http://127.0.0.1:{port}", port, database_url, process, log_path, 0.0
        )
        try:
            server.started_in = _wait_until_healthy(server, started)
            yield server
        finally:
            server.stop()


def _wait_until_healthy(server: RunningServer, started: float) -> float:
    deadline = started + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"server not healthy within {STARTUP_LIMIT_S} s:\n{server.log()}")
