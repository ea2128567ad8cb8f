"""A principal never grants more than it has (docs/design.md §7): the token rules of `Accounts`,
table by table, on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.service.accounts import Accounts, Forbidden
from status_dashboard.store.memory import MemoryAccountStore

NOW = datetime(2026, 5, 9, 8, 0, tzinfo=UTC)
ADMIN = Principal("user", 1, "alice", Role.ADMIN)
ACC_ADMIN = Principal("token", 2, "acc-admin", Role.ADMIN, frozenset({"acc"}))
ACC_INT_ADMIN = Principal("token", 3, "acc-int", Role.ADMIN, frozenset({"acc", "int"}))
OPERATOR = Principal("token", 4, "ops", Role.OPERATOR)


def accounts() -> Accounts:
    return Accounts(MemoryAccountStore(), lambda: NOW)


def scope(*keys: str) -> frozenset[str]:
    return frozenset(keys)


GRANTS = [
    # grantor, environments asked for, granted?
    (ADMIN, None, True),
    (ADMIN, scope("prod"), True),
    (ACC_ADMIN, scope("acc"), True),
    (ACC_ADMIN, scope(), True),
    (ACC_ADMIN, None, False),
    (ACC_ADMIN, scope("prod"), False),
    (ACC_ADMIN, scope("acc", "prod"), False),
    (ACC_INT_ADMIN, scope("acc"), True),
    (ACC_INT_ADMIN, scope("acc", "int"), True),
    (ACC_INT_ADMIN, scope("acc", "int", "prod"), False),
]


@pytest.mark.parametrize(
    ("grantor", "environments", "granted"),
    GRANTS,
    ids=[f"{g.name}-{sorted(e) if e is not None else 'all'}" for g, e, _ in GRANTS],
)
def test_a_token_is_granted_only_within_the_grantors_environments(
    grantor: Principal, environments: frozenset[str] | None, granted: bool
) -> None:
    service = accounts()
    if granted:
        made = service.create_token(grantor, "t", Role.ADMIN, environments, None)
        assert made.token.environments == environments
        assert made.token.created_by == grantor.label
    else:
        with pytest.raises(Forbidden, match=r"^environments: "):
            service.create_token(grantor, "t", Role.ADMIN, environments, None)
        assert service.tokens(ADMIN) == []


def test_only_an_admin_creates_lists_or_revokes_tokens() -> None:
    service = accounts()
    made = service.create_token(ADMIN, "t", Role.VIEWER, None, None)
    with pytest.raises(Forbidden):
        service.create_token(OPERATOR, "mine", Role.OPERATOR, None, None)
    with pytest.raises(Forbidden):
        service.tokens(OPERATOR)
    with pytest.raises(Forbidden):
        service.revoke_token(OPERATOR, made.token.id)


def test_a_scoped_admin_sees_and_revokes_only_tokens_within_its_environments() -> None:
    service = accounts()
    made = {
        name: service.create_token(ADMIN, name, Role.VIEWER, environments, None).token
        for name, environments in [
            ("everywhere", None),
            ("acc", scope("acc")),
            ("nowhere", scope()),
            ("acc-int", scope("acc", "int")),
            ("prod", scope("prod")),
        ]
    }

    assert [t.name for t in service.tokens(ACC_ADMIN)] == ["acc", "nowhere"]
    assert [t.name for t in service.tokens(ACC_INT_ADMIN)] == ["acc", "nowhere", "acc-int"]
    for name in ("everywhere", "acc-int", "prod"):
        with pytest.raises(NotFoundError):
            service.revoke_token(ACC_ADMIN, made[name].id)
    assert service.revoke_token(ACC_ADMIN, made["acc"].id).revoked_at == NOW
    assert [t.name for t in service.tokens(ADMIN) if t.revoked_at is None] == [
        "everywhere", "nowhere", "acc-int", "prod"
    ]  # fmt: skip
