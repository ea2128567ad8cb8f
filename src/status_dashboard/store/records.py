"""How both stores lay values out the same way: JSON fields, pages, and the refusals they share.

Memory and SQL stores encode an audit entry's `before`/`after` (and a token's environments)
with the same functions, so an entry reads back equal from either; and they refuse a write with
the same message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from status_dashboard.domain.audit import Page
from status_dashboard.domain.checks import CheckDefinition, CheckSchedule
from status_dashboard.domain.errors import ConflictError, NotFoundError, VersionMismatch
from status_dashboard.store.check_codec import push_token

T = TypeVar("T")

Clock = Callable[[], datetime]

CATALOG_ACTOR = "catalog"
"""The actor of the history events a catalog load records."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def encode_json(value: Mapping[str, Any] | None) -> str | None:
    """`value` as JSON text; raises TypeError for what JSON cannot hold."""
    return None if value is None else json.dumps(value, ensure_ascii=False, allow_nan=False)


def decode_json(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a stored JSON field is not an object")
    return value


def encode_environments(environments: frozenset[str] | None) -> str | None:
    """A token's scope as a sorted JSON array; None (every environment) stays None."""
    return None if environments is None else json.dumps(sorted(environments))


def decode_environments(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"a page holds at least one entry, not {limit}")


def page(rows: Sequence[T], limit: int, id_of: Callable[[T], int | None]) -> Page[T]:
    """A page of up to `limit` rows out of newest-first `rows` (up to `limit + 1` of them: one
    more than fits tells that the listing continues)."""
    if len(rows) <= limit:
        return Page(tuple(rows), None)
    entries = tuple(rows[:limit])
    return Page(entries, id_of(entries[-1]))


def check_items(environment_key: str, item_ids: Collection[str], found: Mapping[str, str]) -> None:
    """Refuse item ids that are unknown, or that belong to another environment than the one
    named; `found` maps each known id among `item_ids` to its environment."""
    for item_id in sorted(item_ids):
        where = found.get(item_id)
        if where is None:
            raise NotFoundError(f"no item {item_id!r}")
        if where != environment_key:
            raise NotFoundError(f"item {item_id!r} is not in environment {environment_key!r}")


def unknown_environment(environment_key: str) -> NotFoundError:
    return NotFoundError(f"no environment {environment_key!r}")


def unknown_item(item_id: str) -> NotFoundError:
    return NotFoundError(f"no item {item_id!r}")


def unknown_incident(incident_id: int) -> NotFoundError:
    return NotFoundError(f"no incident #{incident_id}")


def unknown_window(window_id: int) -> NotFoundError:
    return NotFoundError(f"no maintenance window #{window_id}")


def unknown_token(token_id: int) -> NotFoundError:
    return NotFoundError(f"no API token #{token_id}")


def user_name_taken(name: str) -> ConflictError:
    return ConflictError(f"a user named {name!r} already exists")


def token_name_taken(name: str) -> ConflictError:
    return ConflictError(f"an API token named {name!r} is already in use")


def incident_resolved(incident_id: int) -> ConflictError:
    return ConflictError(f"incident #{incident_id} is resolved and takes no more updates")


def window_cancelled(window_id: int) -> ConflictError:
    return ConflictError(f"maintenance window #{window_id} is cancelled")


def version_moved(item_id: str) -> VersionMismatch:
    return VersionMismatch(f"item {item_id!r} was changed by another write meanwhile")


MONITOR_WITHIN = timedelta(seconds=30)
"""How recently a worker must have beaten for the monitor to count as running."""


def check_checks(checks: Sequence[tuple[str, CheckDefinition, CheckSchedule]]) -> None:
    """Refuse a set of checks naming one key twice, or giving two push checks one token."""
    keys: set[str] = set()
    tokens: set[str] = set()
    for key, definition, _ in checks:
        if key in keys:
            raise ValueError(f"check key {key!r} is given twice")
        keys.add(key)
        token = push_token(definition)
        if token is not None:
            if token in tokens:
                raise push_token_taken()
            tokens.add(token)


def push_token_taken() -> ConflictError:
    return ConflictError("another check already answers to this push token")
