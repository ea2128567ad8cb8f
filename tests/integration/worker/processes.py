"""Real `status-dashboard worker` processes for the tests, and a small catalog to run them on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from support.outbound import LOOPBACK_SETTING

CATALOG = """
environments:
  prod:
    groups:
      iam:
        name: "1. IAM - Identity & Access Management"
        items:
          idp:
            name: "eHealth IDP - Identity provider"
            status: operational
          sts:
            name: "WebService eHealth - STS - Secure Token Service"
            status: operational
"""


def write_catalog(directory: Path) -> Path:
    path = directory / "catalog.yaml"
    path.write_text(CATALOG)
    return path


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, limit: float = 15.0) -> int:
        """SIGTERM, as a service manager would; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"worker did not stop on SIGTERM:\n{self.log()}") from None

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-run, leases and all."""
        self.process.kill()
        self.process.wait(timeout=5)


def start_worker(
    database_url: str, log_dir: Path, name: str, env: dict[str, str] | None = None
) -> WorkerProcess:
    log_path = log_dir / f"worker-{name}.log"
    environment = {
        **os.environ,
        "STATUS_DASHBOARD_MONITOR_LEASE_GRACE": "1",
        "STATUS_DASHBOARD_LOG_LEVEL": "info",
        **LOOPBACK_SETTING,  # the targets the tests start listen on 127.0.0.1
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "status_dashboard",
        "worker",
        "--database",
        database_url,
        "--name",
        name,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
    return WorkerProcess(name, process, log_path)


def wait_for(condition: Callable[[], bool], limit: float, what: str) -> float:
    """Poll `condition` until true; the seconds it took. Fails with `what` past `limit`."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > limit:
            raise AssertionError(f"not within {limit} s: {what}")
        time.sleep(0.05)
    return time.monotonic() - began
