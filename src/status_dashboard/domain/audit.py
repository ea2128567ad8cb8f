"""The append-only record of every write by a person or a token (docs/design.md §5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One write: who, when, what (an action on a target), and the target before and after.

    `before`/`after` are JSON-ready mappings (None: the target did not exist before / after).
    They never hold secrets: password and token hashes are left out by the writer.
    """

    at: datetime
    actor: str
    action: str  # e.g. "override.set", "incident.open", "token.create"
    target: str  # e.g. "item:715d31b5a498a4587fedc57dada6a9df", "incident:12"
    environment_key: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    id: int | None = None  # given by the store


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of the audit log; every one given must match.

    `environments` is the reader's reach, not a filter it chooses: given, only entries of those
    environments match, and never one of no environment (a user's or a token's change).
    """

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    environment_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    environments: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a newest-first listing; `next_cursor` continues it (None: no more)."""

    entries: Sequence[T] = field(default_factory=tuple)
    next_cursor: int | None = None
