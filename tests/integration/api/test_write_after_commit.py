"""A write the database committed is answered as done, even when the database fails right after
the commit, before the write could be reconciled and published: the answer is 2xx, built from
what the write's transaction returned, and the write shows once the database is back.

The application is the real composition (bootstrap's `ServerRuntime`) over HTTP on a loopback
port, on SQLite and PostgreSQL. The fault is injected at the operations store's port: after a
write returns, every call raises the store's own `StoreUnavailable`, as a database that went
away would, until the test lets it back.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.ports import OperationsStore
from status_dashboard.store.errors import StoreUnavailable

from support.admin import cli_output, database_for
from support.in_process import serving_in_thread
from support.server import CONFORMING_AGENT

IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, "eHealth IDP - ... Authorization management"
API = "/api/admin/v1/dashboards/prod"
WRITES = frozenset(
    {
        "set_override",
        "clear_override",
        "open_incident",
        "add_incident_update",
        "schedule_maintenance",
        "update_maintenance",
        "cancel_maintenance",
    }
)
SHOWN_WITHIN_S = 15.0


class DownAfterCommit:
    """An `OperationsStore` whose database goes away right after a write commits, when armed."""

    def __init__(self, real: OperationsStore) -> None:
        self._real = real
        self.armed = False
        self.down = False

    def recover(self) -> None:
        self.armed = self.down = False

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._real, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreUnavailable("database unavailable: connection refused")
            result = method(*args, **kwargs)
            if self.armed and name in WRITES:
                self.down = True
            return result

        return call


@dataclasses.dataclass
class Served:
    url: str
    token: str
    fault: DownAfterCommit

    def client(self) -> httpx.Client:
        headers = {"User-Agent": CONFORMING_AGENT, "Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    with database_for(request.param, tmp_path) as url:
        cli_output(url, "db", "upgrade")
        settings = Settings(
            database_url=SecretStr(url),
            session_secret=SecretStr(secrets.token_urlsafe(48)),
            monitor=False,
            demo=True,
            refresh_interval=0.2,
        )
        stores = open_stores(settings)
        fault = DownAfterCommit(stores.operations)
        runtime = ServerRuntime(settings, dataclasses.replace(stores, operations=fault))  # type: ignore[arg-type]
        try:
            runtime.load_startup_catalog()
            token = runtime.accounts.create_token(
                Principal.system("test"), "op", Role.OPERATOR, None, None
            )
            with serving_in_thread(runtime.app()) as served_url:
                yield Served(served_url, token.secret, fault)
        finally:
            stores.close()


def _public_code(served: Served, item_id: str) -> int:
    with httpx.Client(base_url=served.url, headers={"User-Agent": CONFORMING_AGENT}) as client:
        groups = client.get("/api/v1/dashboard").json()["groups"]
    code: int = next(i for g in groups for i in g["items"] if i["id"] == item_id)["status_code"]
    return code


def _until_public_code(served: Served, item_id: str, code: int) -> int:
    """The item's public code once it is `code`, or the last one seen when it never became it."""
    deadline = time.monotonic() + SHOWN_WITHIN_S
    seen = _public_code(served, item_id)
    while seen != code and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = _public_code(served, item_id)
    return seen


def test_an_override_committed_before_the_database_fails_is_answered_200(served: Served) -> None:
    with served.client() as client:
        served.fault.armed = True
        answer = client.patch(f"{API}/items/{IDP}", json={"status_code": 3, "description": "x"})
        served.fault.recover()
        assert answer.status_code == 200, answer.text
        assert answer.json()["override"]["status_code"] == 3
        assert answer.headers["etag"]
        assert client.get(f"{API}/items/{IDP}").json()["override"]["description"] == "x"
    # The periodic reconciler publishes what the write's own reconcile could not.
    assert _until_public_code(served, IDP, 3) == 3


def test_a_cleared_override_committed_before_the_database_fails_is_answered_200(
    served: Served,
) -> None:
    with served.client() as client:
        assert client.patch(f"{API}/items/{IDP}", json={"status_code": 2}).status_code == 200
        served.fault.armed = True
        answer = client.delete(f"{API}/items/{IDP}/override")
        served.fault.recover()
        assert answer.status_code == 200, answer.text
        assert answer.json()["override"] is None
        assert client.get(f"{API}/items/{IDP}").json()["override"] is None


def test_an_incident_committed_before_the_database_fails_is_answered_201_once(
    served: Served,
) -> None:
    opening = {"title": "IDP down", "impact": "major", "item_ids": [IDP], "message": "Looking"}
    key = {"Idempotency-Key": '"5b0a8f43-2f6e-4c1e-9d2b-7d1c0c3e9a11"'}
    with served.client() as client:
        served.fault.armed = True
        answer = client.post(f"{API}/incidents", json=opening, headers=key)
        served.fault.recover()
        assert answer.status_code == 201, answer.text
        incident = answer.json()
        assert incident["title"] == "IDP down"
        # A client that did not hear the answer retries with the same key: the same incident.
        retried = client.post(f"{API}/incidents", json=opening, headers=key)
        assert retried.status_code == 201, retried.text
        assert retried.json()["id"] == incident["id"]
        listed = client.get(f"{API}/incidents").json()["items"]
    assert [i["id"] for i in listed] == [incident["id"]]
    assert _until_public_code(served, IDP, 2) == 2


def test_an_incident_update_committed_before_the_database_fails_is_answered_201(
    served: Served,
) -> None:
    opening = {"title": "IDP down", "impact": "major", "item_ids": [IDP], "message": "Looking"}
    with served.client() as client:
        incident = client.post(f"{API}/incidents", json=opening).json()
        served.fault.armed = True
        answer = client.post(
            f"{API}/incidents/{incident['id']}/updates",
            json={"state": "resolved", "message": "Fixed"},
        )
        served.fault.recover()
        assert answer.status_code in (200, 201), answer.text
        assert answer.json()["state"] == "resolved"
        assert client.get(f"{API}/incidents/{incident['id']}").json()["state"] == "resolved"


def test_a_window_committed_before_the_database_fails_is_answered_201(served: Served) -> None:
    start = datetime.now(UTC) + timedelta(hours=1)
    window = {
        "title": "Upgrade",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "item_ids": [IDP],
        "impact": "minor",
    }
    with served.client() as client:
        served.fault.armed = True
        answer = client.post(f"{API}/maintenance", json=window)
        served.fault.recover()
        assert answer.status_code == 201, answer.text
        listed = client.get(f"{API}/maintenance").json()["items"]
    assert [w["id"] for w in listed] == [answer.json()["id"]]
