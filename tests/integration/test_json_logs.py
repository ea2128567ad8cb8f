"""`--log-format json` on real `serve` and `worker` processes: every line they log is one JSON
object with `ts`, `level`, `logger` and `event`, the message's pairs as fields, and the trace
ids of the request that caused it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from integration.web.ui_server import prepared_database
from integration.worker.processes import wait_for

from support.server import running_server

RELATED = "partner-trace-0042"


def json_lines(log: str) -> list[dict[str, Any]]:
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines, "the process logged nothing"
    parsed = []
    for line in lines:
        try:
            document = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(document, dict), line
        assert {"ts", "level", "logger", "event"} <= document.keys(), line
        assert document["ts"].endswith("Z"), line
        parsed.append(document)
    return parsed


def event(lines: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [line for line in lines if line["event"] == name]
    assert found, f"no {name} line in {[line['event'] for line in lines]}"
    return found[-1]


def test_a_server_logs_json_lines_with_the_trace_ids_of_the_request(tmp_path: Path) -> None:
    url = prepared_database(tmp_path)
    with running_server(url, tmp_path, "--log-format", "json") as server:
        with server.client() as client:
            assert client.get("/api/v1/dashboard").status_code == 200
            # A form sent without its CSRF token is refused, and the refusal logged.
            refused = client.post(
                "/admin/login",
                data={"name": "alice", "password": "x"},
                headers={"BelGov-Trace-Id": RELATED},
            )
        assert refused.status_code == 403
        assert server.stop() == 0
        lines = json_lines(server.log())

    listening = event(lines, "listening")
    assert listening["logger"] == "status_dashboard.server"
    assert listening["url"] == server.url
    assert isinstance(listening["pid"], int)
    assert isinstance(event(lines, "started")["seconds"], float)
    csrf = event(lines, "csrf_refused")
    assert (csrf["level"], csrf["path"]) == ("warning", "/admin/login")
    assert csrf["trace_id"] == refused.headers["belgov-trace-id"]
    assert csrf["related_trace_id"] == RELATED
    assert "trace_id" not in listening, "lines outside a request carry no trace id"
    event(lines, "stopped")


def test_a_worker_logs_json_lines_too(tmp_path: Path) -> None:
    url = prepared_database(tmp_path)
    log_path = tmp_path / "worker.log"
    command = [sys.executable, "-m", "status_dashboard", "worker", "--database", url]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [*command, "--name", "json-worker", "--log-format", "json"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: b"monitor_started" in log_path.read_bytes(), 15, "the worker started")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    lines = json_lines(log_path.read_text())
    started = event(lines, "monitor_started")
    assert (started["worker"], started["concurrency"]) == ("json-worker", 100)
    stopped = event(lines, "monitor_stopped")
    assert isinstance(stopped["total_runs"], int)


@pytest.mark.parametrize(
    ("arguments", "env", "says"),
    [
        (["--log-format", "yaml"], {}, "--log-format"),
        ([], {"STATUS_DASHBOARD_LOG_FORMAT": "yaml"}, "log_format"),
    ],
)
def test_an_unknown_log_format_is_refused_before_anything_starts(
    tmp_path: Path, arguments: list[str], env: dict[str, str], says: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "status_dashboard", "serve", "--port", "0", *arguments],
        capture_output=True,
        text=True,
        env={**_environment(), **env},
        cwd=tmp_path,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert list(tmp_path.iterdir()) == [], "no database was made"


def _environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "STATUS_DASHBOARD_LOG_FORMAT"}
