"""The AccountStore contract: users and API tokens, each write with its audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integration.store.backends import Backend
from integration.store.catalogs import LATER, NOW, Unserializable, audit
from status_dashboard.domain.accounts import ApiToken, Role
from status_dashboard.domain.audit import AuditQuery
from status_dashboard.domain.errors import ConflictError, NotFoundError


def actions(backend: Backend) -> list[tuple[str, str]]:
    entries = backend.audit.entries(AuditQuery(), cursor=None, limit=100).entries
    return [(e.action, e.target) for e in reversed(entries)]


def new_token(
    backend: Backend,
    name: str = "ci-deploy",
    token_hash: str = "hash-1",  # noqa: S107 - a stand-in digest, no secret
    environments: frozenset[str] | None = None,
) -> ApiToken:
    return backend.accounts.create_token(
        name,
        Role.OPERATOR,
        token_hash,
        environments,
        NOW + timedelta(days=30),
        audit("token.create", f"token:{name}"),
    )


def test_a_user_is_created_found_by_name_and_listed(backend: Backend) -> None:
    alice = backend.accounts.create_user(
        "alice", Role.ADMIN, "argon2-hash", audit("user.create", "user:alice")
    )
    bob = backend.accounts.create_user(
        "bob", Role.VIEWER, "other-hash", audit("user.create", "user:bob")
    )

    assert (alice.name, alice.role, alice.password_hash, alice.created_at, alice.disabled) == (
        "alice",
        Role.ADMIN,
        "argon2-hash",
        NOW,
        False,
    )
    assert backend.accounts.user_by_name("alice") == alice
    assert backend.accounts.user_by_name("carol") is None
    assert list(backend.accounts.users()) == [alice, bob]
    assert alice.id != bob.id
    assert actions(backend) == [("user.create", "user:alice"), ("user.create", "user:bob")]


def test_a_taken_user_name_is_a_conflict_and_writes_nothing(backend: Backend) -> None:
    alice = backend.accounts.create_user("alice", Role.ADMIN, "h", audit("user.create", "user:a"))

    with pytest.raises(ConflictError, match="alice"):
        backend.accounts.create_user("alice", Role.VIEWER, "h2", audit("user.create", "user:a"))

    assert list(backend.accounts.users()) == [alice]
    assert len(actions(backend)) == 1


def test_a_user_whose_audit_entry_cannot_be_stored_is_not_created(backend: Backend) -> None:
    broken = audit("user.create", "user:alice", after={"role": Unserializable()})

    with pytest.raises(TypeError):
        backend.accounts.create_user("alice", Role.ADMIN, "h", broken)

    assert backend.accounts.user_by_name("alice") is None
    assert actions(backend) == []


def test_a_token_is_created_found_by_its_hash_and_listed(backend: Backend) -> None:
    token = new_token(backend, environments=frozenset({"acc", "prod"}))

    assert (
        token.name,
        token.role,
        token.token_hash,
        token.environments,
        token.created_at,
        token.created_by,
        token.expires_at,
        token.last_used_at,
        token.revoked_at,
    ) == (
        "ci-deploy",
        Role.OPERATOR,
        "hash-1",
        frozenset({"acc", "prod"}),
        NOW,
        "user:alice",
        NOW + timedelta(days=30),
        None,
        None,
    )
    assert backend.accounts.token_by_hash("hash-1") == token
    assert backend.accounts.token_by_hash("hash-2") is None
    assert list(backend.accounts.tokens()) == [token]
    assert actions(backend) == [("token.create", "token:ci-deploy")]


def test_a_token_for_every_environment_keeps_none(backend: Backend) -> None:
    new_token(backend, environments=None)
    new_token(backend, "empty", "hash-2", environments=frozenset())

    assert [t.environments for t in backend.accounts.tokens()] == [None, frozenset()]


def test_touching_a_token_records_its_last_use_without_an_audit_entry(backend: Backend) -> None:
    token = new_token(backend)

    backend.accounts.touch_token(token.id, LATER)
    backend.accounts.touch_token(token.id + 1000, LATER)  # an unknown id changes nothing

    found = backend.accounts.token_by_hash("hash-1")
    assert found is not None
    assert found.last_used_at == LATER
    assert actions(backend) == [("token.create", "token:ci-deploy")]


def test_revoking_a_token_stamps_it_and_is_audited(backend: Backend) -> None:
    token = new_token(backend)

    revoked = backend.accounts.revoke_token(token.id, LATER, audit("token.revoke", "token:1"))

    assert revoked.revoked_at == LATER
    assert backend.accounts.token_by_hash("hash-1") == revoked
    assert not revoked.usable(LATER)
    assert actions(backend)[-1] == ("token.revoke", "token:1")


def test_revoking_a_revoked_token_changes_nothing(backend: Backend) -> None:
    token = new_token(backend)
    first = backend.accounts.revoke_token(token.id, NOW, audit("token.revoke", "token:1"))

    again = backend.accounts.revoke_token(token.id, LATER, audit("token.revoke", "token:1"))

    assert again == first
    assert len(actions(backend)) == 2


def test_revoking_an_unknown_token_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.accounts.revoke_token(404, NOW, audit("token.revoke", "token:404"))
    assert actions(backend) == []


def test_two_live_tokens_cannot_share_a_name(backend: Backend) -> None:
    token = new_token(backend)

    with pytest.raises(ConflictError, match="ci-deploy"):
        new_token(backend, token_hash="hash-2")

    assert list(backend.accounts.tokens()) == [token]
    assert len(actions(backend)) == 1


def test_the_name_of_a_revoked_token_can_be_given_again(backend: Backend) -> None:
    old = new_token(backend)
    backend.accounts.revoke_token(old.id, NOW, audit("token.revoke", "token:1"))

    new = new_token(backend, token_hash="hash-2")

    assert new.id != old.id
    live = [(t.id, t.revoked_at is None) for t in backend.accounts.tokens()]
    assert live == [(old.id, False), (new.id, True)]
