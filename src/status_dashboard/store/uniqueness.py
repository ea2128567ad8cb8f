"""The uniqueness rules of the schema, checked on a tree before any store holds it.

The database enforces them too, but its complaint names a constraint, not the id; checking
first lets both stores refuse a conflicting catalog with the same plain message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.model import Environment


def ensure_unique(envs: Sequence[Environment]) -> None:
    """Raise `CatalogConflict` if two groups or two items share an id, or a key in one environment."""
    groups = [(f"{e.key}/{g.key}", g.id) for e in envs for g in e.groups]
    items = [(f"{e.key}/{i.key}", i.id) for e in envs for g in e.groups for i in g.items]
    _ids_unique("group", groups)
    _ids_unique("item", items)
    _keys_unique("group", (place for place, _ in groups))
    _keys_unique("item", (place for place, _ in items))


def _ids_unique(kind: str, places: Iterable[tuple[str, str]]) -> None:
    owner: dict[str, str] = {}
    for place, public_id in places:
        if public_id in owner:
            raise CatalogConflict(
                f"{kind} id {public_id!r} is used by both {owner[public_id]} and {place}"
            )
        owner[public_id] = place


def _keys_unique(kind: str, places: Iterable[str]) -> None:
    seen: set[str] = set()
    for place in places:
        if place in seen:
            raise CatalogConflict(f"{kind} {place} is declared more than once")
        seen.add(place)
