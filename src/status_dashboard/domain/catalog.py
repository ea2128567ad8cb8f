"""The catalog as data, and how a catalog is merged into what the store holds.

A catalog file (docs/design.md §5) becomes a `CatalogSpec`; `merge_catalog` is the pure rule that turns
the current environments and a spec into the next environments, so every store applies a catalog
the same way: keys map to stable ids, loading the same file twice changes nothing, and
`last_updated` moves only when an item's status or description does.

Checks are part of the merge too, though not of the tree: the store hands in the checks every
item has now, and the merge says which items get other checks (`check_writes`), so that a load
that declares the same checks again changes nothing either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from status_dashboard.domain import ids
from status_dashboard.domain.catalog_checks import NO_CHECKS, CheckMerge, CheckSpec, ChecksWrite
from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.model import Environment, Group, Item, Translation
from status_dashboard.domain.status import StatusCode

__all__ = [
    "CatalogMerge",
    "CatalogSpec",
    "CheckSpec",
    "ChecksWrite",
    "EnvironmentSpec",
    "GroupSpec",
    "ItemSpec",
    "StatusChange",
    "merge_catalog",
]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """An item as the catalog declares it.

    `status` given: the file sets status and description (no description in the file clears it).
    `status` omitted: the status stays as it is (a new item starts Unknown, docs/design.md §4);
    a description given alone replaces only the description.

    `checks` None: the item's checks stay as they are; a tuple, even an empty one: these are
    the item's checks, and any other it has goes.
    """

    key: str
    name: str
    order: int
    id: str | None = None
    status: StatusCode | None = None
    description: str | None = None
    translations: Mapping[str, Translation] = field(default_factory=dict)
    checks: tuple[CheckSpec, ...] | None = None


@dataclass(frozen=True, slots=True)
class GroupSpec:
    key: str
    name: str
    order: int
    id: str | None = None
    items: tuple[ItemSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class EnvironmentSpec:
    """An environment as the catalog declares it; `None` leaves a setting as it is."""

    key: str
    order: int
    name: str | None = None
    strict: bool | None = None
    is_default: bool | None = None
    groups: tuple[GroupSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class CatalogSpec:
    environments: tuple[EnvironmentSpec, ...] = ()

    @property
    def declares_checks(self) -> bool:
        """Whether any item says what its checks are (else a store need not read them)."""
        return any(
            item.checks is not None
            for env in self.environments
            for group in env.groups
            for item in group.items
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One change of an item's status, for the item's history (docs/design.md §4)."""

    item_id: str
    environment_key: str
    at: datetime
    from_code: StatusCode | None
    to_code: StatusCode
    description: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class CatalogMerge:
    """What applying a catalog does: the next state, and the account of it."""

    environments: tuple[Environment, ...]
    changes: tuple[str, ...]
    status_changes: tuple[StatusChange, ...]
    removed_group_ids: tuple[str, ...]
    removed_item_ids: tuple[str, ...]
    unlisted: tuple[str, ...]
    check_writes: tuple[ChecksWrite, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class _Account:
    checks: CheckMerge
    changes: list[str] = field(default_factory=list)
    status_changes: list[StatusChange] = field(default_factory=list)
    removed_group_ids: list[str] = field(default_factory=list)
    removed_item_ids: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)


def merge_catalog(
    current: Sequence[Environment],
    spec: CatalogSpec,
    now: datetime,
    *,
    prune: bool = False,
    checks: Mapping[str, Sequence[CheckSpec]] = NO_CHECKS,
) -> CatalogMerge:
    """The environments after applying `spec` to `current` at `now`.

    Groups and items missing from the file are kept and listed in `unlisted`, unless `prune`,
    which removes them. Environments are never removed by a catalog. `checks` are the checks
    every item has now, by item id; they may be left out when `spec` declares no checks.

    Raises CatalogConflict when the result would have no default environment, or two checks
    that answer to one push token.
    """
    account = _Account(CheckMerge(checks))
    by_key = {env.key: env for env in current}
    merged: dict[str, Environment] = dict(by_key)
    for env_spec in spec.environments:
        merged[env_spec.key] = _merge_environment(
            by_key.get(env_spec.key), env_spec, now, prune, account
        )
    defaults = [key for key, env in merged.items() if env.is_default]
    declared_default = next((e.key for e in spec.environments if e.is_default), None)
    if declared_default is not None:
        for key in defaults:
            if key != declared_default:
                merged[key] = _replace_env(merged[key], is_default=False)
                account.changes.append(f"environment {key}: no longer the default")
    ordered = tuple(sorted(merged.values(), key=lambda e: (e.order, e.key)))
    if merged and not any(env.is_default for env in merged.values()):
        raise CatalogConflict(
            "no environment would be the default one served at /api/v1/dashboard; "
            "mark one environment `default: true`"
        )
    account.checks.ensure_unique_push_tokens(ordered)
    return CatalogMerge(
        environments=ordered,
        changes=tuple(account.changes),
        status_changes=tuple(account.status_changes),
        removed_group_ids=tuple(account.removed_group_ids),
        removed_item_ids=tuple(account.removed_item_ids),
        unlisted=tuple(account.unlisted),
        check_writes=account.checks.writes(),
    )


