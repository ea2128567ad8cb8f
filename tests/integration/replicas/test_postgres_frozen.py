"""PostgreSQL frozen (SIGSTOP): there, accepting connections, acknowledging packets, answering
nothing. A write must fail with a 503 that says when to try again rather than hang for as long
as the freeze lasts, /health must say DEGRADED meanwhile, and all must recover once it thaws.

The PostgreSQL is the test's own (support/own_postgres.py): freezing the machine's shared one
would hang every other test using it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from integration.replicas.support import (
    CatalogDatabase,
    catalog_database_on,
    replica,
    set_item,
    shown_item,
    wait_for,
)

from support.admin import cli_output
from support.own_postgres import OwnPostgres, own_postgres

CLIENT_TIMEOUT_S = 30.0
"""The test's own patience: far more than the service's bound, so that what is asserted is the
answer, not how fast it came."""
STATE_LIMIT_S = 30.0
POLLS = {
    "STATUS_DASHBOARD_REFRESH_INTERVAL": "0.5",
    "STATUS_DASHBOARD_LISTEN_FALLBACK_INTERVAL": "1",
}
"""A frozen server sends no notice and breaks no connection: only the publisher's poll can
find it out, so it comes every second."""


@pytest.fixture
def own_server() -> Iterator[OwnPostgres]:
    with own_postgres() as server:
        yield server


@pytest.fixture
def database(own_server: OwnPostgres, tmp_path: Path) -> CatalogDatabase:
    url = own_server.create_database("frozen")
    cli_output(url, "db", "upgrade")
    return catalog_database_on(url, tmp_path / "catalog")


def test_with_postgresql_frozen_a_write_fails_with_a_503_and_health_is_degraded_until_it_thaws(
    own_server: OwnPostgres, database: CatalogDatabase, tmp_path: Path
) -> None:
    item_id = database.item_ids[0]
    with replica(database, tmp_path / "a", env=POLLS) as a:
        set_item(a, item_id, 2, "before the freeze")
        assert a.health()["status"] == "UP"

        own_server.freeze()
        try:
            took, answer = _write(a.operator(), item_id, "during the freeze")
            degraded = wait_for(
                lambda: _health_while(a.public(), "DEGRADED"), STATE_LIMIT_S, "DEGRADED"
            )
        finally:
            own_server.thaw()

        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0
        problem = answer.json()
        assert problem["type"] == "urn:problem-type:belgif:serviceUnavailable"
        assert "database is unavailable" in problem["detail"]
        assert degraded["details"]["database"]["status"] == "DOWN"

        wait_for(lambda: _health_while(a.public(), "UP"), STATE_LIMIT_S, "UP after the thaw")
        with a.public() as client:
            assert shown_item(client, item_id)["description"] == "before the freeze"
        set_item(a, item_id, 3, "after the thaw")
        with a.public() as client:
            wait_for(
                lambda: shown_item(client, item_id)["description"] == "after the thaw",
                STATE_LIMIT_S,
                "the write after the thaw",
            )
    print(f"a write to the frozen PostgreSQL was answered 503 after {took:.2f} s")


def _write(operator: httpx.Client, item_id: str, description: str) -> tuple[float, httpx.Response]:
    with operator:
        started = time.monotonic()
        answer = operator.patch(
            f"/api/admin/v1/dashboards/prod/items/{item_id}",
            json={"status_code": 2, "description": description},
            timeout=CLIENT_TIMEOUT_S,
        )
        return time.monotonic() - started, answer


def _health_while(client: httpx.Client, status: str) -> dict[str, object] | None:
    with client:
        answer = client.get("/health", timeout=CLIENT_TIMEOUT_S)
    assert answer.status_code == 200, answer.text
    document: dict[str, object] = answer.json()
    return document if document["status"] == status else None
