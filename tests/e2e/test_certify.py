"""The partner's path to acceptance, end to end: a simulator, a client pointed at it, and what
the simulator and the certification kit say of that client.

Every process here is real: `status-dashboard simulate` on a free loopback port, the kit as the
partner runs it (`python -m status_dashboard client certify`), and the clients under test (the
SDK, and a naive one written the way the cookbook says not to).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.server import free_port

NAIVE_AGENT = "naive-client"
"""One token, no version: what a quick script sends when nobody thought about it."""


def _kit(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "status_dashboard", "client", "certify", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def simulator() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "status_dashboard", "simulate", "--port", str(port)]
    command += ["--max-age", "1", "--retry-after", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                httpx.get(f"{url}/health", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the simulator did not start in 20 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def _naive_client(tmp_path: Path, polls: int = 3) -> Path:
    """A client that breaks the cookbook's rules: no Accept, a User-Agent outside the pattern,
    no conditional requests, and polls faster than max-age."""
    script = tmp_path / "naive.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, time, urllib.request
            base = os.environ["STATUS_DASHBOARD_URL"]
            for _ in range({polls}):
                request = urllib.request.Request(
                    base + "/api/v1/dashboard", headers={{"User-Agent": "{NAIVE_AGENT}"}}
                )
                try:
                    urllib.request.urlopen(request, timeout=5).read()
                except Exception:
                    pass
                time.sleep(0.1)
            """
        )
    )
    return script


def test_the_sdk_passes_every_official_case() -> None:
    run = _kit("--json")

    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads(run.stdout)
    failed = [case for case in document["cases"] if case["result"] != "pass"]
    assert failed == []
    assert document["result"] == "pass"
    scenarios = {case["scenario"] for case in document["cases"]}
    assert {"rate-limited-429", "unavailable-503", "timeout", "truncated-body"} <= scenarios
    assert len(document["cases"]) >= 25


def test_the_kit_prints_a_table_of_the_cases(simulator: str) -> None:
    run = _kit("--url", simulator, "--case", "error-500", "--case", "one-disrupted")

    assert run.returncode == 0, run.stdout + run.stderr
    assert "handles error-500" in run.stdout
    assert "reads one-disrupted" in run.stdout
    assert "PASS: 2 passed, 0 warned, 0 failed of 2" in run.stdout


def test_a_naive_client_command_fails_certification_with_the_rules_it_breaks(
    simulator: str, tmp_path: Path
) -> None:
    naive = _naive_client(tmp_path)
    run = _kit(
        "--url", simulator, "--command", f"{sys.executable} {naive}",
        "--user-agent", NAIVE_AGENT, "--case", "one-disrupted", "--case-seconds", "10", "--json",
    )  # fmt: skip

    assert run.returncode == 1, run.stdout + run.stderr
    (case,) = json.loads(run.stdout)["cases"]
    assert case["result"] == "fail"
    assert "user-agent" in case["observed"]
    assert "accept" in case["observed"]


def test_the_report_says_which_cookbook_rules_a_naive_client_breaks(
    simulator: str, tmp_path: Path
) -> None:
    naive = _naive_client(tmp_path)
    subprocess.run(
        [sys.executable, str(naive)],
        env={"STATUS_DASHBOARD_URL": simulator, "PATH": "/usr/bin:/bin"},
        timeout=30,
        check=True,
    )

    answer = httpx.get(
        f"{simulator}/api/v1/simulator/report", params={"user_agent": NAIVE_AGENT}, timeout=5
    )
    assert answer.status_code == 200
    report = answer.json()
    assert report["conforms"] is False
    assert set(report["broken_rules"]) >= {"user-agent", "accept"}
    statuses = {rule["rule"]: rule["status"] for rule in report["rules"]}
    assert statuses["poll-interval"] == "warn"
    page = httpx.get(f"{simulator}/simulator/report", params={"user_agent": NAIVE_AGENT}, timeout=5)
    assert page.status_code == 200
    assert NAIVE_AGENT in page.text
    assert "user-agent" in page.text


def test_the_kit_says_plainly_when_no_simulator_answers() -> None:
    run = _kit("--url", f"http://127.0.0.1:{free_port()}", timeout=60)

    assert run.returncode == 2
    assert "no simulator answers" in run.stderr
