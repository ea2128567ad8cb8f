"""Idempotency keys of creating requests (IETF draft "The Idempotency-Key HTTP Header Field").

A client that may retry a POST sends a key of its choosing; the store keeps the key with what the
request created, in the same transaction, so a retry of the same request gets the first result
instead of creating a second one, and a reuse of the key for another request is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from status_dashboard.domain.errors import DomainError

KEPT_FOR = timedelta(hours=24)
"""How long a key is remembered after its first use; after that it may be used afresh."""


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """The key a request brings, and a fingerprint of the request (method, path and body) that
    tells a retry of it from another request under the same key."""

    value: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class ScopedKey:
    """A key as the store keeps it: one principal's, in one environment, first used `at`.
    Keys of two principals, or of two environments, never meet."""

    principal: str
    environment_key: str
    key: IdempotencyKey
    at: datetime

    @property
    def kept_since(self) -> datetime:
        """Uses of the key before this moment are forgotten."""
        return self.at - KEPT_FOR


class IdempotencyKeyReused(DomainError):
    """The key was used, within `KEPT_FOR`, for another request than this one."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key[:40]!r} was used for another request; "
            "use a new key for a new request"
        )
