"""PostgreSQL killed for 10 s under two replicas (docs/design.md §6): the public side keeps serving
the last snapshot, /health says DEGRADED, the operators' writes fail at once with a 503 that
says when to try again, and when PostgreSQL is back everything recovers by itself, with every
write made before the crash there once and none of the refused ones.

The PostgreSQL is the test's own (support/own_postgres.py): killing the machine's shared one
would fail every other test using it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from sqlalchemy import text

from integration.replicas.support import (
    CatalogDatabase,
    Replica,
    catalog_database_on,
    listening_sessions,
    replica,
    set_item,
    shown_item,
    wait_for,
)
from integration.web.conftest import csrf_of, version_of
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.store.audit import SqlAuditLog
from status_dashboard.store.engine import POOL_WAIT_S, create_engine_for
from status_dashboard.store.errors import StoreUnavailable, translated
from status_dashboard.store.records import CATALOG_ACTOR
from status_dashboard.store.sql import SqlDashboardStore

from support.admin import cli_output
from support.own_postgres import OwnPostgres, own_postgres
from support.server import CONFORMING_AGENT

OUTAGE_S = 10.0
WRITE_ANSWER_LIMIT_S = 3.0
"""A refused write answers within this: a refused connection fails at once."""
DEGRADED_WITHIN_S = 1.0 + 2.0
"""/health turns DEGRADED at the first failed contact with the store: the lost listener wakes
the publisher, whose poll then fails (within the 1 s poll without a listener), plus room for a
loaded machine."""
RECOVERY_LIMIT_S = 15.0
"""The listener's back-off between attempts grows to 10 s; the poll comes every half second."""
CHANGE_LIMIT_S = 2.0

FAST_POLL = {"STATUS_DASHBOARD_REFRESH_INTERVAL": "0.5"}
"""While the listener is down the publisher polls at this pace, so /health and the snapshot
learn at once that PostgreSQL is back."""
OPERATOR, PASSWORD = "olga", "olga-operator-password-1"


@pytest.fixture
def own_server() -> Iterator[OwnPostgres]:
    with own_postgres() as server:
        yield server


