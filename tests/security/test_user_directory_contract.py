"""The UserDirectory contract, on memory, SQLite and PostgreSQL alike: each change moves the
session epoch on and is audited with the user before and after; the last enabled admin stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from status_dashboard.domain.accounts import Role
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.domain.ports import AccountStore, AuditLog, UserDirectory
from status_dashboard.domain.users import LastAdmin, UserChange
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.memory import (
    MemoryAccountStore,
    MemoryAuditLog,
    MemoryDatabase,
    MemoryUserDirectory,
)
from status_dashboard.store.sql import SqlAccountStore, SqlAuditLog, SqlUserDirectory

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
Stores = tuple[AccountStore, UserDirectory, AuditLog]


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    if request.param == "memory":
        database = MemoryDatabase()
        yield MemoryAccountStore(database), MemoryUserDirectory(database), MemoryAuditLog(database)
        return
    engine = create_engine_for(request.getfixturevalue(f"{request.param}_url"))
    yield SqlAccountStore(engine), SqlUserDirectory(engine), SqlAuditLog(engine)
    engine.dispose()


def _audit(action: str, target: str) -> AuditEntry:
    return AuditEntry(at=NOW, actor="user:root", action=action, target=target)


def _create(accounts: AccountStore, name: str, role: Role) -> int:
    return accounts.create_user(name, role, "hash", _audit("user.create", f"user:{name}")).id


def test_a_change_moves_the_epoch_on_and_is_audited_before_and_after(stores: Stores) -> None:
    accounts, directory, audit = stores
    _create(accounts, "root", Role.ADMIN)
    bob = _create(accounts, "bob", Role.VIEWER)
    changed = directory.change_user(
        bob, UserChange(role=Role.OPERATOR), _audit("user.set_role", "user:bob")
    )
    stored = directory.user_by_id(bob)
    assert stored is not None
    assert (stored.role, stored.session_epoch) == (Role.OPERATOR, 1)
    assert changed.session_epoch == 1
    entry = audit.entries(AuditQuery(action="user.set_role"), cursor=None, limit=5).entries[0]
    assert entry.before == {"name": "bob", "role": "viewer", "disabled": False}
    assert entry.after == {"name": "bob", "role": "operator", "disabled": False}
    directory.end_sessions(bob, _audit("session.sign_out", "user:bob"))
    again = directory.user_by_name("bob")
    assert again is not None
    assert again.session_epoch == 2


def test_the_last_enabled_admin_is_neither_demoted_nor_disabled(stores: Stores) -> None:
    accounts, directory, audit = stores
    root = _create(accounts, "root", Role.ADMIN)
    other = _create(accounts, "other", Role.ADMIN)
    directory.change_user(other, UserChange(disabled=True), _audit("user.disable", "user:other"))
    with pytest.raises(LastAdmin) as refused:
        directory.change_user(
            root, UserChange(role=Role.VIEWER), _audit("user.set_role", "user:root")
        )
    assert refused.value.field == "role"
    with pytest.raises(LastAdmin) as refused:
        directory.change_user(root, UserChange(disabled=True), _audit("user.disable", "user:root"))
    assert refused.value.field == "disabled"
    stored = directory.user_by_id(root)
    assert stored is not None
    assert (stored.role, stored.disabled, stored.session_epoch) == (Role.ADMIN, False, 0)
    assert (
        audit.entries(AuditQuery(target="user:root"), cursor=None, limit=5).entries[0].action
        == "user.create"
    )


def test_an_unknown_user_is_not_found(stores: Stores) -> None:
    _, directory, _ = stores
    with pytest.raises(NotFoundError):
        directory.change_user(999, UserChange(disabled=True), _audit("user.disable", "user:x"))
