"""Which rows a catalog load writes: the difference between the stored tree and the merged one.

Pure, so the SQL and in-memory stores agree on what a load does to ids and history.

A row is matched to the stored row of the same environment and key (the catalog's identity).
A new key that claims the id of a row whose key is leaving (a key renamed under `prune` with its
public id pinned) continues that row, with its history, rather than replacing it: the same public
id names the same status entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from status_dashboard.domain.model import Environment, Translation


@dataclass(frozen=True, slots=True)
class EnvironmentRow:
    key: str
    name: str
    position: int
    strict: bool
    is_default: bool


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: str
    environment_key: str
    key: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: str
    environment_key: str
    group_id: str
    key: str
    name: str
    position: int
    status_code: int
    description: str | None
    last_updated: datetime


RowT = TypeVar("RowT", GroupRow, ItemRow)


@dataclass(frozen=True, slots=True)
class RowChanges(Generic[RowT]):
    """Deletes by id; updates as (the id the row has now, the row as it becomes); inserts."""

    deletes: tuple[str, ...]
    updates: tuple[tuple[str, RowT], ...]
    inserts: tuple[RowT, ...]
    previous_ids: Mapping[str, str]
    """For every row that existed before: its id now -> its id before."""

    @property
    def renamed_ids(self) -> dict[str, str]:
        """Rows whose public id changes: id before -> id now."""
        return {before: now for now, before in self.previous_ids.items() if before != now}


@dataclass(frozen=True, slots=True)
class CatalogWrite:
    """Everything a catalog load writes; empty when nothing changed."""

    new_environments: tuple[EnvironmentRow, ...]
    changed_environments: tuple[EnvironmentRow, ...]
    groups: RowChanges[GroupRow]
    items: RowChanges[ItemRow]
    translations: Mapping[str, Mapping[str, Translation]]
    """Items (by their id now) whose translations are replaced by the ones given."""


def plan_write(current: Sequence[Environment], merged: Sequence[Environment]) -> CatalogWrite:
    """The rows to write so that the store holding `current` holds `merged`."""
    old_envs = {row.key: row for row in _environment_rows(current)}
    new_envs = _environment_rows(merged)
    items = diff_rows(_item_rows(current), _item_rows(merged))
    return CatalogWrite(
        new_environments=tuple(row for row in new_envs if row.key not in old_envs),
        changed_environments=tuple(
            row for row in new_envs if row.key in old_envs and old_envs[row.key] != row
        ),
        groups=diff_rows(_group_rows(current), _group_rows(merged)),
        items=items,
        translations=_translation_changes(current, merged, items.previous_ids),
    )


def diff_rows(old: Sequence[RowT], new: Sequence[RowT]) -> RowChanges[RowT]:
    old_by_key = {_identity(row): row for row in old}
    new_keys = {_identity(row) for row in new}
    leaving = {row.id: row for row in old if _identity(row) not in new_keys}
    updates: list[tuple[str, RowT]] = []
    inserts: list[RowT] = []
    previous_ids: dict[str, str] = {}
    for row in new:
        before = old_by_key.get(_identity(row))
        if before is None:
            before = leaving.pop(row.id, None)
        if before is None:
            inserts.append(row)
            continue
        previous_ids[row.id] = before.id
        if before != row:
            updates.append((before.id, row))
    return RowChanges(
        deletes=tuple(leaving),
        updates=tuple(updates),
        inserts=tuple(inserts),
        previous_ids=previous_ids,
    )


def _identity(row: GroupRow | ItemRow) -> tuple[str, str]:
    return (row.environment_key, row.key)


def _environment_rows(envs: Sequence[Environment]) -> list[EnvironmentRow]:
    return [EnvironmentRow(e.key, e.name, e.order, e.strict, e.is_default) for e in envs]


def _group_rows(envs: Sequence[Environment]) -> list[GroupRow]:
    return [GroupRow(g.id, e.key, g.key, g.name, g.order) for e in envs for g in e.groups]


def _item_rows(envs: Sequence[Environment]) -> list[ItemRow]:
    return [
        ItemRow(
            id=i.id,
            environment_key=e.key,
            group_id=g.id,
            key=i.key,
            name=i.name,
            position=i.order,
            status_code=int(i.status_code),
            description=i.description,
            last_updated=i.last_updated,
        )
        for e in envs
        for g in e.groups
        for i in g.items
    ]


def _translation_changes(
    current: Sequence[Environment], merged: Sequence[Environment], previous_ids: Mapping[str, str]
) -> dict[str, Mapping[str, Translation]]:
    old = _translations(current)
    changes: dict[str, Mapping[str, Translation]] = {}
    for item_id, translations in _translations(merged).items():
        before = old.get(previous_ids[item_id], {}) if item_id in previous_ids else {}
        if dict(before) != dict(translations):
            changes[item_id] = translations
    return changes


def _translations(envs: Sequence[Environment]) -> dict[str, Mapping[str, Translation]]:
    return {i.id: i.translations for e in envs for g in e.groups for i in g.items}
