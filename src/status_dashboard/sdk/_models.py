"""The v1 dashboard as typed, immutable values: `Dashboard` > `Group` > `Item`, and `StatusCode`.

Fields the contract does not name are kept, not dropped, in each model's `extra` mapping, so a
newer service can add fields without breaking an older client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from types import MappingProxyType
from typing import Any

_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def _no_extra() -> Mapping[str, Any]:
    return _NO_EXTRA


class StatusCode(IntEnum):
    """The cookbook's codes: 1 Operational, 2 Disrupted, 3 Unknown."""

    OPERATIONAL = 1
    DISRUPTED = 2
    UNKNOWN = 3

    @property
    def operational(self) -> bool:
        return self is StatusCode.OPERATIONAL

    @property
    def disrupted(self) -> bool:
        return self is StatusCode.DISRUPTED

    @property
    def unknown(self) -> bool:
        return self is StatusCode.UNKNOWN

    @property
    def label(self) -> str:
        """`Operational`, `Disrupted` or `Unknown`, as the cookbook names them."""
        return self.name.capitalize()


@dataclass(frozen=True, slots=True)
class Item:
    """One monitored service. `last_updated` is aware (it keeps the service's UTC offset)."""

    id: str
    order: int
    status_code: StatusCode
    last_updated: datetime
    name: str
    description: str | None = None
    group_id: str = ""
    extra: Mapping[str, Any] = field(default_factory=_no_extra, hash=False, repr=False)
    """Fields the v1 contract does not name, as received (see the package docs for the one
    field the SDK itself puts here: an unrecognised `status_code`)."""


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...]:
    return tuple(vars(cls)[name].__set__ for name in names)


_ITEM_SETTERS = _slot_setters(
    Item,
    ("id", "order", "status_code", "last_updated", "name", "description", "group_id", "extra"),
)


def build_item(
    item_id: str,
    order: int,
    status_code: StatusCode,
    last_updated: datetime,
    name: str,
    description: str | None,
    group_id: str,
    extra: Mapping[str, Any],
) -> Item:
    """`Item(...)` for the parser, for values it has already checked, at half the cost.

    A frozen dataclass's `__init__` assigns each field through `object.__setattr__`; setting
    the slots directly is the same result without the detour, and a large dashboard has a
    thousand items to build.
    """
    item = object.__new__(Item)
    s_id, s_order, s_code, s_updated, s_name, s_description, s_group, s_extra = _ITEM_SETTERS
    s_id(item, item_id)
    s_order(item, order)
    s_code(item, status_code)
    s_updated(item, last_updated)
    s_name(item, name)
    s_description(item, description)
    s_group(item, group_id)
    s_extra(item, extra)
    return item


@dataclass(frozen=True, slots=True)
class Group:
    """A group of items, in display order; `status_code` is the service's roll-up, as sent."""

    id: str
    name: str
    items: tuple[Item, ...]
    status_code: StatusCode
    extra: Mapping[str, Any] = field(default_factory=_no_extra, hash=False, repr=False)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """One environment's dashboard, with what the answer said about caching it.

    Two dashboards are equal when their groups are; `etag`, `fetched_at` and the rest describe
    the fetch, not the content.
    """

    groups: tuple[Group, ...]
    environment: str = "prod"
    etag: str | None = field(default=None, compare=False)
    last_modified: str | None = field(default=None, compare=False)
    """The `Last-Modified` header as sent, for `If-Modified-Since`."""
    fetched_at: datetime = field(default_factory=_utc_now, compare=False)
    """When the answer arrived (a 304 renews it), in UTC."""
    max_age: int | None = field(default=None, compare=False)
    """The answer's `Cache-Control: max-age`, seconds: ask again no sooner than this."""
    raw: bytes = field(default=b"", compare=False, repr=False)
    """The body as received (after content decoding): the v1 document itself."""
    extra: Mapping[str, Any] = field(
        default_factory=_no_extra, compare=False, hash=False, repr=False
    )
    _index: Mapping[str, Item] | None = field(default=None, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self._index is None:
            index: dict[str, Item] = {}
            for group in self.groups:
                for item in group.items:
                    if item.id in index:
                        raise ValueError(f"item id {item.id!r} appears more than once")
                    index[item.id] = item
            object.__setattr__(self, "_index", index)

    @classmethod
    def parse(cls, document: bytes | str, *, environment: str = "prod") -> Dashboard:
        """Read a v1 document (JSON text); a body that breaks the contract raises ProtocolError
        naming the offending path."""
        from status_dashboard.sdk._parse import parse_dashboard

        return parse_dashboard(document, environment=environment)

    def items(self) -> tuple[Item, ...]:
        """Every item, group after group, in display order."""
        return tuple(self._iter_items())

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError when there is none."""
        try:
            return self._lookup[item_id]
        except KeyError:
            raise KeyError(f"no item {item_id!r} in the {self.environment} dashboard") from None

    def group(self, group_id: str) -> Group:
        """The group with this id; KeyError when there is none."""
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(f"no group {group_id!r} in the {self.environment} dashboard")

    def find(self, name: str) -> tuple[Item, ...]:
        """Items whose name contains `name`, ignoring case."""
        wanted = name.casefold()
        return tuple(item for item in self._iter_items() if wanted in item.name.casefold())

    def operational(self) -> tuple[Item, ...]:
        return self._with(StatusCode.OPERATIONAL)

    def disrupted(self) -> tuple[Item, ...]:
        return self._with(StatusCode.DISRUPTED)

    def unknown(self) -> tuple[Item, ...]:
        return self._with(StatusCode.UNKNOWN)

    @property
    def _lookup(self) -> Mapping[str, Item]:
        assert self._index is not None  # set by __post_init__
        return self._index

    def _with(self, code: StatusCode) -> tuple[Item, ...]:
        return tuple(item for item in self._iter_items() if item.status_code is code)

    def _iter_items(self) -> Iterator[Item]:
        for group in self.groups:
            yield from group.items

    def _refreshed(self, fetched_at: datetime, etag: str | None, max_age: int | None) -> Dashboard:
        """The same content, as a 304 confirmed it: no parsing, the same groups and items."""
        copy = object.__new__(Dashboard)
        for name in Dashboard.__dataclass_fields__:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "fetched_at", fetched_at)
        object.__setattr__(copy, "etag", etag or self.etag)
        object.__setattr__(copy, "max_age", self.max_age if max_age is None else max_age)
        return copy
