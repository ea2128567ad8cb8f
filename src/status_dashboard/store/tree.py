"""Read every environment with its groups, items and translations in four queries.

One query per table, not one per item: the dashboard is re-read whenever the revision moves, and
its cost must not grow with the number of items.

Items come with their manual status (what catalog loads write, and what they merge against), or
with their effective one (`item_states`, what the public sees) where one was decided.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from status_dashboard.domain.model import Environment, Group, Item, Translation
from status_dashboard.domain.status import StatusCode
from status_dashboard.store.tables import (
    environments,
    groups,
    item_states,
    item_translations,
    items,
)


def load_tree(connection: Connection, *, effective: bool = False) -> tuple[Environment, ...]:
    """Every environment, in display order, with groups and items in display order; items carry
    their effective state where one exists if `effective`, else their manual status."""
    translations = _translations(connection)
    items_by_group: defaultdict[str, list[Item]] = defaultdict(list)
    for row in connection.execute(_EFFECTIVE_ITEMS if effective else select(items)):
        shown = row if not effective or row.state_item_id is None else _State(row)
        items_by_group[row.group_id].append(
            Item(
                id=row.id,
                key=row.key,
                name=row.name,
                order=row.position,
                status_code=StatusCode(shown.status_code),
                last_updated=shown.last_updated,
                description=shown.description,
                translations=MappingProxyType(translations.get(row.id, {})),
            )
        )
    groups_by_env: defaultdict[str, list[Group]] = defaultdict(list)
    for row in connection.execute(select(groups)):
        groups_by_env[row.environment_key].append(
            Group(
                id=row.id,
                key=row.key,
                name=row.name,
                order=row.position,
                items=tuple(items_by_group[row.id]),
            )
        )
    envs = (
        Environment(
            key=row.key,
            name=row.name,
            order=row.position,
            strict=row.strict,
            is_default=row.is_default,
            groups=tuple(groups_by_env[row.key]),
        ).sorted()
        for row in connection.execute(select(environments))
    )
    return tuple(sorted(envs, key=lambda env: (env.order, env.key)))


_EFFECTIVE_ITEMS = select(
    items,
    item_states.c.item_id.label("state_item_id"),
    item_states.c.status_code.label("state_status_code"),
    item_states.c.description.label("state_description"),
    item_states.c.last_updated.label("state_last_updated"),
).select_from(items.outerjoin(item_states, item_states.c.item_id == items.c.id))


class _State:
    """The effective columns of an `_EFFECTIVE_ITEMS` row, under the names of the manual ones."""

    __slots__ = ("description", "last_updated", "status_code")

    def __init__(self, row: Row[Any]) -> None:
        self.status_code: int = row.state_status_code
        self.description: str | None = row.state_description
        self.last_updated: datetime = row.state_last_updated


def _translations(connection: Connection) -> dict[str, dict[str, Translation]]:
    by_item: defaultdict[str, dict[str, Translation]] = defaultdict(dict)
    query = select(item_translations).order_by(
        item_translations.c.item_id, item_translations.c.language
    )
    for row in connection.execute(query):
        by_item[row.item_id][row.language] = Translation(name=row.name, description=row.description)
    return by_item
