"""The DashboardStore contract: every backend (memory, SQLite, PostgreSQL) passes the same tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from integration.store.backends import Backend, EngineFor
from integration.store.catalogs import (
    BASE,
    BOX,
    DISRUPTED,
    IAM,
    LATER,
    NOW,
    OPERATIONAL,
    UNKNOWN,
    catalog,
    group,
    item,
)
from status_dashboard.domain import ids
from status_dashboard.domain.catalog import CatalogMerge, CatalogSpec, EnvironmentSpec, ItemSpec
from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.model import Environment, Item, Translation
from status_dashboard.store.memory import MemoryDashboardStore
from status_dashboard.store.sql import SqlDashboardStore


def env_of(backend: Backend, key: str = "prod") -> Environment:
    return next(env for env in backend.store.environments() if env.key == key)


def item_of(backend: Backend, key: str, env: str = "prod") -> Item:
    return next(i for g in env_of(backend, env).groups for i in g.items if i.key == key)


def state(backend: Backend) -> tuple[int, tuple[Environment, ...]]:
    return backend.store.revision(), tuple(backend.store.environments())


def test_a_fresh_store_has_the_three_default_environments_at_revision_zero(
    backend: Backend,
) -> None:
    envs = [
        (e.key, e.name, e.order, e.is_default, e.strict, e.groups)
        for e in backend.store.environments()
    ]
    assert envs == [
        ("prod", "Production", 1, True, False, ()),
        ("acc", "Acceptance", 2, False, False, ()),
        ("int", "Integration", 3, False, False, ()),
    ]
    assert backend.store.revision() == 0


def test_a_catalog_creates_groups_and_items_with_ids_derived_from_their_keys(
    backend: Backend,
) -> None:
    merge = backend.store.apply_catalog(BASE, NOW)

    assert merge.changed
    assert backend.store.revision() == 1
    prod = env_of(backend)
    assert [(g.id, g.key, g.name) for g in prod.groups] == [
        (ids.group_id("prod", "iam"), "iam", "Group iam"),
        (ids.group_id("prod", "ehbox"), "ehbox", "Group ehbox"),
    ]
    assert [
        (i.id, i.key, i.order, i.status_code, i.description, i.last_updated)
        for i in prod.groups[0].items
    ] == [
        (ids.item_id("prod", "idp"), "idp", 1, OPERATIONAL, None, NOW),
        (ids.item_id("prod", "sts"), "sts", 2, DISRUPTED, "Slow token issuance", NOW),
    ]
    assert item_of(backend, "ehbox-consult").status_code is UNKNOWN


def test_pinned_ids_are_used_instead_of_derived_ones(backend: Backend) -> None:
    spec = catalog(
        group("iam", item("idp", id="715d31b5a498a4587fedc57dada6a9df"), id="AXAQooF-9v9nOdhekPYm")
    )

    backend.store.apply_catalog(spec, NOW)

    iam = env_of(backend).groups[0]
    assert (iam.id, iam.items[0].id) == ("AXAQooF-9v9nOdhekPYm", "715d31b5a498a4587fedc57dada6a9df")


def test_loading_the_same_catalog_twice_changes_nothing(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    before = state(backend)
    history = backend.store.status_history(ids.item_id("prod", "sts"))

    merge = backend.store.apply_catalog(BASE, LATER)

    assert not merge.changed
    assert merge.status_changes == ()
    assert state(backend) == before
    assert backend.store.status_history(ids.item_id("prod", "sts")) == history


RELOADS = [
    # (what the file changes, the changed item, whether last_updated moves)
    ("a new name", item("idp", 1, status=OPERATIONAL, name="Identity provider"), False),
    ("a new order", item("idp", 3, status=OPERATIONAL), False),
    (
        "a translation",
        item("idp", 1, status=OPERATIONAL, translations={"nl": Translation("IDP")}),
        False,
    ),
    ("a new status", item("idp", 1, status=DISRUPTED), True),
    ("a new description", item("idp", 1, status=OPERATIONAL, description="Planned work"), True),
]


@pytest.mark.parametrize(
    ("change", "changed_item", "moves"), RELOADS, ids=[change for change, _, _ in RELOADS]
)
def test_last_updated_moves_only_when_status_or_description_does(
    backend: Backend, change: str, changed_item: ItemSpec, moves: bool
) -> None:
    backend.store.apply_catalog(BASE, NOW)

    backend.store.apply_catalog(catalog(group("iam", changed_item, IAM.items[1]), BOX), LATER)

    idp = item_of(backend, "idp")
    assert idp.id == ids.item_id("prod", "idp")
    assert idp.last_updated == (LATER if moves else NOW)
    assert backend.store.revision() == 2


def test_renaming_a_group_and_an_item_keeps_their_ids(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)

    renamed = catalog(
        group("iam", item("idp", status=OPERATIONAL, name="eHealth IDP"), name="1. IAM"), BOX
    )
    backend.store.apply_catalog(renamed, LATER)

    iam = env_of(backend).groups[0]
    assert (iam.id, iam.name) == (ids.group_id("prod", "iam"), "1. IAM")
    assert (iam.items[0].id, iam.items[0].name) == (ids.item_id("prod", "idp"), "eHealth IDP")


def test_a_status_change_moves_last_updated_and_is_recorded_in_the_history(
    backend: Backend,
) -> None:
    backend.store.apply_catalog(BASE, NOW)

    merge = backend.store.apply_catalog(
        catalog(group("iam", item("idp", status=DISRUPTED)), BOX), LATER
    )

    idp_id = ids.item_id("prod", "idp")
    assert [(c.item_id, c.from_code, c.to_code) for c in merge.status_changes] == [
        (idp_id, OPERATIONAL, DISRUPTED)
    ]
    assert item_of(backend, "idp").last_updated == LATER
    history = backend.store.status_history(idp_id)
    assert [(e.at, e.environment_key, e.from_code, e.to_code, e.reason) for e in history] == [
        (NOW, "prod", None, OPERATIONAL, "catalog: item created"),
        (LATER, "prod", OPERATIONAL, DISRUPTED, "catalog load"),
    ]


def test_prune_removes_the_groups_and_items_the_file_no_longer_lists(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)

    merge = backend.store.apply_catalog(catalog(group("iam", IAM.items[0])), LATER, prune=True)

    assert merge.removed_group_ids == (ids.group_id("prod", "ehbox"),)
    assert set(merge.removed_item_ids) == {
        ids.item_id("prod", "sts"),
        ids.item_id("prod", "ehbox-consult"),
    }
    assert [(g.key, [i.key for i in g.items]) for g in env_of(backend).groups] == [("iam", ["idp"])]
    assert backend.store.status_history(ids.item_id("prod", "sts")) == ()


def test_without_prune_the_groups_and_items_the_file_no_longer_lists_are_kept(
    backend: Backend,
) -> None:
    backend.store.apply_catalog(BASE, NOW)
    before = state(backend)

    merge = backend.store.apply_catalog(catalog(group("iam", *IAM.items)), LATER)

    assert merge.unlisted == ("item prod/ehbox-consult", "group prod/ehbox")
    assert not merge.changed
    assert state(backend) == before


CONFLICTS = [
    # (a catalog that pins an id another entry already uses, the id)
    (
        "item id of another item",
        catalog(group("iam", *IAM.items, item("new", 3, id=ids.item_id("prod", "idp"))), BOX),
        ids.item_id("prod", "idp"),
    ),
    (
        "item id of an item in another environment",
        catalog(group("iam", item("idp", id=ids.item_id("prod", "sts"))), env="acc"),
        ids.item_id("prod", "sts"),
    ),
    (
        "group id of another group",
        catalog(IAM, BOX, group("mycarenet", id=ids.group_id("prod", "iam"), order=3)),
        ids.group_id("prod", "iam"),
    ),
]


@pytest.mark.parametrize(
    ("case", "spec", "taken_id"), CONFLICTS, ids=[case for case, _, _ in CONFLICTS]
)
def test_a_pinned_id_already_in_use_is_refused_and_changes_nothing(
    backend: Backend, case: str, spec: CatalogSpec, taken_id: str
) -> None:
    backend.store.apply_catalog(BASE, NOW)
    before = state(backend)

    with pytest.raises(CatalogConflict, match=taken_id):
        backend.store.apply_catalog(spec, LATER)

    assert state(backend) == before


def test_translations_round_trip_and_are_replaced_by_the_next_load(backend: Backend) -> None:
    first = {
        "nl": Translation("Identiteitsprovider", "Aanmelden"),
        "fr": Translation("Fournisseur"),
    }
    backend.store.apply_catalog(catalog(group("iam", item("idp", translations=first))), NOW)
    assert dict(item_of(backend, "idp").translations) == first

    second = {"nl": Translation("IDP"), "de": Translation(None, "Anmeldung")}
    backend.store.apply_catalog(catalog(group("iam", item("idp", translations=second))), LATER)
    assert dict(item_of(backend, "idp").translations) == second


def test_an_item_moved_to_another_group_keeps_its_id_and_history(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)

    moved = catalog(group("iam", IAM.items[0]), group("ehbox", BOX.items[0], IAM.items[1], order=2))
    backend.store.apply_catalog(moved, LATER, prune=True)

    ehbox = env_of(backend).groups[1]
    assert [i.id for i in ehbox.items] == [
        ids.item_id("prod", "ehbox-consult"),
        ids.item_id("prod", "sts"),
    ]
    assert len(backend.store.status_history(ids.item_id("prod", "sts"))) == 1


def test_a_key_renamed_with_its_id_pinned_continues_the_same_group_and_item(
    backend: Backend,
) -> None:
    backend.store.apply_catalog(BASE, NOW)
    group_id, item_id = ids.group_id("prod", "iam"), ids.item_id("prod", "idp")

    renamed = catalog(
        group("identity", item("eid", status=DISRUPTED, id=item_id), id=group_id), BOX
    )
    backend.store.apply_catalog(renamed, LATER, prune=True)

    identity = env_of(backend).groups[0]
    assert (identity.id, identity.key, [(i.id, i.key) for i in identity.items]) == (
        group_id,
        "identity",
        [(item_id, "eid")],
    )
    assert [e.reason for e in backend.store.status_history(item_id)] == [
        "catalog: item created",
        "catalog: item created",
    ]


def test_an_item_given_a_new_pinned_id_takes_its_history_along(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    old_id, new_id = ids.item_id("prod", "idp"), "0123456789abcdef0123456789abcdef"

    backend.store.apply_catalog(
        catalog(group("iam", item("idp", status=OPERATIONAL, id=new_id), IAM.items[1]), BOX), LATER
    )

    assert item_of(backend, "idp").id == new_id
    assert backend.store.status_history(old_id) == ()
    assert [e.item_id for e in backend.store.status_history(new_id)] == [new_id]


def test_environment_settings_and_new_environments_come_from_the_catalog(backend: Backend) -> None:
    spec = CatalogSpec(
        (
            EnvironmentSpec(key="acc", order=2, strict=True, is_default=True),
            EnvironmentSpec(key="sim", order=4, name="Simulation", groups=(IAM,)),
        )
    )

    backend.store.apply_catalog(spec, NOW)

    envs = [
        (e.key, e.name, e.order, e.strict, e.is_default, len(e.groups))
        for e in backend.store.environments()
    ]
    assert envs == [
        ("prod", "Production", 1, False, False, 0),
        ("acc", "Acceptance", 2, True, True, 0),
        ("int", "Integration", 3, False, False, 0),
        ("sim", "Simulation", 4, False, False, 1),
    ]
    assert item_of(backend, "idp", env="sim").id == ids.item_id("sim", "idp")


def test_groups_and_items_come_back_in_display_order(backend: Backend) -> None:
    spec = catalog(
        group("second", item("c", 3), item("a", 1), item("b", 2), order=2),
        group("first", item("z", 1), order=1),
    )

    backend.store.apply_catalog(spec, NOW)

    assert [(g.key, [i.key for i in g.items]) for g in env_of(backend).groups] == [
        ("first", ["z"]),
        ("second", ["a", "b", "c"]),
    ]


def test_moments_come_back_in_utc_whatever_zone_they_were_given_in(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW.astimezone(ZoneInfo("Europe/Brussels")))

    last_updated = item_of(backend, "idp").last_updated
    assert (last_updated, last_updated.tzinfo) == (NOW, UTC)


def test_each_load_that_changes_something_adds_one_to_the_revision(backend: Backend) -> None:
    revisions = []
    for spec in (BASE, BASE, catalog(IAM), catalog(group("iam", item("idp", status=UNKNOWN)))):
        backend.store.apply_catalog(spec, NOW)
        revisions.append(backend.store.revision())

    assert revisions == [1, 1, 1, 2]


def test_concurrent_loads_of_one_catalog_apply_it_once(backend: Backend) -> None:
    results: list[CatalogMerge | BaseException] = []
    barrier = threading.Barrier(4)

    def load() -> None:
        barrier.wait()
        try:
            results.append(backend.store.apply_catalog(BASE, NOW))
        except BaseException as exc:  # reported below, not lost in the thread
            results.append(exc)

    run_all([load] * 4)

    assert [type(r) for r in results] == [CatalogMerge] * 4
    assert sum(1 for r in results if isinstance(r, CatalogMerge) and r.changed) == 1
    assert backend.store.revision() == 1


def test_ping_succeeds_on_a_reachable_store(backend: Backend) -> None:
    backend.store.ping()


def run_all(work: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=w) for w in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_memory_and_sql_stores_hold_the_same_tree_after_the_same_loads(
    database_url: str, engine_for: EngineFor
) -> None:
    sql = SqlDashboardStore(engine_for(database_url))
    memory = MemoryDashboardStore()
    loads = [
        (BASE, False),
        (catalog(group("iam", item("idp", status=DISRUPTED, name="IDP")), BOX), False),
        (catalog(group("iam", item("idp", translations={"fr": Translation("Fournisseur")}))), True),
        (catalog(group("mycarenet", item("genins", status=OPERATIONAL)), env="acc"), False),
    ]
    for moment, (spec, prune) in enumerate(loads):
        now = NOW + timedelta(minutes=moment)
        assert sql.apply_catalog(spec, now, prune=prune) == memory.apply_catalog(
            spec, now, prune=prune
        )

    assert (sql.revision(), sql.environments()) == (memory.revision(), memory.environments())
