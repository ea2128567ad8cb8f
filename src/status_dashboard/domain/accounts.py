"""Who may do what: users, API tokens, and the roles they carry (DESIGN.md §5, §7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """Roles in increasing power: a viewer reads, an operator changes statuses and incidents,
    an admin also manages the catalog, users and tokens."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    disabled: bool = False
    session_epoch: int = 0
    """Sessions signed in at another epoch are over (sign-out, new password, role, disabling)."""

    def __repr__(self) -> str:  # never the hash, not even in a log of a repr
        return f"User(id={self.id}, name={self.name!r}, role={self.role.value})"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token: shown once at creation, stored as a hash; `environments` None means all."""

    id: int
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    environments: frozenset[str] | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    created_by: str | None = None

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id}, name={self.name!r}, role={self.role.value})"

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever makes a request: a signed-in user or a token, with what it may touch."""

    kind: str  # "user" or "token"
    id: int
    name: str
    role: Role
    environments: frozenset[str] | None = None

    @property
    def label(self) -> str:
        """How the audit log and the history name this actor: `user:alice`, `token:ci-deploy`."""
        return f"{self.kind}:{self.name}"

    def may(self, needed: Role, environment_key: str | None = None) -> bool:
        if not self.role.allows(needed):
            return False
        return (
            environment_key is None
            or self.environments is None
            or environment_key in self.environments
        )
