"""The sign-in throttle behind a proxy: clients told apart by the trusted proxy's
X-Forwarded-For (an untrusted peer's is ignored), waits that grow per address and per name and
stop at a cap, counts shared by every server on one database, and a cap on password checks
running at once."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from integration.web.ui_server import PASSWORDS, SESSION_SECRET, UiServer, prepared_database
from security.sessions_support import audit_entries, sign_in_form
from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings
from status_dashboard.domain.accounts import Role
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.throttle import FREE_FAILURES, MAX_DELAY_S, delay_after, login_keys
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.memory import MemoryDatabase, MemoryLoginFailures
from status_dashboard.store.throttle import SqlLoginFailures

from support.databases import postgres_database
from support.in_process import serving_in_thread
from support.server import running_server

WRONG = "wrong-password-x"
ATTEMPTS_LIMIT = 12


@pytest.fixture(scope="module")
def trusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """Behind a proxy on this machine: loopback is trusted, as by default."""
    directory = tmp_path_factory.mktemp("throttle-trusting")
    with _server(directory, prepared_database(directory)) as running:
        yield running


@pytest.fixture(scope="module")
def distrusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    directory = tmp_path_factory.mktemp("throttle-distrusting")
    env = {"STATUS_DASHBOARD_FORWARDED_ALLOW_IPS": ""}
    with _server(directory, prepared_database(directory), env) as running:
        yield running


@contextmanager
def _server(directory: Path, url: str, env: dict[str, str] | None = None) -> Iterator[UiServer]:
    environment = {"STATUS_DASHBOARD_SESSION_SECRET": SESSION_SECRET, **(env or {})}
    with running_server(url, directory, "--no-monitor", env=environment) as running:
        yield UiServer(running.url, running.database_url, running.log_path)


def _fail_until_throttled(server: UiServer, address: str, *, min_wait: int = 1) -> int:
    """Failed sign-ins from `address` (each with a new name, so only the address counts),
    waiting out the short waits, until one answers 429 with at least `min_wait` seconds;
    that wait."""
    with server.client() as client:
        for _ in range(ATTEMPTS_LIMIT):
            name = f"nobody-{secrets.token_hex(3)}"
            answer = sign_in_form(client, name, WRONG, **{"X-Forwarded-For": address})
            if answer.status_code == 429:
                wait = int(answer.headers["retry-after"])
                if wait >= min_wait:
                    return wait
                time.sleep(wait)
            else:
                assert answer.status_code == 400, answer.text
    raise AssertionError(f"no 429 of at least {min_wait} s after {ATTEMPTS_LIMIT} attempts")


def test_a_trusted_proxys_x_forwarded_for_tells_the_clients_apart(trusting: UiServer) -> None:
    _fail_until_throttled(trusting, "203.0.113.7", min_wait=4)
    with trusting.client() as client:
        blocked = sign_in_form(client, "alice", WRONG, **{"X-Forwarded-For": "203.0.113.7"})
        other = sign_in_form(
            client, "alice", PASSWORDS["alice"], **{"X-Forwarded-For": "198.51.100.20"}
        )
    assert blocked.status_code == 429
    assert other.status_code == 303  # another client behind the same proxy signs in


def test_the_right_most_untrusted_address_counts_not_what_the_client_prepends(
    trusting: UiServer,
) -> None:
    _fail_until_throttled(trusting, "203.0.113.8", min_wait=4)
    with trusting.client() as client:
        # The client wrote a made-up address first; the proxy appended the one it saw.
        spoofed = sign_in_form(
            client, "victor", WRONG, **{"X-Forwarded-For": "192.0.2.1, 203.0.113.8"}
        )
    assert spoofed.status_code == 429


def test_an_untrusted_peers_x_forwarded_for_is_ignored(distrusting: UiServer) -> None:
    _fail_until_throttled(distrusting, "203.0.113.9", min_wait=4)
    with distrusting.client() as client:
        # Every attempt comes from 127.0.0.1 whatever the header says: still throttled.
        other = sign_in_form(
            client, "alice", PASSWORDS["alice"], **{"X-Forwarded-For": "198.51.100.21"}
        )
    assert other.status_code == 429
    assert "retry-after" in other.headers


def test_a_name_is_slowed_down_from_every_address(trusting: UiServer) -> None:
    with trusting.client() as client:
        answers = []
        for n in range(ATTEMPTS_LIMIT):
            address = f"198.18.0.{n + 1}"
            answer = sign_in_form(client, "ada", WRONG, **{"X-Forwarded-For": address})
            answers.append(answer.status_code)
            if answer.status_code == 429:
                break
    assert answers[:FREE_FAILURES] == [400] * FREE_FAILURES
    assert answers[-1] == 429


def test_the_wait_doubles_after_the_free_failures_and_stops_at_the_cap() -> None:
    waits = [delay_after(n) for n in range(1, 20)]
    assert waits[:FREE_FAILURES] == [0.0] * FREE_FAILURES
    assert waits[FREE_FAILURES : FREE_FAILURES + 4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == MAX_DELAY_S == 15 * 60
    assert waits[-1] == MAX_DELAY_S


def _audit(now: datetime) -> AuditEntry:
    return AuditEntry(at=now, actor="anonymous", action="session.sign_in_failed", target="user:x")


@pytest.mark.parametrize(
    "database", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
def test_the_stored_wait_grows_per_failure_and_is_capped(
    database: str, request: pytest.FixtureRequest
) -> None:
    engine = create_engine_for(request.getfixturevalue(database))
    try:
        failures = SqlLoginFailures(engine)
        keys = login_keys("203.0.113.50", "mallory")
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        waits = []
        for n in range(16):
            now = start + timedelta(seconds=n)
            waits.append(failures.failed(keys, now, _audit(now)))
        assert waits[:3] == [0.0, 0.0, 0.0]
        assert waits[3:7] == [1.0, 2.0, 4.0, 8.0]
        assert waits[-1] == 900.0
        later = start + timedelta(seconds=15)
        assert failures.wait_s(keys, later) == pytest.approx(900.0)
        # An hour without failures forgets the key: the next failure is free again.
        forgotten = later + timedelta(hours=1, seconds=1)
        assert failures.failed(keys, forgotten, _audit(forgotten)) == 0.0
    finally:
        engine.dispose()


def test_the_memory_twin_counts_as_the_sql_store_does() -> None:
    failures = MemoryLoginFailures(MemoryDatabase())
    keys = login_keys("203.0.113.51", "mallory")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    waits = [failures.failed(keys, start, _audit(start)) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert failures.wait_s(keys, start) == 2.0


@pytest.mark.postgres
def test_two_servers_on_one_database_share_the_counts(tmp_path: Path) -> None:
    with postgres_database() as url:
        prepared_database(tmp_path, url)
        first_dir, second_dir = tmp_path / "a", tmp_path / "b"
        first_dir.mkdir()
        second_dir.mkdir()
        with _server(first_dir, url) as first, _server(second_dir, url) as second:
            _fail_until_throttled(first, "203.0.113.60", min_wait=4)
            with second.client() as client:
                elsewhere = sign_in_form(
                    client, "alice", PASSWORDS["alice"], **{"X-Forwarded-For": "203.0.113.60"}
                )
    assert elsewhere.status_code == 429
    assert int(elsewhere.headers["retry-after"]) >= 1


def test_sign_ins_past_the_password_check_slots_are_answered_503_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=SecretStr(sqlite_url),
        monitor=False,
        session_secret=SecretStr(SESSION_SECRET),
        sign_in_concurrency=1,
    )
    runtime = ServerRuntime(settings, open_stores(settings))
    runtime.accounts.create_user("alice", Role.OPERATOR, PASSWORDS["alice"], "test")
    with serving_in_thread(runtime.app()) as url, httpx.Client(base_url=url, timeout=10) as client:
        # Another sign-in holds the only slot, as it would while argon2 runs.
        assert runtime.sessions.hash_slots.acquire(blocking=False)
        try:
            busy = sign_in_form(client, "alice", PASSWORDS["alice"])
        finally:
            runtime.sessions.hash_slots.release()
        free = sign_in_form(client, "alice", PASSWORDS["alice"])
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert free.status_code == 303
    # A busy answer checked no password and is no failure: nothing counted, nothing audited.
    assert [e.action for e in audit_entries(sqlite_url, action="session.sign_in_failed")] == []
