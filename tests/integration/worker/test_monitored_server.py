"""The monitor seen from the public API of a real server: a local target stopped turns its item
Disrupted after the threshold and started again Operational, within a second of the result;
a stopped monitor turns checked items Unknown after `stale_after`; pushes over HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any

import httpx
import pytest

from integration.worker.processes import start_worker, wait_for, write_catalog
from status_dashboard.bootstrap import Stores, open_stores
from status_dashboard.config import Settings
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckSchedule, PushCheck, TcpCheck
from status_dashboard.service.publisher import utc_now

from support.outbound import LOOPBACK_SETTING
from support.server import RunningServer, running_server

IDP, STS = ids.item_id("prod", "idp"), ids.item_id("prod", "sts")
OPERATIONAL, DISRUPTED, UNKNOWN = 1, 2, 3
SCHEDULE = CheckSchedule(interval_s=1, timeout_s=0.5, fail_threshold=2, stale_after_s=3)
TOKEN = "push-token-of-the-nightly-job"


@contextmanager
def listener_on(port: int) -> Iterator[None]:
    """Something listening on 127.0.0.1:`port` for the duration."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(64)
        yield


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def item(client: httpx.Client, item_id: str) -> dict[str, Any]:
    groups = client.get("/api/v1/dashboard").raise_for_status().json()["groups"]
    found: dict[str, Any] = next(i for g in groups for i in g["items"] if i["id"] == item_id)
    return found


def stores_of(server: RunningServer) -> Stores:
    return open_stores(Settings(database_url=server.database_url))


def checked(stores: Stores) -> bool:
    return all(check.state.last_result_at is not None for check in stores.monitor.checks())


def flip_delay(stores: Stores, client: httpx.Client, to: int, ok: bool, needed: int) -> float:
    """Wait until the API shows `to`; the seconds from the end of the check run that decided
    it (the `needed`-th of the latest results that are all `ok` or all not) to that moment."""
    wait_for(lambda: item(client, IDP)["status_code"] == to, 15, f"status {to} on the API")
    seen = utc_now()
    (check,) = stores.monitor.checks()
    latest = stores.monitor.results(check.id, limit=50)
    run = list(takewhile(lambda result: result.ok == ok, latest))[::-1]
    deciding = run[needed - 1]
    ended = deciding.at + timedelta(milliseconds=deciding.duration_ms)
    return (seen - ended).total_seconds()


def test_stopping_a_target_turns_its_item_disrupted_and_starting_it_operational_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path)
    port = free_port()
    with running_server(
        sqlite_url, tmp_path, "--catalog", str(catalog), env=LOOPBACK_SETTING
    ) as server:
        stores = stores_of(server)
        with server.client() as client, listener_on(port):
            stores.monitor.set_checks(
                IDP, [("port", TcpCheck("127.0.0.1", port), SCHEDULE)], utc_now()
            )
            wait_for(lambda: checked(stores), 15, "a first result")
            wait_for(lambda: item(client, IDP)["status_code"] == OPERATIONAL, 15, "operational")
        with server.client() as client:
            stopped = time.monotonic()
            delay = flip_delay(stores, client, DISRUPTED, ok=False, needed=2)
            took = time.monotonic() - stopped
            assert item(client, IDP)["description"] == "Connection refused"
            # Two failures one interval apart, then the public answer.
            assert took <= SCHEDULE.fail_threshold * SCHEDULE.interval_s + 1.5
            assert delay < 1.0
            with listener_on(port):
                delay = flip_delay(stores, client, OPERATIONAL, ok=True, needed=1)
                assert delay < 1.0
                assert "description" not in item(client, IDP)


def test_a_stopped_worker_turns_checked_items_unknown_after_stale_after(
    sqlite_url: str, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path)
    port = free_port()
    with (
        running_server(sqlite_url, tmp_path, "--catalog", str(catalog), "--no-monitor") as server,
        server.client() as client,
        listener_on(port),
    ):
        stores = stores_of(server)
        stores.monitor.set_checks(IDP, [("port", TcpCheck("127.0.0.1", port), SCHEDULE)], utc_now())
        worker = start_worker(sqlite_url, tmp_path, "only")
        try:
            wait_for(lambda: checked(stores), 15, "a first result")
            wait_for(lambda: item(client, IDP)["status_code"] == OPERATIONAL, 15, "operational")
            # /health tells what the server's own last reconcile saw: one refresh later at most.
            wait_for(
                lambda: client.get("/health").json()["details"].get("monitor") == {"status": "UP"},
                5,
                "health reports the monitor up",
            )
        finally:
            assert worker.terminate() == 0
        stopped = time.monotonic()
        wait_for(lambda: item(client, IDP)["status_code"] == UNKNOWN, 15, "unknown")
        assert time.monotonic() - stopped >= SCHEDULE.stale_after.total_seconds() - 1.5
        assert item(client, STS)["status_code"] == OPERATIONAL  # no checks: its manual status


def test_a_server_without_any_monitor_reports_checked_items_unknown_and_health_degraded(
    sqlite_url: str, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path)
    with (
        running_server(sqlite_url, tmp_path, "--catalog", str(catalog), "--no-monitor") as server,
        server.client() as client,
    ):
        stores_of(server).monitor.set_checks(
            IDP, [("port", TcpCheck("127.0.0.1", 9), SCHEDULE)], utc_now()
        )
        wait_for(lambda: item(client, IDP)["status_code"] == UNKNOWN, 15, "unknown")
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "DEGRADED"
        assert health.json()["details"]["monitor"] == {"status": "DOWN"}


@pytest.fixture
def push_server(sqlite_url: str, tmp_path: Path) -> Iterator[RunningServer]:
    catalog = write_catalog(tmp_path)
    with running_server(
        sqlite_url, tmp_path, "--catalog", str(catalog), env=LOOPBACK_SETTING
    ) as server:
        schedule = CheckSchedule(interval_s=2, timeout_s=1, fail_threshold=1)
        stores_of(server).monitor.set_checks(IDP, [("job", PushCheck(TOKEN), schedule)], utc_now())
        yield server


def test_a_push_over_http_turns_a_silent_push_check_operational(
    push_server: RunningServer,
) -> None:
    with push_server.client() as client:
        wait_for(lambda: item(client, IDP)["status_code"] == DISRUPTED, 15, "disrupted")
        assert item(client, IDP)["description"] == "no push yet"

        answer = client.post(f"/api/v1/push/{TOKEN}")

        assert answer.status_code == 200
        assert answer.json()["status"] == "received"
        assert wait_for(lambda: item(client, IDP)["status_code"] == OPERATIONAL, 5, "up") < 1.5


@pytest.mark.parametrize("token", ["unknown-token-of-nobody", "short", "bad token!" * 3])
def test_a_push_with_a_token_no_check_has_is_not_found(
    push_server: RunningServer, token: str
) -> None:
    with push_server.client() as client:
        answer = client.post(f"/api/v1/push/{token}")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"] == "no push check has this token"


def test_a_push_is_only_a_post(push_server: RunningServer) -> None:
    with push_server.client() as client:
        answer = client.get(f"/api/v1/push/{TOKEN}")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