def _merge_environment(
    existing: Environment | None,
    spec: EnvironmentSpec,
    now: datetime,
    prune: bool,
    account: _Account,
) -> Environment:
    env_key = spec.key
    if existing is None:
        account.changes.append(f"environment {env_key}: created")
        existing = Environment(key=env_key, name=spec.name or env_key.upper(), order=spec.order)
    name = spec.name if spec.name is not None else existing.name
    strict = spec.strict if spec.strict is not None else existing.strict
    is_default = spec.is_default if spec.is_default is not None else existing.is_default
    for label, old, new in (
        ("name", existing.name, name),
        ("order", existing.order, spec.order),
        ("strict", existing.strict, strict),
        ("default", existing.is_default, is_default),
    ):
        if old != new:
            account.changes.append(f"environment {env_key}: {label} {old!r} -> {new!r}")

    old_groups = {g.key: g for g in existing.groups}
    old_items = {item.key: (group.key, item) for group in existing.groups for item in group.items}
    declared_items = {i.key for g in spec.groups for i in g.items}
    groups: list[Group] = []
    for group_spec in spec.groups:
        items = tuple(
            _merge_item(env_key, group_spec.key, old_items.get(i.key), i, now, account)
            for i in group_spec.items
        )
        kept = _unlisted_items(
            env_key, old_groups.get(group_spec.key), declared_items, prune, account
        )
        groups.append(
            _merge_group(env_key, old_groups.get(group_spec.key), group_spec, items + kept, account)
        )
    declared_groups = {g.key for g in spec.groups}
    for group in existing.groups:
        if group.key in declared_groups:
            continue
        kept = _unlisted_items(env_key, group, declared_items, prune, account)
        if prune and not kept:
            account.changes.append(f"group {env_key}/{group.key}: removed")
            account.removed_group_ids.append(group.id)
        else:
            account.unlisted.append(f"group {env_key}/{group.key}")
            groups.append(
                Group(id=group.id, key=group.key, name=group.name, order=group.order, items=kept)
            )
    return Environment(
        key=env_key,
        name=name,
        order=spec.order,
        strict=strict,
        is_default=is_default,
        groups=tuple(groups),
    )


def _unlisted_items(
    env_key: str, group: Group | None, declared: set[str], prune: bool, account: _Account
) -> tuple[Item, ...]:
    """Items of `group` that the file no longer declares anywhere: kept, or removed when pruning."""
    if group is None:
        return ()
    kept: list[Item] = []
    for item in group.items:
        if item.key in declared:
            continue
        if prune:
            account.changes.append(f"item {env_key}/{item.key}: removed")
            account.removed_item_ids.append(item.id)
        else:
            account.unlisted.append(f"item {env_key}/{item.key}")
            kept.append(item)
    return tuple(kept)


def _merge_group(
    env_key: str,
    existing: Group | None,
    spec: GroupSpec,
    items: tuple[Item, ...],
    account: _Account,
) -> Group:
    where = f"group {env_key}/{spec.key}"
    if existing is None:
        account.changes.append(f"{where}: created")
        group_id = spec.id or ids.group_id(env_key, spec.key)
    else:
        group_id = spec.id or existing.id
        for label, old, new in (
            ("id", existing.id, group_id),
            ("name", existing.name, spec.name),
            ("order", existing.order, spec.order),
        ):
            if old != new:
                account.changes.append(f"{where}: {label} {old!r} -> {new!r}")
        moved_in = {i.key for i in items} - {i.key for i in existing.items}
        moved_out = {i.key for i in existing.items} - {i.key for i in items}
        if moved_in or moved_out:
            account.changes.append(
                f"{where}: items {sorted(moved_out)} left, {sorted(moved_in)} joined"
            )
    return Group(id=group_id, key=spec.key, name=spec.name, order=spec.order, items=items)


def _merge_item(
    env_key: str,
    group_key: str,
    existing: tuple[str, Item] | None,
    spec: ItemSpec,
    now: datetime,
    account: _Account,
) -> Item:
    where = f"item {env_key}/{spec.key}"
    if existing is None:
        account.changes.append(f"{where}: created in group {group_key}")
        status = spec.status if spec.status is not None else StatusCode.UNKNOWN
        item = Item(
            id=spec.id or ids.item_id(env_key, spec.key),
            key=spec.key,
            name=spec.name,
            order=spec.order,
            status_code=status,
            last_updated=now,
            description=spec.description,
            translations=spec.translations,
        )
        account.status_changes.append(
            StatusChange(
                item.id, env_key, now, None, status, item.description, "catalog: item created"
            )
        )
        _merge_checks(where, item.id, item.id, spec, account)
        return item
    _, old = existing
    status = spec.status if spec.status is not None else old.status_code
    sets_description = spec.status is not None or spec.description is not None
    description = spec.description if sets_description else old.description
    item_id = spec.id or old.id
    for label, before, after in (
        ("id", old.id, item_id),
        ("name", old.name, spec.name),
        ("order", old.order, spec.order),
        ("description", old.description, description),
        ("translations", dict(old.translations), dict(spec.translations)),
    ):
        if before != after:
            account.changes.append(f"{where}: {label} {before!r} -> {after!r}")
    shown_changed = status != old.status_code or description != old.description
    if status != old.status_code:
        account.changes.append(f"{where}: status {old.status_code.label} -> {status.label}")
        account.status_changes.append(
            StatusChange(
                item_id, env_key, now, old.status_code, status, description, "catalog load"
            )
        )
    _merge_checks(where, old.id, item_id, spec, account)
    return Item(
        id=item_id,
        key=spec.key,
        name=spec.name,
        order=spec.order,
        status_code=status,
        last_updated=now if shown_changed else old.last_updated,
        description=description,
        translations=spec.translations,
    )


def _merge_checks(
    where: str, previous_id: str, item_id: str, spec: ItemSpec, account: _Account
) -> None:
    change = account.checks.item(previous_id, item_id, spec.checks)
    if change is not None:
        account.changes.append(f"{where}: {change}")


def _replace_env(env: Environment, *, is_default: bool) -> Environment:
    return Environment(
        key=env.key,
        name=env.name,
        order=env.order,
        strict=env.strict,
        is_default=is_default,
        groups=env.groups,
    )
