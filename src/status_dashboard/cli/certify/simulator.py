"""The simulator a certification runs against: one already running at a URL, or one the kit
starts for itself on a free loopback port, with short waits so that a whole run takes a minute
or two instead of the production pace (max-age 15 s, Retry-After 20-30 s)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

OWN_MAX_AGE_S = 1
OWN_RETRY_AFTER_S = 2
OWN_SLOW_DELAY_S = 2.0
START_TIMEOUT_S = 30.0
_KIT_AGENT = "status-dashboard-certify/1.0 httpx/0.28"
"""The kit's own identity for its reference reads and the report, apart from the client's."""


@dataclass(frozen=True, slots=True)
class Simulator:
    url: str
    slow_delay_s: float | None
    """The `slow` fault's delay when the kit knows it (its own simulator), else None."""

    def scenario_url(self, scenario: str) -> str:
        """The base URL under which every dashboard path plays `scenario`."""
        return f"{self.url}/scenarios/{scenario}"

    def reference(self, scenario: str) -> Any:
        """The scenario's dashboard as the simulator sends it, read apart from the client."""
        answer = self._get(f"{self.scenario_url(scenario)}/api/v1/dashboard")
        answer.raise_for_status()
        return answer.json()

    def report(self, user_agent: str) -> dict[str, Any] | None:
        answer = self._get(f"{self.url}/api/v1/simulator/report?user_agent={quote(user_agent)}")
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        document: dict[str, Any] = answer.json()
        return document

    def forget(self, user_agent: str) -> None:
        url = f"{self.url}/api/v1/simulator/report?user_agent={quote(user_agent)}"
        httpx.delete(url, headers=_headers(), timeout=10).raise_for_status()

    def scenarios(self) -> list[dict[str, Any]]:
        answer = self._get(f"{self.url}/api/v1/simulator/scenarios")
        answer.raise_for_status()
        listed: list[dict[str, Any]] = answer.json()
        return listed

    def _get(self, url: str) -> httpx.Response:
        return httpx.get(url, headers=_headers(), timeout=10)


def _headers() -> dict[str, str]:
    return {"User-Agent": _KIT_AGENT, "Accept": "application/json"}


class SimulatorUnavailable(Exception):
    pass


def at_url(url: str) -> Simulator:
    simulator = Simulator(url.rstrip("/"), slow_delay_s=None)
    try:
        simulator.scenarios()
    except (httpx.HTTPError, ValueError) as exc:
        raise SimulatorUnavailable(f"no simulator answers at {url}: {exc}") from None
    return simulator


@contextlib.contextmanager
def own_simulator() -> Iterator[Simulator]:
    """A simulator of the kit's own on 127.0.0.1, stopped when the run ends."""
    port = _free_port()
    command = [
        sys.executable, "-m", "status_dashboard", "simulate", "--host", "127.0.0.1",
        "--port", str(port), "--max-age", str(OWN_MAX_AGE_S),
        "--retry-after", str(OWN_RETRY_AFTER_S), "--slow-delay", str(OWN_SLOW_DELAY_S),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        simulator = Simulator(f"http://127.0.0.1:{port}", slow_delay_s=OWN_SLOW_DELAY_S)
        _wait_until_up(simulator, process)
        yield simulator
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(simulator: Simulator, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise SimulatorUnavailable(f"the simulator stopped at start: {error.strip()[-500:]}")
        with contextlib.suppress(httpx.HTTPError):
            simulator.scenarios()
            return
        time.sleep(0.1)
    raise SimulatorUnavailable(f"the simulator did not answer within {START_TIMEOUT_S:g} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
