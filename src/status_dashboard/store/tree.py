"""Read every environment with its groups, items and translations in four queries.

One query per table, not one per item: the dashboard is re-read whenever the revision moves, and
its cost must not grow with the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.engine import Connection

from status_dashboard.domain.model import Environment, Group, Item, Translation
from status_dashboard.domain.status import StatusCode
from status_dashboard.store.tables import environments, groups, item_translations, items


def load_tree(connection: Connection) -> tuple[Environment, ...]:
    """Every environment, in display order, with groups and items in display order."""
    translations = _translations(connection)
    items_by_group: defaultdict[str, list[Item]] = defaultdict(list)
    for row in connection.execute(select(items)):
        items_by_group[row.group_id].append(
            Item(
                id=row.id,
                key=row.key,
                name=row.name,
                order=row.position,
                status_code=StatusCode(row.status_code),
                last_updated=row.last_updated,
                description=row.description,
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


def _translations(connection: Connection) -> dict[str, dict[str, Translation]]:
    by_item: defaultdict[str, dict[str, Translation]] = defaultdict(dict)
    query = select(item_translations).order_by(
        item_translations.c.item_id, item_translations.c.language
    )
    for row in connection.execute(query):
        by_item[row.item_id][row.language] = Translation(name=row.name, description=row.description)
    return by_item
