"""Catalog management as admins use it, on the in-memory stores: every write is a catalog merge
of one environment, audited in the same step, and what the public sees follows at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.errors import ConflictError, NotFoundError
from status_dashboard.domain.model import Environment, Translation
from status_dashboard.domain.operations import Impact, IncidentState, IncidentUpdate
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.accounts import Forbidden, InvalidInput
from status_dashboard.service.catalog_admin import CatalogAdmin, ItemChange, NewItem
from status_dashboard.service.reconciler import Reconciler
from status_dashboard.store.memory import (
    MemoryAuditLog,
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryOperationsStore,
)

NOW = datetime(2025, 5, 9, 6, 55, tzinfo=UTC)
ADMIN = Principal("user", 1, "alice", Role.ADMIN)
OPERATOR = Principal("token", 2, "ops", Role.OPERATOR)
VIEWER = Principal("token", 3, "look", Role.VIEWER)
ACC_ADMIN = Principal("token", 4, "acc-admin", Role.ADMIN, frozenset({"acc"}))
IDP = ids.item_id("prod", "idp")
STS = ids.item_id("prod", "sts")
IAM = ids.group_id("prod", "iam")


@dataclass
class World:
    catalog: CatalogAdmin
    store: MemoryDashboardStore
    operations: MemoryOperationsStore
    audit: MemoryAuditLog
    refreshed: list[int]

    def prod(self) -> Environment:
        return next(env for env in self.store.environments() if env.key == "prod")

    def entries(self) -> list[AuditEntry]:
        return list(self.audit.entries(AuditQuery(), cursor=None, limit=100).entries)


@pytest.fixture
def world() -> World:
    database = MemoryDatabase()
    store = MemoryDashboardStore(database=database)
    store.apply_catalog(
        CatalogSpec(
            (
                EnvironmentSpec(
                    key="prod",
                    order=1,
                    groups=(
                        GroupSpec(
                            "iam",
                            "IAM",
                            1,
                            items=(
                                ItemSpec(
                                    "idp", "Identity provider", 1, status=StatusCode.OPERATIONAL
                                ),
                                ItemSpec(
                                    "sts",
                                    "Secure Token Service",
                                    2,
                                    status=StatusCode.DISRUPTED,
                                    description="Slow",
                                    translations={"nl": Translation(name="Tokendienst")},
                                ),
                            ),
                        ),
                        GroupSpec("ehbox", "eHealthBox", 2),
                    ),
                ),
            )
        ),
        NOW,
    )
    operations = MemoryOperationsStore(database, clock=lambda: NOW)
    refreshed: list[int] = []
    catalog = CatalogAdmin(
        store,
        operations,
        Reconciler(operations, lambda: NOW),
        lambda: NOW,
        after_write=lambda: refreshed.append(1),
    )
    return World(catalog, store, operations, MemoryAuditLog(database), refreshed)


def test_a_new_item_lands_in_its_group_after_the_last_one_with_its_stable_id(world: World) -> None:
    view = world.catalog.create_item(ADMIN, "prod", NewItem("kgss", "iam", "KGSS"))

    assert (view.item.id, view.item.order, view.group.key) == (
        ids.item_id("prod", "kgss"),
        3,
        "iam",
    )
    assert view.item.status_code is StatusCode.UNKNOWN
    assert world.refreshed == [1]
    (entry,) = world.entries()
    assert (entry.action, entry.target, entry.before) == (
        "catalog.item.create",
        f"item:{view.item.id}",
        None,
    )
    assert entry.after is not None
    assert entry.after["name"] == "KGSS"


def test_renaming_an_item_keeps_its_id_status_description_and_translations(world: World) -> None:
    view = world.catalog.update_item(ADMIN, "prod", STS, ItemChange(name="STS"))

    assert (view.item.id, view.item.name) == (STS, "STS")
    assert (view.manual.status_code, view.manual.description) == (StatusCode.DISRUPTED, "Slow")
    assert view.manual.translations == {"nl": Translation(name="Tokendienst")}
    (entry,) = world.entries()
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("Secure Token Service", "STS")


def test_setting_only_the_status_keeps_the_description(world: World) -> None:
    view = world.catalog.update_item(
        ADMIN, "prod", STS, ItemChange(status_code=StatusCode.OPERATIONAL)
    )

    assert (view.item.status_code, view.item.description) == (StatusCode.OPERATIONAL, "Slow")


def test_a_description_set_to_none_is_cleared(world: World) -> None:
    view = world.catalog.update_item(ADMIN, "prod", STS, ItemChange(description=None))

    assert (view.manual.status_code, view.manual.description) == (StatusCode.DISRUPTED, None)


def test_moving_an_item_to_another_group_keeps_its_id(world: World) -> None:
    view = world.catalog.update_item(ADMIN, "prod", IDP, ItemChange(group="ehbox", order=1))

    assert (view.item.id, view.group.key) == (IDP, "ehbox")
    groups = {g.key: [i.key for i in g.items] for g in world.prod().groups}
    assert groups == {"iam": ["sts"], "ehbox": ["idp"]}


def test_a_change_that_changes_nothing_writes_no_audit_entry(world: World) -> None:
    world.catalog.update_item(ADMIN, "prod", IDP, ItemChange(name="Identity provider"))
    world.catalog.update_group(ADMIN, "prod", IAM, order=1)

    assert world.entries() == []


def test_deleting_a_group_takes_its_items_with_it(world: World) -> None:
    world.catalog.delete_group(ADMIN, "prod", IAM)

    assert [g.key for g in world.prod().groups] == ["ehbox"]
    (entry,) = world.entries()
    assert (entry.action, entry.after) == ("catalog.group.delete", None)
    assert entry.before is not None
    assert entry.before["items"] == [IDP, STS]


def test_an_item_named_by_an_open_incident_cannot_be_deleted_nor_its_group(world: World) -> None:
    world.operations.open_incident(
        "prod", "IDP down", Impact.MAJOR, frozenset({IDP}),
        IncidentUpdate(0, IncidentState.INVESTIGATING, "Looking", NOW, "user:alice"),
        "user:alice", AuditEntry(NOW, "user:alice", "incident.open", "incident:new"),
    )  # fmt: skip

    with pytest.raises(ConflictError, match="incident"):
        world.catalog.delete_item(ADMIN, "prod", IDP)
    with pytest.raises(ConflictError, match="incident"):
        world.catalog.delete_group(ADMIN, "prod", IAM)
    world.catalog.delete_item(ADMIN, "prod", STS)
    assert [i.key for g in world.prod().groups for i in g.items] == ["idp"]


def test_a_second_group_with_a_key_taken_is_a_conflict(world: World) -> None:
    with pytest.raises(ConflictError, match="exists already"):
        world.catalog.create_group(ADMIN, "prod", "iam", "Again")


def test_a_pinned_group_id_used_elsewhere_is_a_conflict_that_does_not_say_where(
    world: World,
) -> None:
    with pytest.raises(ConflictError, match="is taken") as refused:
        world.catalog.create_group(ACC_ADMIN, "acc", "iam", "IAM", group_id=IAM)
    assert "prod" not in str(refused.value)


@pytest.mark.parametrize("key", ["staging", "acc"])
def test_only_an_unscoped_admin_creates_an_environment(world: World, key: str) -> None:
    """Not even one a scoped admin's environments name: its token was made before it existed."""
    acc_and_staging = Principal("token", 5, "acc-staging", Role.ADMIN, frozenset({"acc", key}))
    with pytest.raises(Forbidden, match="a new environment is beyond them"):
        world.catalog.create_environment(acc_and_staging, key, "New")


