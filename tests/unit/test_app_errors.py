"""A bug answers a 500 problem that shows only its instance id, on both kinds of route."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import pytest

from status_dashboard.api.app import AppParts, StatusDashboardApp
from status_dashboard.service.health import HealthReport
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.service.tracing import ClientTracker


class _BrokenSnapshot(DashboardSnapshot):
    @property
    def ready(self) -> bool:
        return True

    def lookup(self, environment_key: str | None) -> Any:
        raise KeyError("secret internal detail")


def _broken_health() -> HealthReport:
    raise RuntimeError("secret internal detail")


async def _nothing() -> None:
    return None


def _call(app: StatusDashboardApp, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [], "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 1), "root_path": ""}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


@pytest.fixture
def broken_app() -> StatusDashboardApp:
    parts = AppParts(_BrokenSnapshot(), ClientTracker(), _broken_health, _nothing, _nothing)
    return StatusDashboardApp(parts)


@pytest.mark.parametrize("path", ["/api/v1/dashboard", "/health"])
def test_a_bug_answers_500_with_only_an_instance_id_and_logs_it(
    broken_app: StatusDashboardApp, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        status, headers, body = _call(broken_app, path)
    assert status == 500
    assert headers[b"content-type"] == b"application/problem+json"
    problem = orjson.loads(body)
    assert set(problem) == {"type", "href", "title", "status", "instance"}
    assert b"secret" not in body
    trace_id = problem["instance"].removeprefix("urn:uuid:")
    assert any(trace_id in record.getMessage() for record in caplog.records)
