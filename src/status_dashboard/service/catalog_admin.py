"""What admins do to the catalog over the API: environments, groups and items, one at a time.

Every write is the catalog merge of a file that declares one environment as it stands, with the
one change applied: ids, uniqueness, `last_updated` and the transaction stay where a catalog
load keeps them (`domain.catalog.merge_catalog`, `DashboardStore.apply_catalog`), and the audit
entry is written in that same transaction, only when something changed. A reconcile follows, so
the public dashboard shows the change when the request returns.

A write is built from a read made just before it: two admins editing the same environment at
the same moment can overwrite each other's change (the last one wins), as two catalog loads do.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, ParamSpec, TypeVar

from status_dashboard.domain import ids
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.errors import (
    CatalogConflict,
    ConflictError,
    NotFoundError,
    StaleRevision,
)
from status_dashboard.domain.model import LANGUAGES, Environment, Group, Item, Translation
from status_dashboard.domain.ports import DashboardStore, OperationsStore
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.accounts import InvalidInput, require, require_unscoped
from status_dashboard.service.reconciler import Reconciler

MAX_NAME = 200
MAX_DESCRIPTION = 2000


class Keep(Enum):
    """A field of a change left out: the value stays as it is (None would clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """An item as the catalog holds it: where it is, what the public sees, and its manual state."""

    environment_key: str
    group: Group
    item: Item  # as the public sees it
    manual: Item  # its manual status and description, what the catalog sets


@dataclass(frozen=True, slots=True)
class NewItem:
    key: str
    group: str  # the group's id or key
    name: str
    order: int | None = None  # None: after the group's last item
    status_code: StatusCode | None = None  # None: Unknown until something decides
    description: str | None = None
    translations: Mapping[str, Translation] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemChange:
    """A change of an item's definition; None (or KEEP) leaves a field as it is."""

    name: str | None = None
    order: int | None = None
    group: str | None = None  # move to the group with this id or key
    status_code: StatusCode | None = None
    description: str | Keep | None = KEEP
    translations: Mapping[str, Translation] | Keep | None = KEEP


_PLANNED_AT: ContextVar[int | None] = ContextVar("catalog_planned_at", default=None)
"""The store revision a write's plan was read at (per thread: requests run in a pool)."""

_ATTEMPTS = 5

P = ParamSpec("P")
R = TypeVar("R")


def _planned(write: Callable[P, R]) -> Callable[P, R]:
    """Run a catalog write planned from a read of the store, again from a fresh read when the
    store changed in between: two admins (or an admin and an operator) never undo each other,
    and checks made while planning (open incidents) still hold when the write commits."""

    @functools.wraps(write)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        service = args[0]
        assert isinstance(service, CatalogAdmin)
        for _ in range(_ATTEMPTS - 1):
            token = _PLANNED_AT.set(service._dashboards.revision())
            try:
                return write(*args, **kwargs)
            except StaleRevision:
                continue
            finally:
                _PLANNED_AT.reset(token)
        token = _PLANNED_AT.set(service._dashboards.revision())
        try:
            return write(*args, **kwargs)
        except StaleRevision as exc:
            raise ConflictError(
                f"the catalog kept changing during this write; try again ({exc})"
            ) from None
        finally:
            _PLANNED_AT.reset(token)

    return attempt


class CatalogAdmin:
    def __init__(
        self,
        dashboards: DashboardStore,
        operations: OperationsStore,
        reconciler: Reconciler,
        clock: Callable[[], datetime],
        after_write: Callable[[], object] = lambda: None,
    ) -> None:
        self._dashboards = dashboards
        self._ops = operations
        self._reconciler = reconciler
        self._clock = clock
        self._after_write = after_write

    # -- environments ------------------------------------------------------------------------

    def environments(self, principal: Principal) -> list[Environment]:
        require(principal, Role.VIEWER)
        return [e for e in self._dashboards.environments() if principal.may(Role.VIEWER, e.key)]

    def environment(self, principal: Principal, environment_key: str) -> Environment:
        require(principal, Role.VIEWER, environment_key)
        return self._environment(environment_key)

    @_planned
    def create_environment(
        self,
        principal: Principal,
        key: str,
        name: str,
        *,
        strict: bool = False,
        default: bool = False,
        order: int | None = None,
    ) -> Environment:
        require(principal, Role.ADMIN)
        require_unscoped(principal, "a new environment is beyond them")
        key, name = _key("key", key), _name("name", name)
        if key in ids.RESERVED_PATH_SEGMENTS:
            raise InvalidInput(
                "key",
                f"/{key} is another page: {', '.join(sorted(ids.RESERVED_PATH_SEGMENTS))} "
                "cannot be environment keys",
            )
        current = self._dashboards.environments()
        if any(env.key == key for env in current):
            raise ConflictError(f"Environment '{key}' exists already")
        if order is None:
            order = max((env.order for env in current), default=0) + 1
        spec = EnvironmentSpec(key=key, order=order, name=name, strict=strict, is_default=default)
        after = {"key": key, "name": name, "order": order, "strict": strict, "default": default}
        self._apply(
            spec, principal, "catalog.environment.create", f"environment:{key}", None, after
        )
        return self._environment(key)

    @_planned
    def update_environment(
        self,
        principal: Principal,
        environment_key: str,
        *,
        name: str | None = None,
        strict: bool | None = None,
        default: bool | None = None,
        order: int | None = None,
    ) -> Environment:
        require(principal, Role.ADMIN, environment_key)
        if default is not None:
            require_unscoped(principal, "choosing the default environment changes another too")
        env = self._environment(environment_key)
        if name is not None:
            name = _name("name", name)
        spec = EnvironmentSpec(
            key=env.key,
            order=env.order if order is None else order,
            name=name,
            strict=strict,
            is_default=default,
        )
        after = {
            **_environment_doc(env),
            **{k: v for k, v in (("name", name), ("strict", strict), ("default", default)) if v is not None},
            "order": spec.order,
        }  # fmt: skip
        self._apply(
            spec, principal, "catalog.environment.update", f"environment:{env.key}",
            _environment_doc(env), after,
        )  # fmt: skip
        return self._environment(env.key)

    # -- groups ------------------------------------------------------------------------------

    def groups(self, principal: Principal, environment_key: str) -> tuple[Group, ...]:
        return self.environment(principal, environment_key).groups

    @_planned
    def create_group(
        self,
        principal: Principal,
        environment_key: str,
        key: str,
        name: str,
        *,
        order: int | None = None,
        group_id: str | None = None,
    ) -> Group:
        require(principal, Role.ADMIN, environment_key)
        key, name = _key("key", key), _name("name", name)
        if group_id is not None and not ids.GROUP_ID_PATTERN.match(group_id):
            raise InvalidInput("id", "must be 20 characters of URL-safe base64")
        env = self._environment(environment_key)
        if any(g.key == key for g in env.groups):
            raise ConflictError(f"Group '{key}' exists already in environment '{env.key}'")
        if order is None:
            order = max((g.order for g in env.groups), default=0) + 1
        new_id = group_id or ids.group_id(env.key, key)
        if any(g.id == new_id for e in self._dashboards.environments() for g in e.groups):
            # Said without where: the owner may be an environment beyond the asker's reach.
            raise ConflictError(f"Group id '{new_id}' is taken")
        new = GroupSpec(key=key, name=name, order=order, id=new_id)
        after = {"id": new_id, "key": key, "name": name, "order": order, "items": []}
        self._apply(
            _environment_spec(env, (*_group_specs(env), new)),
            principal, "catalog.group.create", f"group:{new_id}", None, after,
        )  # fmt: skip
        return self._group(env.key, new_id)

    @_planned
    def update_group(
        self,
        principal: Principal,
        environment_key: str,
        group_id: str,
        *,
        name: str | None = None,
        order: int | None = None,
    ) -> Group:
        require(principal, Role.ADMIN, environment_key)
        if name is not None:
            name = _name("name", name)
        env = self._environment(environment_key)
        old = _find_group(env, group_id)
        specs = [
            replace(spec, name=name or spec.name, order=spec.order if order is None else order)
            if spec.id == old.id
            else spec
            for spec in _group_specs(env)
        ]
        changed = next(s for s in specs if s.id == old.id)
        self._apply(
            _environment_spec(env, specs), principal, "catalog.group.update", f"group:{old.id}",
            _group_doc(old), {**_group_doc(old), "name": changed.name, "order": changed.order},
        )  # fmt: skip
        return self._group(env.key, old.id)

    @_planned
    def delete_group(self, principal: Principal, environment_key: str, group_id: str) -> Group:
        """Remove the group with its items; refused while an open incident names one of them."""
        require(principal, Role.ADMIN, environment_key)
        env = self._environment(environment_key)
        old = _find_group(env, group_id)
        self._refuse_if_in_open_incident(old.items, f"group '{old.key}'")
        specs = [spec for spec in _group_specs(env) if spec.id != old.id]
        self._apply(
            _environment_spec(env, specs), principal, "catalog.group.delete", f"group:{old.id}",
            _group_doc(old), None, prune=True,
        )  # fmt: skip
        return old

    # -- items -------------------------------------------------------------------------------

    def items(self, principal: Principal, environment_key: str) -> list[CatalogItem]:
        require(principal, Role.VIEWER, environment_key)
        env = self._environment(environment_key)
        manual = self._manual_items(env.key)
        return [
            CatalogItem(env.key, group, item, manual.get(item.id, item))
            for group in env.groups
            for item in group.items
        ]

    def item(self, principal: Principal, environment_key: str, item_id: str) -> CatalogItem:
        require(principal, Role.VIEWER, environment_key)
        return self._item(environment_key, item_id)

    @_planned
    def create_item(self, principal: Principal, environment_key: str, new: NewItem) -> CatalogItem:
        require(principal, Role.ADMIN, environment_key)
        key, name = _key("key", new.key), _name("name", new.name)
        description = _description(new.description)
        translations = _translations(new.translations)
        env = self._environment(environment_key)
        group = _group_by_reference(env, new.group)
        if any(i.key == key for g in env.groups for i in g.items):
            raise ConflictError(f"Item '{key}' exists already in environment '{env.key}'")
        order = new.order
        if order is None:
            order = max((i.order for i in group.items), default=0) + 1
        item_id = ids.item_id(env.key, key)
        spec = ItemSpec(
            key=key, name=name, order=order, id=item_id, status=new.status_code,
            description=description, translations=translations,
        )  # fmt: skip
        specs = [
            replace(g, items=(*g.items, spec)) if g.id == group.id else g for g in _group_specs(env)
        ]
        status = new.status_code or StatusCode.UNKNOWN
        after = _item_doc(group.key, spec, status, description)
        self._apply(
            _environment_spec(env, specs),
            principal, "catalog.item.create", f"item:{item_id}", None, after,
        )  # fmt: skip
        return self._item(env.key, item_id)

    @_planned
    def update_item(
        self, principal: Principal, environment_key: str, item_id: str, change: ItemChange
    ) -> CatalogItem:
        require(principal, Role.ADMIN, environment_key)
        current = self._item(environment_key, item_id)
        env = self._environment(environment_key)
        target = current.group if change.group is None else _group_by_reference(env, change.group)
        manual = current.manual
        status = change.status_code or manual.status_code
        description = manual.description
        if not isinstance(change.description, Keep):
            description = _description(change.description)
        translations = dict(manual.translations)
        if not isinstance(change.translations, Keep):
            translations = _translations(change.translations or {})
        spec = ItemSpec(
            key=manual.key,
            name=manual.name if change.name is None else _name("name", change.name),
            order=manual.order if change.order is None else change.order,
            id=manual.id,
            # Setting the status sets the description too, so both are given whenever either
            # changes; otherwise the manual status and description stay as they are.
            status=status if (status, description) != (manual.status_code, manual.description) else None,
            description=description,
            translations=translations,
        )  # fmt: skip
        specs = []
        for group in _group_specs(env):
            items = tuple(i for i in group.items if i.id != item_id)
            if group.id == target.id:
                items = (*items, spec)
            specs.append(replace(group, items=items))
        self._apply(
            _environment_spec(env, specs), principal, "catalog.item.update", f"item:{item_id}",
            _item_doc(current.group.key, _item_spec(manual), manual.status_code, manual.description),
            _item_doc(target.key, spec, status, description),
        )  # fmt: skip
        return self._item(env.key, item_id)

    @_planned
    def delete_item(self, principal: Principal, environment_key: str, item_id: str) -> CatalogItem:
        """Remove the item; refused while an open incident names it."""
        require(principal, Role.ADMIN, environment_key)
        current = self._item(environment_key, item_id)
        self._refuse_if_in_open_incident((current.item,), f"item '{current.item.key}'")
        env = self._environment(environment_key)
        specs = [
            replace(g, items=tuple(i for i in g.items if i.id != item_id))
            for g in _group_specs(env)
        ]
        manual = current.manual
        self._apply(
            _environment_spec(env, specs), principal, "catalog.item.delete", f"item:{item_id}",
            _item_doc(current.group.key, _item_spec(manual), manual.status_code, manual.description),
            None, prune=True,
        )  # fmt: skip
        return current

    @_planned
    def delete_environment(self, principal: Principal, environment_key: str) -> Environment:
        """Remove an environment with everything in it; refused for the default one and while
        an open incident names one of its items."""
        require(principal, Role.ADMIN, environment_key)
        require_unscoped(principal, "deleting an environment is an unscoped admin's")
        env = self._environment(environment_key)
        items = [item for group in env.groups for item in group.items]
        self._refuse_if_in_open_incident(items, f"an item of environment '{environment_key}'")
        entry = AuditEntry(
            self._clock(), principal.label, "catalog.environment.delete",
            f"environment:{environment_key}", environment_key, _environment_doc(env), None,
        )  # fmt: skip
        self._dashboards.delete_environment(
            environment_key, entry, expected_revision=_PLANNED_AT.get()
        )
        self._reconciler.run_once()
        self._after_write()
        return env

    # -- helpers -----------------------------------------------------------------------------

    def _apply(
        self,
        spec: EnvironmentSpec,
        principal: Principal,
        action: str,
        target: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        prune: bool = False,
    ) -> None:
        now = self._clock()
        entry = AuditEntry(now, principal.label, action, target, spec.key, before, after)
        try:
            self._dashboards.apply_catalog(
                CatalogSpec((spec,)),
                now,
                prune=prune,
                audit=entry,
                expected_revision=_PLANNED_AT.get(),
            )
        except CatalogConflict as exc:
            raise ConflictError(str(exc)) from None
        self._reconciler.run_once()
        self._after_write()

    def _environment(self, environment_key: str) -> Environment:
        for env in self._dashboards.environments():
            if env.key == environment_key:
                return env
        raise NotFoundError(f"No environment '{environment_key[:40]}'")

    def _group(self, environment_key: str, group_id: str) -> Group:
        return _find_group(self._environment(environment_key), group_id)

    def _item(self, environment_key: str, item_id: str) -> CatalogItem:
        env = self._environment(environment_key)
        for group in env.groups:
            for item in group.items:
                if item.id == item_id:
                    manual = self._manual_items(env.key).get(item_id, item)
                    return CatalogItem(env.key, group, item, manual)
        raise NotFoundError(f"No item '{item_id[:40]}' in environment '{environment_key[:40]}'")

    def _manual_items(self, environment_key: str) -> dict[str, Item]:
        inputs = self._ops.reconcile_inputs(self._clock())
        return {item.id: item for key, item in inputs.items if key == environment_key}

    def _refuse_if_in_open_incident(self, items: Sequence[Item], what: str) -> None:
        item_ids = {item.id for item in items}
        for incident in self._ops.reconcile_inputs(self._clock()).incidents:
            if item_ids & incident.item_ids:
                raise ConflictError(
                    f"Open incident #{incident.id} ('{incident.title[:60]}') names {what}; "
                    "resolve the incident first"
                )


def _environment_spec(env: Environment, groups: Sequence[GroupSpec]) -> EnvironmentSpec:
    """The environment as a catalog file would declare it, with `groups`; its settings stay."""
    return EnvironmentSpec(key=env.key, order=env.order, groups=tuple(groups))


def _group_specs(env: Environment) -> list[GroupSpec]:
    return [
        GroupSpec(
            key=g.key,
            name=g.name,
            order=g.order,
            id=g.id,
            items=tuple(_item_spec(i) for i in g.items),
        )
        for g in env.groups
    ]


def _item_spec(item: Item) -> ItemSpec:
    """The item as it stands: no status or description, so the manual ones stay."""
    return ItemSpec(
        key=item.key,
        name=item.name,
        order=item.order,
        id=item.id,
        translations=dict(item.translations),
    )


def _find_group(env: Environment, group_id: str) -> Group:
    for group in env.groups:
        if group.id == group_id:
            return group
    raise NotFoundError(f"No group '{group_id[:40]}' in environment '{env.key}'")


def _group_by_reference(env: Environment, reference: str) -> Group:
    """The group with this id, else with this key; a missing group is a bad field (400)."""
    for group in env.groups:
        if reference in (group.id, group.key):
            return group
    raise InvalidInput("group", f"no group with id or key '{reference[:40]}' in '{env.key}'")


def _key(field_name: str, value: str) -> str:
    if not ids.KEY_PATTERN.match(value):
        raise InvalidInput(
            field_name,
            "must be 1 to 64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit",
        )
    return value


def _name(field_name: str, value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= MAX_NAME:
        raise InvalidInput(field_name, f"must be 1 to {MAX_NAME} characters")
    return value


def _description(value: str | None, field_name: str = "description") -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_DESCRIPTION:
        raise InvalidInput(field_name, f"must be at most {MAX_DESCRIPTION} characters")
    return value or None


def _translations(given: Mapping[str, Translation]) -> dict[str, Translation]:
    checked: dict[str, Translation] = {}
    for language, translation in given.items():
        where = f"translations.{language}"
        if language not in LANGUAGES:
            raise InvalidInput(where, f"the languages are {', '.join(LANGUAGES)}")
        name = None if translation.name is None else _name(where + ".name", translation.name)
        description = _description(translation.description, where + ".description")
        if name is not None or description is not None:
            checked[language] = Translation(name=name, description=description)
    return checked


def _environment_doc(env: Environment) -> dict[str, Any]:
    return {
        "key": env.key,
        "name": env.name,
        "order": env.order,
        "strict": env.strict,
        "default": env.is_default,
    }


def _group_doc(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "key": group.key,
        "name": group.name,
        "order": group.order,
        "items": [item.id for item in group.items],
    }


def _item_doc(
    group_key: str, spec: ItemSpec, status: StatusCode, description: str | None
) -> dict[str, Any]:
    return {
        "id": spec.id,
        "key": spec.key,
        "group": group_key,
        "name": spec.name,
        "order": spec.order,
        "status_code": int(status),
        "description": description,
        "translations": {
            language: {"name": t.name, "description": t.description}
            for language, t in sorted(spec.translations.items())
        },
    }
