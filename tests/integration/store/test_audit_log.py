"""The audit log: read back filtered and newest first, and never changed, not even by SQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from integration.store.backends import Backend, EngineFor
from integration.store.catalogs import NOW, audit
from status_dashboard.domain.accounts import Role
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.store.memory import MemoryAuditLog
from status_dashboard.store.sql import SqlAccountStore, SqlAuditLog


def record(backend: Backend, entry: AuditEntry, name: str) -> None:
    """Any audited write will do: creating a user is the simplest."""
    backend.accounts.create_user(name, Role.VIEWER, "h", entry)


ENTRIES = [
    audit("user.create", "user:a", NOW, actor="user:alice", environment_key=None),
    audit("override.set", "item:1", NOW + timedelta(minutes=1), environment_key="prod"),
    audit(
        "override.set",
        "item:2",
        NOW + timedelta(minutes=2),
        actor="token:ci",
        environment_key="acc",
    ),
    audit(
        "incident.open",
        "incident:1",
        NOW + timedelta(minutes=3),
        actor="token:ci",
        environment_key="prod",
    ),
    audit(
        "override.clear",
        "item:1",
        NOW + timedelta(minutes=4),
        environment_key="prod",
        before={"status": 2, "nested": {"list": [1, "two", None]}, "text": "é"},
    ),
]


@pytest.fixture
def filled(backend: Backend) -> Backend:
    for n, entry in enumerate(ENTRIES):
        record(backend, entry, f"user{n}")
    return backend


def found(backend: Backend, query: AuditQuery) -> list[str]:
    page = backend.audit.entries(query, cursor=None, limit=100)
    return [f"{e.action} {e.target}" for e in page.entries]


def test_entries_come_back_as_written_newest_first(filled: Backend) -> None:
    page = filled.audit.entries(AuditQuery(), cursor=None, limit=100)

    assert all(e.id is not None for e in page.entries)
    assert [replace(e, id=None) for e in reversed(page.entries)] == ENTRIES
    assert page.next_cursor is None


QUERIES = [
    (AuditQuery(actor="token:ci"), ["incident.open incident:1", "override.set item:2"]),
    (AuditQuery(action="override.set"), ["override.set item:2", "override.set item:1"]),
    (AuditQuery(target="item:1"), ["override.clear item:1", "override.set item:1"]),
    (
        AuditQuery(environment_key="prod"),
        ["override.clear item:1", "incident.open incident:1", "override.set item:1"],
    ),
    (
        AuditQuery(since=NOW + timedelta(minutes=1), until=NOW + timedelta(minutes=3)),
        ["override.set item:2", "override.set item:1"],
    ),
    (
        AuditQuery(actor="user:alice", environment_key="prod", action="override.set"),
        ["override.set item:1"],
    ),
    (AuditQuery(actor="nobody"), []),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[str(q) for q, _ in QUERIES])
def test_every_filter_given_must_match(
    filled: Backend, query: AuditQuery, expected: list[str]
) -> None:
    assert found(filled, query) == expected


REACHES = [
    (frozenset({"acc"}), ["override.set item:2"]),
    (
        frozenset({"acc", "prod"}),
        [
            "override.clear item:1",
            "incident.open incident:1",
            "override.set item:2",
            "override.set item:1",
        ],
    ),
    (frozenset(), []),
]


@pytest.mark.parametrize(("reach", "expected"), REACHES, ids=[str(sorted(r)) for r, _ in REACHES])
def test_a_reach_keeps_its_environments_entries_and_never_those_of_no_environment(
    filled: Backend, reach: frozenset[str], expected: list[str]
) -> None:
    assert found(filled, AuditQuery(environments=reach)) == expected
    assert found(filled, AuditQuery(environments=reach, environment_key="prod")) == [
        entry for entry in expected if entry != "override.set item:2"
    ]


def test_pages_continue_below_the_cursor(filled: Backend) -> None:
    first = filled.audit.entries(AuditQuery(), cursor=None, limit=2)
    second = filled.audit.entries(AuditQuery(), cursor=first.next_cursor, limit=2)
    third = filled.audit.entries(AuditQuery(), cursor=second.next_cursor, limit=2)
    filtered = filled.audit.entries(AuditQuery(environment_key="prod"), cursor=None, limit=2)
    rest = filled.audit.entries(
        AuditQuery(environment_key="prod"), cursor=filtered.next_cursor, limit=2
    )

    assert [e.target for e in first.entries] == ["item:1", "incident:1"]
    assert first.next_cursor == first.entries[-1].id
    assert [e.target for e in second.entries] == ["item:2", "item:1"]
    assert ([e.target for e in third.entries], third.next_cursor) == (["user:a"], None)
    assert ([e.target for e in rest.entries], rest.next_cursor) == (["item:1"], None)
    assert filtered.next_cursor is not None


def test_an_empty_page_size_is_refused(backend: Backend) -> None:
    with pytest.raises(ValueError, match="at least one"):
        backend.audit.entries(AuditQuery(), cursor=None, limit=0)


def test_the_audit_log_offers_no_way_to_change_an_entry() -> None:
    for log in (MemoryAuditLog, SqlAuditLog):
        assert [name for name in vars(log) if not name.startswith("_")] == ["entries"]


STATEMENTS = [
    "UPDATE audit_log SET actor = 'user:mallory'",
    "DELETE FROM audit_log",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_the_database_itself_refuses_to_change_the_audit_log(
    database_url: str, engine_for: EngineFor, statement: str
) -> None:
    engine = engine_for(database_url)
    SqlAccountStore(engine).create_user(
        "alice", Role.ADMIN, "h", audit("user.create", "user:alice")
    )

    with pytest.raises(sa_exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))

    entries = SqlAuditLog(engine).entries(AuditQuery(), cursor=None, limit=5).entries
    assert [(e.actor, e.target) for e in entries] == [("user:alice", "user:alice")]


@pytest.mark.postgres
def test_postgresql_refuses_to_truncate_the_audit_log(
    postgres_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(postgres_url)

    with pytest.raises(sa_exc.IntegrityError, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_log"))
