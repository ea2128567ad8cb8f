"""Accounts and access: argon2id passwords, bearer tokens, and who may do what.

A token is `sdt_` and 43 URL-safe characters (256 random bits); only its SHA-256 is stored, which
is enough for a secret of that strength and keeps the per-request check cheap. Passwords are
people's, so they get argon2id, slow on purpose.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2.exceptions import InvalidHashError, VerificationError

from status_dashboard.domain.accounts import ApiToken, Principal, Role, User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.domain.ports import AccountStore
from status_dashboard.service import ServiceError
from status_dashboard.service.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    password_hasher,
)

TOKEN_PREFIX = "sdt_"  # noqa: S105 (a marker that makes leaked tokens easy to find, not a secret)


class Unauthenticated(ServiceError):
    """No credentials, or credentials that are unknown, revoked or expired (401)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind  # the Belgian REST guide's type: noAccessToken, invalidAccessToken, expiredAccessToken


class Forbidden(ServiceError):
    """Credentials that are good, but not for this (role or environment) (403)."""


class InvalidInput(ServiceError):
    """A value a use case refuses, naming the field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def require(principal: Principal, needed: Role, environment_key: str | None = None) -> None:
    """Raise Forbidden unless `principal` has `needed` (in `environment_key`, when given)."""
    if not principal.role.allows(needed):
        raise Forbidden(
            f"this needs the {needed.value} role; {principal.label} is {principal.role.value}"
        )
    if not principal.may(needed, environment_key):
        raise Forbidden(f"{principal.label} may not act on environment '{environment_key}'")


def require_unscoped(principal: Principal, why: str) -> None:
    """Raise Forbidden when `principal` is limited to some environments: `why` says what in
    the request reaches beyond them (another environment, or one that does not exist yet)."""
    if principal.environments is not None:
        raise Forbidden(f"{principal.label} is limited to {_listed(principal.environments)}; {why}")


def _listed(environments: frozenset[str]) -> str:
    return ", ".join(sorted(environments)) or "no environment"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str
    """The bearer value, shown once: it is not stored anywhere."""


class Accounts:
    def __init__(self, store: AccountStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock
        self._hasher = password_hasher()

    def create_user(self, name: str, role: Role, password: str, actor: str) -> User:
        name = name.strip()
        if not name or len(name) > 64:
            raise InvalidInput("name", "must be 1 to 64 characters")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
        audit = AuditEntry(
            at=self._clock(),
            actor=actor,
            action="user.create",
            target=f"user:{name}",
            after={"name": name, "role": role.value},
        )
        return self._store.create_user(name, role, self._hasher.hash(password), audit)

    def verify_password(self, name: str, password: str) -> Principal | None:
        user = self.verify_user(name, password)
        return None if user is None else Principal("user", user.id, user.name, user.role)

    def verify_user(self, name: str, password: str) -> User | None:
        """The enabled user `name` if `password` is theirs; a session needs the whole record
        (its `session_epoch`)."""
        user = self._store.user_by_name(name.strip())
        if user is None or user.disabled:
            # Spend the same time as a real check, so a name's existence does not show.
            self._hasher.hash(password)
            return None
        try:
            self._hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user

    def hash_new_password(self, password: str) -> str:
        """The hash of a password someone sets; InvalidInput when it is too short or long."""
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise InvalidInput(
                "password",
                f"must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            )
        return self._hasher.hash(password)

    def create_token(
        self,
        grantor: Principal,
        name: str,
        role: Role,
        environments: frozenset[str] | None,
        expires_at: datetime | None,
    ) -> NewToken:
        """A new token, never more than `grantor` has: its role at most the grantor's, its
        environments within the grantor's. A scoped grantor must name them (None would be
        every environment), and is refused rather than given a silent default."""
        require(grantor, Role.ADMIN)
        _grantable(grantor, role, environments)
        name = name.strip()
        if not name or len(name) > 64:
            raise InvalidInput("name", "must be 1 to 64 characters")
        now = self._clock()
        if expires_at is not None and expires_at <= now:
            raise InvalidInput("expires_at", "must be in the future")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        audit = AuditEntry(
            at=now,
            actor=grantor.label,
            action="token.create",
            target=f"token:{name}",
            after={
                "name": name,
                "role": role.value,
                "environments": sorted(environments) if environments is not None else None,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        token = self._store.create_token(
            name, role, token_digest(secret), environments, expires_at, audit
        )
        return NewToken(token, secret)

    def authenticate_token(self, secret: str) -> Principal:
        if not secret:
            raise Unauthenticated("noAccessToken", "an Authorization: Bearer token is required")
        token = self._store.token_by_hash(token_digest(secret))
        now = self._clock()
        if token is None or token.revoked_at is not None:
            raise Unauthenticated("invalidAccessToken", "the bearer token is not valid")
        if not token.usable(now):
            raise Unauthenticated("expiredAccessToken", "the bearer token has expired")
        self._store.touch_token(token.id, now)
        return Principal("token", token.id, token.name, token.role, token.environments)

    def revoke_token(self, by: Principal, token_id: int) -> ApiToken:
        """Revoke a token `by` sees (`tokens`); one beyond its environments is not found."""
        require(by, Role.ADMIN)
        if not any(token.id == token_id for token in self.tokens(by)):
            raise NotFoundError(f"no API token #{token_id}")
        now = self._clock()
        audit = AuditEntry(
            at=now, actor=by.label, action="token.revoke", target=f"token-id:{token_id}"
        )
        return self._store.revoke_token(token_id, now, audit)

    def tokens(self, by: Principal) -> list[ApiToken]:
        """The tokens within `by`'s environments: an unscoped token only for an unscoped admin."""
        require(by, Role.ADMIN)
        return [token for token in self._store.tokens() if by.covers(token.environments)]


def _grantable(grantor: Principal, role: Role, environments: frozenset[str] | None) -> None:
    if not grantor.role.allows(role):
        raise Forbidden(
            f"role: {grantor.label} is {grantor.role.value} and may not create a {role.value} token"
        )
    if grantor.covers(environments):
        return
    assert grantor.environments is not None  # an unscoped grantor covers every set
    limit = _listed(grantor.environments)
    if environments is None:
        raise Forbidden(
            f"environments: {grantor.label} is limited to {limit}, so a token it creates must "
            "name its environments, within those"
        )
    beyond = ", ".join(sorted(environments - grantor.environments))
    raise Forbidden(
        f"environments: {grantor.label} is limited to {limit} and may not grant {beyond}"
    )
