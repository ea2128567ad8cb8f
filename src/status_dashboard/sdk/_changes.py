"""What changed between two dashboards of one environment, item by item.

An item's change is one of four kinds: it appeared, it went away, its status moved, or (with
the same status) its description did. Renames and reordering are not changes of state, so
they are not reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from status_dashboard.sdk._models import Dashboard, Item


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    STATUS = "status"
    DESCRIPTION = "description"


@dataclass(frozen=True, slots=True)
class Change:
    """One item's change. `before` is None for an added item, `after` None for a removed one;
    `at` is when the dashboard that showed it was fetched."""

    kind: ChangeKind
    before: Item | None
    after: Item | None
    at: datetime
    environment: str = "prod"

    def __post_init__(self) -> None:
        if self.before is None and self.after is None:
            raise ValueError("a change needs the item before or after it")

    @property
    def item(self) -> Item:
        """The item as it is now, or as it was when it went away."""
        item = self.after or self.before
        assert item is not None  # __post_init__ refuses neither
        return item


def changes_between(before: Dashboard, after: Dashboard) -> tuple[Change, ...]:
    """Changes from `before` to `after`, in `after`'s display order, removals last."""
    if after.groups is before.groups:  # a 304: the very same content
        return ()
    at, env = after.fetched_at, after.environment
    changes: list[Change] = []
    seen: set[str] = set()
    for new in after.items():
        seen.add(new.id)
        try:
            old = before.item(new.id)
        except KeyError:
            changes.append(Change(ChangeKind.ADDED, None, new, at, env))
            continue
        if old.status_code != new.status_code:
            changes.append(Change(ChangeKind.STATUS, old, new, at, env))
        elif old.description != new.description:
            changes.append(Change(ChangeKind.DESCRIPTION, old, new, at, env))
    changes.extend(
        Change(ChangeKind.REMOVED, old, None, at, env)
        for old in before.items()
        if old.id not in seen
    )
    return tuple(changes)
