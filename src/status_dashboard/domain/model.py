"""Environments contain groups; groups contain items (docs/design.md §5).

Values are frozen: a change is a new value, so a rendered snapshot can never see half an update.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from status_dashboard.domain.status import StatusCode, rollup

LANGUAGES = ("nl", "fr", "de")
"""Languages an item may be translated into; English is the v1 wire language and is not listed."""


@dataclass(frozen=True, slots=True)
class Translation:
    """An item's name and description in one language other than English."""

    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One monitored service or component, as a partner sees it."""

    id: str
    key: str
    name: str
    order: int
    status_code: StatusCode
    last_updated: datetime
    description: str | None = None
    translations: Mapping[str, Translation] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Group:
    """A named set of items, shown together; its code is the roll-up of its items."""

    id: str
    key: str
    name: str
    order: int
    items: tuple[Item, ...] = ()

    @property
    def status_code(self) -> StatusCode:
        return rollup(item.status_code for item in self.items)


@dataclass(frozen=True, slots=True)
class Environment:
    """A deployment stage of the platform (PROD, ACC, INT, ...), served under its own path.

    `strict` environments refuse requests whose User-Agent does not follow the cookbook;
    the default environment is the one `/api/v1/dashboard` serves without a suffix.
    """

    key: str
    name: str
    order: int
    strict: bool = False
    is_default: bool = False
    groups: tuple[Group, ...] = ()

    def sorted(self) -> Environment:
        """This environment with groups and items in display order (by order, then key)."""
        groups = tuple(
            Group(
                id=g.id,
                key=g.key,
                name=g.name,
                order=g.order,
                items=tuple(sorted(g.items, key=lambda i: (i.order, i.key))),
            )
            for g in sorted(self.groups, key=lambda g: (g.order, g.key))
        )
        return Environment(
            key=self.key,
            name=self.name,
            order=self.order,
            strict=self.strict,
            is_default=self.is_default,
            groups=groups,
        )

    @property
    def last_change(self) -> datetime | None:
        """The latest `last_updated` of any item: when what this environment shows last changed."""
        stamps = [item.last_updated for group in self.groups for item in group.items]
        return max(stamps) if stamps else None


DEFAULT_ENVIRONMENTS = (
    Environment(key="prod", name="Production", order=1, is_default=True),
    Environment(key="acc", name="Acceptance", order=2),
    Environment(key="int", name="Integration", order=3),
)
"""The environments every deployment has from its first migration (docs/design.md §2)."""
