"""Loading a catalog file into a store: idempotent, all or nothing, ids kept across renames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.model import Environment, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.catalog import CatalogInvalid, load_catalog
from status_dashboard.store.memory import MemoryDashboardStore

DEMO = Path(__file__).resolve().parents[2] / "catalogs" / "demo.yaml"
MONDAY = datetime(2025, 5, 9, 6, 55, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def store() -> MemoryDashboardStore:
    return MemoryDashboardStore()


@pytest.fixture
def loaded_store(store: MemoryDashboardStore) -> MemoryDashboardStore:
    load_catalog(store, DEMO, MONDAY)
    return store


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def environment(store: MemoryDashboardStore, key: str) -> Environment:
    return next(e for e in store.environments() if e.key == key)


def item(store: MemoryDashboardStore, env_key: str, item_key: str) -> Item:
    env = environment(store, env_key)
    return next(i for g in env.groups for i in g.items if i.key == item_key)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_loading_the_demo_fills_every_environment(store: MemoryDashboardStore) -> None:
    merge = load_catalog(store, DEMO, MONDAY)

    assert merge.changed
    assert store.revision() == 1
    assert [(e.key, len(e.groups)) for e in store.environments()] == [
        ("prod", 8),
        ("acc", 8),
        ("int", 8),
    ]


def test_the_demo_serves_the_cookbook_ids_in_prod(loaded_store: MemoryDashboardStore) -> None:
    iam = environment(loaded_store, "prod").groups[0]

    assert iam.id == "AXAQooF-9v9nOdhekPYm"
    assert [i.id for i in iam.items[:2]] == [
        "715d31b5a498a4587fedc57dada6a9df",
        "2c7ab1fb8df82828f961293921177004",
    ]


def test_unpinned_ids_derive_from_environment_and_key(loaded_store: MemoryDashboardStore) -> None:
    assert item(loaded_store, "acc", "sts").id == ids.item_id("acc", "sts")
    assert environment(loaded_store, "int").groups[0].id == ids.group_id("int", "iam")


def test_the_demo_settings_reach_the_store(loaded_store: MemoryDashboardStore) -> None:
    settings = {e.key: (e.is_default, e.strict) for e in loaded_store.environments()}

    assert settings == {"prod": (True, False), "acc": (False, False), "int": (False, True)}


def test_loading_the_demo_twice_changes_nothing_the_second_time(
    loaded_store: MemoryDashboardStore,
) -> None:
    before = loaded_store.environments()

    merge = load_catalog(loaded_store, DEMO, TUESDAY)

    assert not merge.changed
    assert merge.changes == ()
    assert loaded_store.revision() == 1
    assert loaded_store.environments() == before


def test_an_invalid_file_leaves_the_store_unchanged(
    loaded_store: MemoryDashboardStore, demo_copy: Path
) -> None:
    before = loaded_store.environments()
    edit(demo_copy, "status: operational", "status: fine")

    with pytest.raises(CatalogInvalid) as caught:
        load_catalog(loaded_store, demo_copy, TUESDAY)

    assert caught.value.problems[0].field.endswith(".status")
    assert loaded_store.revision() == 1
    assert loaded_store.environments() == before


def test_a_missing_file_leaves_the_store_unchanged(
    loaded_store: MemoryDashboardStore, tmp_path: Path
) -> None:
    with pytest.raises(CatalogInvalid, match="no such file"):
        load_catalog(loaded_store, tmp_path / "gone.yaml", TUESDAY)

    assert loaded_store.revision() == 1


def test_renaming_a_display_name_keeps_the_ids(
    loaded_store: MemoryDashboardStore, demo_copy: Path
) -> None:
    before = item(loaded_store, "prod", "sts")
    group_before = environment(loaded_store, "prod").groups[0]
    edit(demo_copy, '"WebService eHealth - STS - Secure Token Service"', '"STS - Holder-of-Key"')
    edit(demo_copy, '"1. IAM - Identity & Access Management"', '"1. IAM - Identity and Access"')

    merge = load_catalog(loaded_store, demo_copy, TUESDAY)

    after = item(loaded_store, "prod", "sts")
    group_after = environment(loaded_store, "prod").groups[0]
    assert merge.changed
    assert (after.id, after.name) == (before.id, "STS - Holder-of-Key")
    assert (group_after.id, group_after.name) == (group_before.id, "1. IAM - Identity and Access")


def test_a_rename_alone_does_not_move_last_updated(
    loaded_store: MemoryDashboardStore, demo_copy: Path
) -> None:
    edit(demo_copy, '"WebService eHealth - STS - Secure Token Service"', '"STS - Holder-of-Key"')

    load_catalog(loaded_store, demo_copy, TUESDAY)

    assert item(loaded_store, "prod", "sts").last_updated == MONDAY


def test_a_status_change_in_the_file_moves_last_updated(
    loaded_store: MemoryDashboardStore, demo_copy: Path
) -> None:
    edit(
        demo_copy,
        '            description: "User can not select profile anymore'
        ' for each online services protected by IDP"\n',
        "",
    )
    edit(demo_copy, "status: disrupted", "status: operational")

    load_catalog(loaded_store, demo_copy, TUESDAY)

    recovered = item(loaded_store, "prod", "idp-authorization")
    assert (recovered.status_code, recovered.description) == (StatusCode.OPERATIONAL, None)
    assert recovered.last_updated == TUESDAY


def test_an_item_left_out_of_the_file_stays_unless_pruned(
    loaded_store: MemoryDashboardStore, demo_copy: Path
) -> None:
    edit(demo_copy, '          portal-sso:\n            name: "eHealth Portal - SSO"\n', "")
    edit(demo_copy, "            status: operational\n\n  acc:", "\n  acc:")

    kept = load_catalog(loaded_store, demo_copy, TUESDAY)
    pruned = load_catalog(loaded_store, demo_copy, TUESDAY, prune=True)

    assert kept.unlisted == ("item prod/portal-sso",)
    assert pruned.removed_item_ids == (ids.item_id("prod", "portal-sso"),)