def test_a_new_environment_becomes_the_default_and_the_old_one_steps_down(world: World) -> None:
    world.catalog.create_environment(ADMIN, "staging", "Staging", strict=True, default=True)

    envs = {env.key: env for env in world.store.environments()}
    assert envs["staging"].is_default
    assert envs["staging"].strict
    assert not envs["prod"].is_default


@pytest.mark.parametrize("key", sorted(ids.RESERVED_PATH_SEGMENTS))
def test_an_environment_cannot_take_the_path_of_another_page(world: World, key: str) -> None:
    with pytest.raises(InvalidInput, match="another page") as refused:
        world.catalog.create_environment(ADMIN, key, "Taken")
    assert refused.value.field == "key"
    assert key not in {env.key for env in world.store.environments()}


def test_the_last_default_cannot_be_unset(world: World) -> None:
    with pytest.raises(ConflictError, match="default"):
        world.catalog.update_environment(ADMIN, "prod", default=False)


@pytest.mark.parametrize("who", [OPERATOR, VIEWER, ACC_ADMIN])
def test_only_an_admin_of_the_environment_may_change_its_catalog(
    world: World, who: Principal
) -> None:
    with pytest.raises(Forbidden):
        world.catalog.update_item(who, "prod", IDP, ItemChange(name="x"))
    with pytest.raises(Forbidden):
        world.catalog.delete_group(who, "prod", IAM)


def test_a_token_limited_to_some_environments_sees_only_those(world: World) -> None:
    assert [env.key for env in world.catalog.environments(ACC_ADMIN)] == ["acc"]
    with pytest.raises(Forbidden):
        world.catalog.update_environment(ACC_ADMIN, "acc", default=True)


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (NewItem("Bad Key", "iam", "x"), "key"),
        (NewItem("ok", "iam", " "), "name"),
        (NewItem("ok", "nowhere", "x"), "group"),
        (NewItem("ok", "iam", "x", description="d" * 2001), "description"),
        (NewItem("ok", "iam", "x", translations={"en": Translation(name="x")}), "translations.en"),
    ],
)
def test_bad_fields_are_named(world: World, new: NewItem, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.catalog.create_item(ADMIN, "prod", new)
    assert refused.value.field == field


def test_unknown_ids_are_not_found(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.catalog.update_group(ADMIN, "prod", "x" * 20, name="x")
    with pytest.raises(NotFoundError):
        world.catalog.delete_item(ADMIN, "prod", "0" * 32)
    with pytest.raises(NotFoundError):
        world.catalog.groups(ADMIN, "nowhere")


def test_a_write_whose_plan_went_stale_is_planned_again_and_applied(world: World) -> None:
    """Another writer commits between this write's read and its commit: it is planned again."""
    store = world.store
    original = store.apply_catalog
    interfered: list[bool] = []

    def interfering(spec: CatalogSpec, now: datetime, **kwargs: object) -> object:
        if not interfered:
            interfered.append(True)
            original(CatalogSpec((EnvironmentSpec(key="acc", order=2, name="Changed"),)), now)
        return original(spec, now, **kwargs)  # type: ignore[arg-type]

    store.apply_catalog = interfering  # type: ignore[method-assign,assignment]
    world.catalog.update_environment(ADMIN, "prod", name="Production (renamed)")
    names = {env.key: env.name for env in store.environments()}
    assert interfered
    assert (names["prod"], names["acc"]) == ("Production (renamed)", "Changed")
