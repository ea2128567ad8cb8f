"""Who may do what: users, API tokens, and the roles they carry (docs/design.md §5, §7)."""

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
    """Whoever makes a request: a signed-in user or a token, with what it may touch.

    `environments` None is unscoped: every environment, present and future, and what belongs to
    none (users, tokens, the audit entries of their changes). A scoped principal reaches only
    its environments, and never grants more than it has (docs/design.md §7).
    """

    kind: str  # "user", "token", or "system" (the command line, demo mode's own setup)
    id: int
    name: str
    role: Role
    environments: frozenset[str] | None = None

    @classmethod
    def system(cls, name: str) -> Principal:
        """The machine's own operator (the command line, `serve --demo`): whoever can run it
        holds the database already, so it is an unscoped admin."""
        return cls("system", 0, name, Role.ADMIN)

    @property
    def label(self) -> str:
        """How the audit log and the history name this actor: `user:alice`, `token:ci-deploy`."""
        return f"{self.kind}:{self.name}"

    def covers(self, environments: frozenset[str] | None) -> bool:
        """Whether `environments` (None: unscoped) lies within this principal's: a token with
        them is one this principal may see, revoke and create."""
        if self.environments is None:
            return True
        return environments is not None and environments <= self.environments

    def sees(self, environment_key: str | None) -> bool:
        """Whether a record of `environment_key` is within reach; one of no environment (a
        user's or a token's change) is only an unscoped principal's."""
        return self.covers(None if environment_key is None else frozenset({environment_key}))

    def may(self, needed: Role, environment_key: str | None = None) -> bool:
        if not self.role.allows(needed):
            return False
        return environment_key is None or self.sees(environment_key)
