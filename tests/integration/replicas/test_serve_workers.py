"""`serve --workers 2`: two processes answer on one port, one of them runs the monitor, a
change made through either shows on both, and SIGTERM stops them all, live streams open."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from integration.replicas.support import STREAM_HEADERS, dashboard_events, wait_for
from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings
from status_dashboard.store.engine import create_engine_for

from support.databases import postgres_database, sqlite_database_url
from support.server import RunningServer, running_server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    """`serve --demo --workers 2` (the monitor on) on a fresh database of each kind."""
    if request.param == "sqlite":
        with running_server(sqlite_database_url(tmp_path), tmp_path, *_ARGS) as server:
            yield server
    else:
        with postgres_database() as url, running_server(url, tmp_path, *_ARGS) as server:
            yield server


_ARGS = ("--demo", "--workers", "2")


def _pid_of_a_new_connection(server: RunningServer) -> int:
    """Which process answers a new connection (the kernel picks one per connection)."""
    with server.client() as client:
        pid: int = client.get("/health").json()["details"]["process"]["pid"]
    return pid


def _both_pids(server: RunningServer) -> set[int]:
    seen: set[int] = set()

    def two_seen() -> bool:
        seen.add(_pid_of_a_new_connection(server))
        return len(seen) == 2

    wait_for(two_seen, 15.0, "answers from two processes")
    return seen


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_processes_answer_on_one_port_and_one_runs_the_monitor(
    two_workers: RunningServer,
) -> None:
    pids = _both_pids(two_workers)
    assert os.getpid() not in pids
    assert two_workers.process.pid not in pids
    log = two_workers.log()
    listening = {int(pid) for pid in re.findall(r"event=listening url=\S+ pid=(\d+)", log)}
    assert listening == pids
    monitors = re.findall(r"event=monitor_started worker=\S+:(\d+)", log)
    assert len(monitors) == 1
    assert int(monitors[0]) in pids
    assert log.count("demo admin token") == 1, "the start-up chores ran more than once"


def test_a_change_made_through_one_process_shows_on_both(two_workers: RunningServer) -> None:
    token = re.findall(
        r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)", two_workers.log()
    )
    item_id = _an_item(two_workers)
    with two_workers.client() as client:
        client.headers["Authorization"] = f"Bearer {token[0]}"
        response = client.patch(
            f"/api/admin/v1/dashboards/prod/items/{item_id}",
            json={"status_code": 2, "description": "set through one of two processes"},
        )
    assert response.status_code == 200, response.text

    def every_process_shows_it() -> bool:
        shown: dict[int, str | None] = {}
        for _ in range(20):
            with two_workers.client() as client:
                pid = client.get("/health").json()["details"]["process"]["pid"]
                groups = client.get("/api/v1/dashboard").json()["groups"]
            item = next(i for g in groups for i in g["items"] if i["id"] == item_id)
            shown[pid] = item.get("description")
        return len(shown) == 2 and set(shown.values()) == {"set through one of two processes"}

    wait_for(every_process_shows_it, 5.0, "the change on both processes")


def test_sigterm_stops_every_process_with_live_streams_open(two_workers: RunningServer) -> None:
    pids = _both_pids(two_workers)
    timeout = httpx.Timeout(10.0, read=5.0)
    clients = [
        httpx.Client(base_url=two_workers.url, headers=STREAM_HEADERS, timeout=timeout)
        for _ in range(4)
    ]
    streams = [client.stream("GET", "/api/v1/dashboard/stream") for client in clients]
    try:
        for stream in streams:
            response = stream.__enter__()
            next(dashboard_events(response.iter_lines()))
        started = time.monotonic()
        assert two_workers.stop() == 0
        took = time.monotonic() - started
    finally:
        for stream, client in zip(streams, clients, strict=True):
            stream.__exit__(None, None, None)
            client.close()
    assert took < 10.0
    assert not any(_alive(pid) for pid in pids)
    assert "event=replicas_stopped replicas=2 clean=yes" in two_workers.log()
    if two_workers.database_url.startswith("postgresql"):
        assert _sessions(two_workers.database_url) == 0


def test_workers_need_a_fixed_port(sqlite_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from status_dashboard.cli import main

    result = CliRunner().invoke(
        main, ["serve", "--port", "0", "--workers", "2", "--database", sqlite_url]
    )
    assert result.exit_code == 2
    assert "--workers needs a fixed --port" in result.output


def test_the_processes_share_one_session_secret_and_load_no_catalog_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=sqlite_url, demo=True, catalog=tmp_path / "catalog.yaml")
    runtime = ServerRuntime(settings, open_stores(settings))
    try:
        replicas = runtime.replica_settings()
    finally:
        runtime.stores.close()
    assert replicas.catalog is None
    assert replicas.session_secret is not None
    assert len(replicas.session_secret.get_secret_value()) >= 32


def _an_item(server: RunningServer) -> str:
    with server.client() as client:
        item_id: str = client.get("/api/v1/dashboard").json()["groups"][0]["items"][0]["id"]
    return item_id


def _sessions(url: str) -> int:
    """Sessions on the database other than this one's."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()