@pytest.fixture
def outage_database(own_server: OwnPostgres, tmp_path: Path) -> CatalogDatabase:
    """The replica tests' catalog on the own server, an operator's token, and an operator
    account for the UI."""
    url = own_server.create_database("status_dashboard")
    cli_output(url, "db", "upgrade")
    database = catalog_database_on(url, tmp_path / "catalog")
    created = subprocess.run(
        [sys.executable, "-m", "status_dashboard", "user", "create", OPERATOR, "--role",
         "operator", "--password-stdin", "--database", url],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    return database


@pytest.fixture
def replicas(outage_database: CatalogDatabase, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    with (
        replica(outage_database, tmp_path / "a", env=FAST_POLL) as a,
        replica(outage_database, tmp_path / "b", env=FAST_POLL) as b,
    ):
        yield a, b


# -- the outage ----------------------------------------------------------------------------


def test_with_postgresql_killed_for_ten_seconds_replicas_serve_writes_refuse_and_all_recovers(
    own_server: OwnPostgres, replicas: tuple[Replica, Replica]
) -> None:
    a, b = replicas
    written, refused = a.database.item_ids
    before = _before_the_crash(a, b, written)
    form = _signed_in_form(a, refused)

    own_server.stop("kill")
    crashed = time.monotonic()
    seen = _during_the_outage(replicas, before, refused, form, crashed)
    own_server.start()
    restarted = time.monotonic()

    _recovered(replicas)
    recovered_in = time.monotonic() - restarted
    set_item(b, written, 3, "after the outage")
    with a.public() as client:
        wait_for(
            lambda: shown_item(client, written).get("description") == "after the outage",
            CHANGE_LIMIT_S,
            "a write through B after the outage, on A",
        )
    _nothing_lost_nothing_refused_kept(a, written, refused)
    print(
        f"outage of {OUTAGE_S:g} s: {seen.dashboards} dashboards served unchanged, "
        f"{len(seen.refused_writes)} writes refused in at most {max(seen.write_answer_s):.3f} s, "
        f"DEGRADED after {max(seen.degraded_after_s.values()):.1f} s; "
        f"UP and listening again {recovered_in:.1f} s after the restart"
    )


@dataclass
class _Shown:
    """What a replica served just before the crash."""

    etag: str
    body: bytes


@dataclass
class _Seen:
    """What the outage looked like from outside."""

    dashboards: int = 0
    refused_writes: list[str] = field(default_factory=list)
    write_answer_s: list[float] = field(default_factory=list)
    degraded_after_s: dict[int, float] = field(default_factory=dict)


def _before_the_crash(a: Replica, b: Replica, item_id: str) -> dict[int, _Shown]:
    """A write through A shows on both; what each then serves, once they serve the same.

    Each replica renders its status page before the write, and not after: during the outage the
    page of the new revision was never rendered, so what it serves is the last one it had."""
    for replica_ in (a, b):
        with replica_.public() as client:
            assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
    set_item(a, item_id, 2, "before the outage")
    with b.public() as client:
        wait_for(
            lambda: shown_item(client, item_id).get("description") == "before the outage",
            CHANGE_LIMIT_S,
            "the write before the outage, on B",
        )

    def shown() -> dict[int, _Shown] | None:
        answers = {}
        for index, replica_ in enumerate((a, b)):
            with replica_.public() as client:
                answer = client.get("/api/v1/dashboard")
            answers[index] = _Shown(answer.headers["etag"], answer.content)
        return answers if answers[0].etag == answers[1].etag else None

    return wait_for(shown, CHANGE_LIMIT_S, "both replicas serving the same dashboard")


@dataclass
class _Form:
    client: httpx.Client
    path: str
    data: dict[str, str]


def _signed_in_form(a: Replica, item_id: str) -> _Form:
    """The UI's "Set" form of `item_id`, filled in by an operator signed in before the crash."""
    client = httpx.Client(
        base_url=a.server.url, headers={"User-Agent": CONFORMING_AGENT}, timeout=10.0
    )
    token = csrf_of(client.get("/admin/login").text)
    signed = client.post(
        "/admin/login",
        data={"csrf_token": token, "name": OPERATOR, "password": PASSWORD, "next": "/admin"},
    )
    assert signed.status_code == 303, signed.text
    board = client.get("/admin/env/prod").text
    data = {
        "csrf_token": csrf_of(board),
        "version": version_of(board, item_id),
        "status_code": "2",
        "description": "during the outage, from the UI",
        "expires_at": "",
        "back": "board",
    }
    return _Form(client, f"/admin/env/prod/items/{item_id}/override", data)


def _during_the_outage(
    replicas: tuple[Replica, Replica],
    before: dict[int, _Shown],
    item_id: str,
    form: _Form,
    crashed: float,
) -> _Seen:
    seen = _Seen()
    clients = [r.public() for r in replicas]
    operators = [r.operator() for r in replicas]
    try:
        _the_ui_refuses_its_form(form)
        for client in clients:
            _serves_the_last_page(client)
        next_write = crashed
        while (elapsed := time.monotonic() - crashed) < OUTAGE_S:
            for index, client in enumerate(clients):
                _serves_the_last_snapshot(client, before[index])
                seen.dashboards += 1
                _health_during(client, index, elapsed, seen)
            if time.monotonic() >= next_write:
                n = len(seen.refused_writes)
                _write_refused(operators[n % 2], item_id, f"during the outage {n}", seen)
                next_write += 1.0
            time.sleep(0.1)
    finally:
        for client in (*clients, *operators, form.client):
            client.close()
    assert seen.dashboards >= 40, seen
    assert len(seen.refused_writes) >= 8, seen
    assert set(seen.degraded_after_s) == {0, 1}, f"a replica never said DEGRADED: {seen}"
    return seen


def _serves_the_last_page(client: httpx.Client) -> None:
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")


def _serves_the_last_snapshot(client: httpx.Client, before: _Shown) -> None:
    answer = client.get("/api/v1/dashboard")
    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"] == before.etag
    assert answer.content == before.body
    unchanged = client.get("/api/v1/dashboard", headers={"If-None-Match": before.etag})
    assert unchanged.status_code == 304


def _health_during(client: httpx.Client, index: int, elapsed: float, seen: _Seen) -> None:
    """200 throughout, never DOWN; DEGRADED from its tolerance on, and from then on."""
    answer = client.get("/health")
    status = answer.json()["status"]
    assert answer.status_code == 200, answer.text
    assert status in ("UP", "DEGRADED"), answer.text
    if status == "DEGRADED":
        seen.degraded_after_s.setdefault(index, elapsed)
    else:
        assert index not in seen.degraded_after_s, f"replica {index} went UP again during outage"
        assert elapsed < DEGRADED_WITHIN_S, f"replica {index} still UP {elapsed:.1f} s on"


def _write_refused(operator: httpx.Client, item_id: str, description: str, seen: _Seen) -> None:
    started = time.monotonic()
    answer = operator.patch(
        f"/api/admin/v1/dashboards/prod/items/{item_id}",
        json={"status_code": 2, "description": description},
    )
    took = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    problem = answer.json()
    assert problem["type"] == "urn:problem-type:belgif:serviceUnavailable"
    assert problem["status"] == 503
    assert "database is unavailable" in problem["detail"]
    assert "127.0.0.1" not in answer.text, "the answer names the database's host"
    assert took < WRITE_ANSWER_LIMIT_S, f"a refused write took {took:.2f} s"
    seen.refused_writes.append(description)
    seen.write_answer_s.append(took)


def _the_ui_refuses_its_form(form: _Form) -> None:
    answer = form.client.post(form.path, data=form.data)
    assert answer.status_code == 503, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    assert int(answer.headers["retry-after"]) > 0
    assert "Database unavailable" in answer.text


def _recovered(replicas: tuple[Replica, Replica]) -> None:
    """Both UP again and listening, by themselves."""
    for replica_ in replicas:
        wait_for(
            lambda r=replica_: r.health()["status"] == "UP", RECOVERY_LIMIT_S, "/health UP again"
        )
    for replica_ in replicas:
        wait_for(
            lambda r=replica_: r.listener_status() == "UP", RECOVERY_LIMIT_S, "listening again"
        )
    assert len(listening_sessions(replicas[0].database)) == 2
    log = replicas[0].server.log()
    assert "event=listen_lost" in log
    assert "event=store_unavailable" in log
    assert "event=unhandled_error" not in log


def _nothing_lost_nothing_refused_kept(a: Replica, written: str, refused: str) -> None:
    """The item written before and after has one event each in its history and one audit
    entry each; the item only the refused writes were for has neither."""
    with a.operator() as operator:
        events = _history(operator, written)
        untouched = _history(operator, refused)
    kept = ["before the outage", "after the outage"]
    assert sorted(event["description"] for event in events) == sorted(kept), events
    assert untouched == [], untouched
    overrides = [
        (entry.target, (entry.after or {}).get("description"))
        for entry in _audit(a.database)
        if entry.action == "override.set"
    ]
    assert sorted(overrides) == sorted((f"item:{written}", d) for d in kept), overrides


def _audit(database: CatalogDatabase) -> list[AuditEntry]:
    """The audit log as the database holds it (the API shows it to admins only)."""
    engine = database.engine()
    try:
        return list(SqlAuditLog(engine).entries(AuditQuery(), cursor=None, limit=500).entries)
    finally:
        engine.dispose()


def _history(operator: httpx.Client, item_id: str) -> list[dict[str, Any]]:
    answer = operator.get(
        f"/api/admin/v1/dashboards/prod/items/{item_id}/history", params={"limit": 500}
    )
    assert answer.status_code == 200, answer.text
    # Only the operators' changes: the catalog's first statuses are history of their own.
    return [event for event in answer.json()["items"] if event["actor"] != CATALOG_ACTOR]


# -- the connection pool -------------------------------------------------------------------


def test_a_pool_whose_connections_died_serves_again_once_postgresql_is_back(
    own_server: OwnPostgres,
) -> None:
    engine = create_engine_for(own_server.create_database("pool"))
    try:
        _remember(engine, "written before the crash")
        with engine.connect() as first, engine.connect() as second:  # two wait in the pool
            first.execute(text("SELECT 1"))
            second.execute(text("SELECT 1"))
        own_server.stop("kill")
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"^database unavailable: "):
            _remembered(engine)
        assert time.monotonic() - started < WRITE_ANSWER_LIMIT_S
        own_server.start()
        assert _remembered(engine) == ["written before the crash"]
        assert _remembered(engine) == ["written before the crash"]
    finally:
        engine.dispose()


def test_a_connection_lost_in_the_middle_of_a_transaction_is_store_unavailable(
    own_server: OwnPostgres,
) -> None:
    engine = create_engine_for(own_server.create_database("midway"))

    def a_transaction_the_crash_cuts_short() -> None:
        with translated(engine.url), engine.begin() as connection:
            connection.execute(text("SELECT 1"))
            own_server.stop("immediate")
            connection.execute(text("SELECT 1"))

    try:
        with pytest.raises(StoreUnavailable, match=r"^database unavailable: "):
            a_transaction_the_crash_cuts_short()
    finally:
        engine.dispose()


def test_with_every_pooled_connection_held_a_request_gives_up_after_the_pool_wait(
    own_server: OwnPostgres,
) -> None:
    engine = create_engine_for(own_server.create_database("busy"))
    store = SqlDashboardStore(engine)
    held = []
    try:
        capacity = engine.pool.size() + engine.pool._max_overflow  # type: ignore[attr-defined]
        held = [engine.connect() for _ in range(capacity)]
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"^database unavailable: QueuePool limit"):
            store.revision()
        waited = time.monotonic() - started
        assert POOL_WAIT_S - 0.5 <= waited < POOL_WAIT_S + 2.0
    finally:
        for connection in held:
            connection.close()
        engine.dispose()


def _remember(engine: sqlalchemy.Engine, note: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (note text)"))
        connection.execute(text("INSERT INTO notes VALUES (:note)"), {"note": note})


def _remembered(engine: sqlalchemy.Engine) -> list[str]:
    with translated(engine.url), engine.connect() as connection:
        return [row.note for row in connection.execute(text("SELECT note FROM notes"))]
