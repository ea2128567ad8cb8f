"""Helpers of the replica tests: a database with a catalog, replicas on it, an operator's
writes, what a replica shows, and the listening sessions PostgreSQL sees."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import sqlalchemy
from sqlalchemy import text

from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.listener import APPLICATION_NAME
from status_dashboard.store.sql import SqlDashboardStore

from support.admin import cli_output
from support.server import CONFORMING_AGENT, RunningServer, running_server

SLOW_POLL = {
    "STATUS_DASHBOARD_REFRESH_INTERVAL": "30",
    "STATUS_DASHBOARD_LISTEN_FALLBACK_INTERVAL": "30",
}
"""Polls that never come within a test: a change seen sooner was announced."""

CATALOG = """
environments:
  prod:
    groups:
      iam:
        name: "1. IAM - Identity & Access Management"
        items:
          idp:
            name: "eHealth IDP - Identity provider - Authorization management"
            status: operational
          sts:
            name: "WebService eHealth - STS - Secure Token Service"
            status: operational
"""

T = TypeVar("T")


@dataclass(frozen=True)
class CatalogDatabase:
    url: str
    token: str
    """An operator's bearer token."""
    item_ids: tuple[str, ...]
    """The PROD items, in order."""

    def engine(self) -> sqlalchemy.Engine:
        return create_engine_for(self.url)


def catalog_database_on(url: str, directory: Path) -> CatalogDatabase:
    directory.mkdir(parents=True, exist_ok=True)
    catalog = directory / "catalog.yaml"
    catalog.write_text(CATALOG)
    cli_output(url, "catalog", "load", str(catalog))
    token = cli_output(url, "token", "create", "--name", "ops", "--role", "operator")
    engine = create_engine_for(url)
    try:
        prod = next(env for env in SqlDashboardStore(engine).environments() if env.key == "prod")
    finally:
        engine.dispose()
    return CatalogDatabase(url, token, tuple(i.id for g in prod.groups for i in g.items))


@dataclass
class Replica:
    server: RunningServer
    database: CatalogDatabase

    def public(self) -> httpx.Client:
        return self.server.client()

    def operator(self) -> httpx.Client:
        client = self.server.client()
        client.headers["Authorization"] = f"Bearer {self.database.token}"
        return client

    def health(self) -> dict[str, Any]:
        with self.public() as client:
            document: dict[str, Any] = client.get("/health").json()
        return document

    def listener_status(self) -> str | None:
        listener = self.health()["details"].get("listener")
        return None if listener is None else str(listener["status"])


@contextmanager
def replica(
    database: CatalogDatabase, directory: Path, env: dict[str, str] | None = None
) -> Iterator[Replica]:
    """`serve --no-monitor` on `database`: only the tests' writes change what it shows."""
    directory.mkdir(parents=True, exist_ok=True)
    settings = {**SLOW_POLL, "STATUS_DASHBOARD_SSE_HEARTBEAT": "1", **(env or {})}
    with running_server(database.url, directory, "--no-monitor", env=settings) as server:
        yield Replica(server, database)


def set_item(replica: Replica, item_id: str, status_code: int, description: str) -> float:
    """An operator's override through `replica`'s admin API; when the answer came back."""
    with replica.operator() as client:
        response = client.patch(
            f"/api/admin/v1/dashboards/prod/items/{item_id}",
            json={"status_code": status_code, "description": description},
        )
    assert response.status_code == 200, response.text
    return time.monotonic()


def shown_item(client: httpx.Client, item_id: str) -> dict[str, Any]:
    groups = client.get("/api/v1/dashboard").json()["groups"]
    item: dict[str, Any] = next(i for g in groups for i in g["items"] if i["id"] == item_id)
    return item


def wait_for(check: Callable[[], T | None], limit: float, what: str) -> T:
    """The first truthy result of `check`, tried every 5 ms; fails after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {limit} s")
        time.sleep(0.005)


def percentile(values: Iterable[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- PostgreSQL's side ---------------------------------------------------------------------


def listening_sessions(database: CatalogDatabase) -> list[int]:
    """The pids of the sessions listening on the database, as `pg_stat_activity` shows them."""
    query = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND query LIKE 'LISTEN%' AND application_name = :name"
    )
    engine = database.engine()
    try:
        with engine.connect() as connection:
            return [row.pid for row in connection.execute(query, {"name": APPLICATION_NAME})]
    finally:
        engine.dispose()


def terminate_listeners(database: CatalogDatabase) -> int:
    """Kill every listening session of the database, as a failover or an operator would."""
    query = text(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
    )
    engine = database.engine()
    try:
        with engine.connect() as connection:
            return sum(1 for row in connection.execute(query) if row[0])
    finally:
        engine.dispose()


def sessions_of(database: CatalogDatabase) -> list[str]:
    """The application names of every other session on the database."""
    query = text(
        "SELECT application_name FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    engine = database.engine()
    try:
        with engine.connect() as connection:
            return [row.application_name for row in connection.execute(query)]
    finally:
        engine.dispose()


# -- live streams --------------------------------------------------------------------------

STREAM_HEADERS = {"User-Agent": CONFORMING_AGENT, "Accept": "text/event-stream"}


def dashboard_events(lines: Iterator[str], limit: float = 10.0) -> Iterator[dict[str, Any]]:
    """The dashboards a text/event-stream sends, decoded; heartbeats and comments passed. A
    stream whose heartbeats keep it alive but that sends no dashboard fails after `limit` s."""
    kind, data = None, []
    deadline = time.monotonic() + limit
    for line in lines:
        if time.monotonic() > deadline:
            raise AssertionError(f"no dashboard event within {limit} s")
        if line == "":
            if kind == "dashboard" and data:
                yield orjson.loads("\n".join(data))
                deadline = time.monotonic() + limit
            kind, data = None, []
        elif line.startswith("event:"):
            kind = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data.append(line.partition(":")[2].removeprefix(" "))
