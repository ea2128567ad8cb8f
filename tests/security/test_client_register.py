"""The client register stays bounded however many identities call: a cap of identities per
environment with an "(other clients)" line that keeps counting the rest across flushes, a
bounded buffer between flushes, retention by last seen, and pages in the admin API and UI."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from integration.web.conftest import sign_in
from integration.web.ui_server import UiServer, ui_server
from status_dashboard.domain.ports import OVERFLOW_IDENTITY, ClientRegister, ClientSighting
from status_dashboard.service.retention import ClientRetention
from status_dashboard.service.tracing import MAX_CLIENTS_PER_ENVIRONMENT, ClientTracker
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.memory import MemoryClientRegister
from status_dashboard.store.sql import SqlClientRegister

from support.admin import cli_output
from support.databases import sqlite_database_url
from support.server import running_server

DISTINCT_AGENTS = 12_000
CAP = 300
T0 = datetime(2026, 5, 9, 8, 0, tzinfo=UTC)


def _agent(n: int) -> str:
    return f"flood{n}/1.0 bot/1.0"


def _all_pages(client: httpx.Client, path: str, limit: int) -> list[list[dict[str, object]]]:
    pages: list[list[dict[str, object]]] = []
    cursor: int | None = None
    while True:
        params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
        answer = client.get(path, params=params)
        assert answer.status_code == 200, answer.text
        document = answer.json()
        pages.append(document["items"])
        cursor = document["next_cursor"]
        if cursor is None:
            return pages


def test_12000_distinct_user_agents_stay_within_the_cap_with_an_other_clients_line(
    tmp_path: Path,
) -> None:
    url = sqlite_database_url(tmp_path)
    cli_output(url, "db", "upgrade")
    token = cli_output(url, "token", "create", "--name", "reader", "--role", "viewer")
    env = {"STATUS_DASHBOARD_MAX_CLIENTS_PER_ENVIRONMENT": str(CAP)}
    with running_server(url, tmp_path, "--demo", env=env) as server:

        def call(numbers: range) -> None:
            with httpx.Client(base_url=server.url, timeout=10.0) as client:
                for n in numbers:
                    answer = client.get("/api/v1/dashboard", headers={"User-Agent": _agent(n)})
                    assert answer.status_code == 200

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(call, [range(k, DISTINCT_AGENTS, 4) for k in range(4)]))

        path = "/api/admin/v1/dashboards/prod/clients"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10.0) as admin:
            deadline = time.monotonic() + 30
            while True:  # the register is written every flush interval (0.2 s here)
                pages = _all_pages(admin, path, 100)
                lines = [line for page in pages for line in page]
                total = sum(int(str(line["request_count"])) for line in lines)
                if total == DISTINCT_AGENTS or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            first = admin.get(path)
    assert total == DISTINCT_AGENTS
    assert len(lines) == CAP + 1
    assert all(len(page) <= 100 for page in pages)
    assert len(pages) == 4
    assert len({line["user_agent"] for line in lines}) == CAP + 1
    (overflow,) = [line for line in lines if line["user_agent"] == OVERFLOW_IDENTITY]
    assert overflow["request_count"] == DISTINCT_AGENTS - CAP
    assert overflow["conforming"] is False
    assert len(first.json()["items"]) == 50  # a page by default, not the whole register


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def small_register(request: pytest.FixtureRequest) -> Iterator[ClientRegister]:
    if request.param == "memory":
        yield MemoryClientRegister(max_per_environment=3)
        return
    engine = create_engine_for(request.getfixturevalue(f"{request.param}_url"))
    yield SqlClientRegister(engine, max_per_environment=3)
    engine.dispose()


def _seen(agent: str, count: int = 1, minute: int = 0, conforming: bool = True) -> ClientSighting:
    at = T0 + timedelta(minutes=minute)
    return ClientSighting("prod", agent, conforming, count, at, at)


def test_the_overflow_is_carried_across_flushes(small_register: ClientRegister) -> None:
    small_register.record([_seen(f"a{n}/1 x/1", count=10 - n) for n in range(5)])
    small_register.record(
        [_seen("a0/1 x/1", 5, 1), _seen("b0/1 x/1", 7, 1), _seen("b1/1 x/1", 1, 2, False)]
    )
    lines = {r.user_agent: r for r in small_register.clients("prod", None, 50).entries}
    # The first flush admitted the three most requested; the rest and every later newcomer,
    # conforming or not, are counted on the one overflow line.
    assert set(lines) == {"a0/1 x/1", "a1/1 x/1", "a2/1 x/1", OVERFLOW_IDENTITY}
    assert lines["a0/1 x/1"].request_count == 10 + 5
    overflow = lines[OVERFLOW_IDENTITY]
    assert overflow.request_count == (7 + 6) + (7 + 1)
    assert overflow.conforming is False
    assert overflow.last_seen == T0 + timedelta(minutes=2)


def test_pages_follow_last_seen_newest_first(small_register: ClientRegister) -> None:
    small_register.record([_seen(f"a{n}/1 x/1", minute=n) for n in range(3)])
    first = small_register.clients("prod", None, 2)
    rest = small_register.clients("prod", first.next_cursor, 2)
    assert [r.user_agent for r in first.entries] == ["a2/1 x/1", "a1/1 x/1"]
    assert [r.user_agent for r in rest.entries] == ["a0/1 x/1"]
    assert rest.next_cursor is None


def test_retention_prunes_identities_not_seen_since(small_register: ClientRegister) -> None:
    now = T0 + timedelta(days=100)
    small_register.record(
        [_seen("old/1 x/1", minute=0), _seen("recent/1 x/1", minute=20 * 24 * 60)]
    )
    retention = ClientRetention(small_register, lambda: now, timedelta(days=90))
    assert retention.run_once() == 1
    lines = small_register.clients("prod", None, 50).entries
    assert [r.user_agent for r in lines] == ["recent/1 x/1"]


def test_the_buffer_between_flushes_stays_bounded_when_writes_fail() -> None:
    tracker = ClientTracker()
    failed: list[ClientSighting] = []
    for flush in range(3):  # three flushes in a row fail, each putting its counts back
        for n in range(MAX_CLIENTS_PER_ENVIRONMENT):
            tracker.seen("prod", f"flood{flush}-{n}/1 x/1", True, 1.0)
        tracker.restore(failed)
        failed = tracker.drain()
    assert len(failed) == MAX_CLIENTS_PER_ENVIRONMENT + 1
    assert sum(s.count for s in failed) == 3 * MAX_CLIENTS_PER_ENVIRONMENT


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(Path(tmp_path_factory.mktemp("clients-ui"))) as server:
        yield server


def test_the_admin_ui_shows_the_register_a_page_at_a_time(ui: UiServer) -> None:
    with ui.client() as client:
        for n in range(150):
            client.get("/api/v1/dashboard/acc", headers={"User-Agent": _agent(n)})
    with sign_in(ui, "victor") as viewer:
        # The register is written every few seconds, the 150 perhaps in two flushes: wait
        # until both pages hold all of them.
        deadline = time.monotonic() + 30
        while True:
            page, rest = viewer.get("/admin/env/acc/clients").text, ""
            more = re.search(r'<a href="(/admin/env/acc/clients\?cursor=\d+)">', page)
            if more:
                rest = viewer.get(more.group(1).replace("&amp;", "&")).text
            shown, then = re.findall(r"<code>flood\d+/", page), re.findall(r"<code>flood\d+/", rest)
            if len(shown) + len(then) >= 150 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert more, "no link to the next page"
    assert len(shown) == 100
    assert len(then) == 50
    assert not set(shown) & set(then)
