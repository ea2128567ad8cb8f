"""Carry out a `plan.CatalogWrite` on an open write transaction.

The order of the statements is what keeps every constraint satisfied after each one:
environments exist before what they contain; leaving items are deleted before another item takes
their id; groups exist before items move into them; groups that leave are deleted last, once
every item that stays has moved out (deleting a group cascades to its items). Checks are set
after all of it, when every item they belong to exists under its new id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from status_dashboard.domain.catalog import CheckSpec, ChecksWrite, StatusChange
from status_dashboard.store.check_codec import definition_of, schedule_of
from status_dashboard.store.monitor import _replace_checks
from status_dashboard.store.plan import CatalogWrite, GroupRow, ItemRow, RowChanges
from status_dashboard.store.records import CATALOG_ACTOR, check_checks
from status_dashboard.store.tables import (
    checks,
    environments,
    groups,
    item_status_events,
    item_translations,
    items,
)


def write_catalog(connection: Connection, write: CatalogWrite, now: datetime) -> None:
    if write.new_environments:
        rows = [{**asdict(row), "created_at": now} for row in write.new_environments]
        connection.execute(insert(environments), rows)
    if write.changed_environments:
        connection.execute(
            update(environments).where(environments.c.key == bindparam("old_key")),
            [{**asdict(row), "old_key": row.key} for row in write.changed_environments],
        )
    _delete(connection, items, write.items.deletes)
    _upsert_rows(connection, groups, write.groups)
    _upsert_rows(connection, items, write.items)
    _replace_translations(connection, write)
    _delete(connection, groups, write.groups.deletes)


def stored_checks(connection: Connection) -> dict[str, tuple[CheckSpec, ...]]:
    """Every item's checks as a catalog declares them, by item id: what a merge compares with."""
    query = select(checks.c.item_id, checks.c.key, checks.c.definition, checks.c.schedule)
    found: defaultdict[str, list[CheckSpec]] = defaultdict(list)
    for row in connection.execute(query.order_by(checks.c.item_id, checks.c.key)):
        found[row.item_id].append(
            (row.key, definition_of(row.definition), schedule_of(row.schedule))
        )
    return {item_id: tuple(specs) for item_id, specs in found.items()}


def write_checks(connection: Connection, writes: Sequence[ChecksWrite], now: datetime) -> None:
    """Give each item its checks, as `MonitorStore.set_checks` does (kept keys keep their state)."""
    if not writes:
        return
    for write in writes:
        check_checks(write.checks)
    # The merge has made sure no two checks of the result share a push token, but a token may
    # move from one item of the load to another: clear them all first, so the order of the
    # items does not matter to the unique constraint.
    changed = [write.item_id for write in writes]
    connection.execute(update(checks).where(checks.c.item_id.in_(changed)).values(push_token=None))
    for write in writes:
        _replace_checks(connection, write.item_id, write.checks, now)


def record_status_changes(connection: Connection, changes: Sequence[StatusChange]) -> None:
    if not changes:
        return
    connection.execute(
        insert(item_status_events),
        [
            {
                "item_id": change.item_id,
                "environment_key": change.environment_key,
                "at": change.at,
                "from_code": None if change.from_code is None else int(change.from_code),
                "to_code": int(change.to_code),
                "description": change.description,
                "reason": change.reason,
                "actor": CATALOG_ACTOR,
            }
            for change in changes
        ],
    )


def _delete(connection: Connection, table: Table, ids: Sequence[str]) -> None:
    if ids:
        connection.execute(delete(table).where(table.c.id.in_(ids)))


def _upsert_rows(
    connection: Connection, table: Table, changes: RowChanges[GroupRow] | RowChanges[ItemRow]
) -> None:
    # With several parameter sets and no .values(), the SET clause is every column named in
    # them, so one statement serves all updated rows.
    if changes.updates:
        connection.execute(
            update(table).where(table.c.id == bindparam("old_id")),
            [{**asdict(row), "old_id": old_id} for old_id, row in changes.updates],
        )
    if changes.inserts:
        connection.execute(insert(table), [asdict(row) for row in changes.inserts])


def _replace_translations(connection: Connection, write: CatalogWrite) -> None:
    if not write.translations:
        return
    replaced = list(write.translations)
    connection.execute(delete(item_translations).where(item_translations.c.item_id.in_(replaced)))
    rows = [
        {
            "item_id": item_id,
            "language": language,
            "name": translation.name,
            "description": translation.description,
        }
        for item_id, translations in write.translations.items()
        for language, translation in sorted(translations.items())
    ]
    if rows:
        connection.execute(insert(item_translations), rows)
