"""Start the real `status-dashboard simulate` process on a free loopback port, and stop it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.server import CONFORMING_AGENT, free_port

STARTUP_LIMIT_S = 15.0
CLIENT_TIMEOUT_S = 10.0
JSON_HEADERS = {"User-Agent": CONFORMING_AGENT, "Accept": "application/json"}
SIMULATE = "from status_dashboard.cli.simulate import simulate; simulate()"
SLOW_DELAY_S = 1.5
"""The `--slow-delay` of the simulator the tests share (conftest.simulator)."""


@dataclass
class RunningSimulator:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, user_agent: str = CONFORMING_AGENT, **kwargs: object) -> httpx.Client:
        """A client that sends what the cookbook asks (User-Agent, Accept: application/json)."""
        headers = {"User-Agent": user_agent, "Accept": "application/json"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=CLIENT_TIMEOUT_S, **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"simulator did not stop on SIGTERM:\n{self.log()}") from None


@contextmanager
def running_simulator(log_dir: Path, *args: str) -> Iterator[RunningSimulator]:
    port = free_port()
    log_path = log_dir / f"simulator-{port}.log"
    command = [sys.executable, "-c", SIMULATE, "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        simulator = RunningSimulator(f"http://127.0.0.1:{port}", port, process, log_path)
        try:
            _wait_until_up(simulator, started)
            yield simulator
        finally:
            simulator.stop()


def _wait_until_up(simulator: RunningSimulator, started: float) -> None:
    while time.monotonic() < started + STARTUP_LIMIT_S:
        if simulator.process.poll() is not None:
            code = simulator.process.returncode
            raise AssertionError(f"simulator exited with {code}:\n{simulator.log()}")
        try:
            if httpx.get(f"{simulator.url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"simulator not up within {STARTUP_LIMIT_S} s:\n{simulator.log()}")


def problem_of(response: httpx.Response, status: int) -> dict[str, object]:
    """The problem+json body of `response`, checked to be one of `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["instance"] == f"urn:uuid:{response.headers['belgov-trace-id']}"
    return body
