from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.catalog import (
    CatalogSpec,
    EnvironmentSpec,
    GroupSpec,
    ItemSpec,
    merge_catalog,
)
from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS, Environment, Item
from status_dashboard.domain.status import StatusCode

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


def _spec(*items: ItemSpec, group_name: str = "1. IAM", env: str = "prod") -> CatalogSpec:
    return CatalogSpec(
        environments=(
            EnvironmentSpec(
                key=env,
                order=1,
                groups=(GroupSpec(key="iam", name=group_name, order=1, items=items),),
            ),
        )
    )


def _items(envs: tuple[Environment, ...], env: str = "prod") -> dict[str, Item]:
    (e,) = [x for x in envs if x.key == env]
    return {i.key: i for g in e.groups for i in g.items}


def test_a_new_item_gets_a_derived_id_and_unknown_status_without_data() -> None:
    merge = merge_catalog(DEFAULT_ENVIRONMENTS, _spec(ItemSpec(key="sts", name="STS", order=1)), T0)
    item = _items(merge.environments)["sts"]
    assert item.id == ids.item_id("prod", "sts")
    assert item.status_code is StatusCode.UNKNOWN
    assert merge.changed
    assert [c.to_code for c in merge.status_changes] == [StatusCode.UNKNOWN]


def test_merging_the_same_catalog_again_changes_nothing() -> None:
    spec = _spec(ItemSpec(key="sts", name="STS", order=1, status=StatusCode.OPERATIONAL))
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec, T0)
    second = merge_catalog(first.environments, spec, T1)
    assert not second.changed
    assert second.environments == first.environments
    assert second.status_changes == ()


def test_renaming_an_item_keeps_its_id_and_its_last_updated() -> None:
    first = merge_catalog(DEFAULT_ENVIRONMENTS, _spec(ItemSpec(key="sts", name="STS", order=1)), T0)
    second = merge_catalog(
        first.environments, _spec(ItemSpec(key="sts", name="Token", order=1)), T1
    )
    before, after = _items(first.environments)["sts"], _items(second.environments)["sts"]
    assert after.id == before.id
    assert after.name == "Token"
    assert after.last_updated == T0


def test_a_status_or_description_change_moves_last_updated_and_is_recorded() -> None:
    spec_ok = _spec(ItemSpec(key="sts", name="STS", order=1, status=StatusCode.OPERATIONAL))
    spec_down = _spec(
        ItemSpec(key="sts", name="STS", order=1, status=StatusCode.DISRUPTED, description="Down")
    )
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec_ok, T0)
    second = merge_catalog(first.environments, spec_down, T1)
    item = _items(second.environments)["sts"]
    assert item.last_updated == T1
    (change,) = second.status_changes
    assert (change.from_code, change.to_code, change.at) == (
        StatusCode.OPERATIONAL,
        StatusCode.DISRUPTED,
        T1,
    )


def test_an_item_without_status_in_the_file_keeps_its_stored_status_and_description() -> None:
    down = ItemSpec(key="sts", name="STS", order=1, status=StatusCode.DISRUPTED, description="x")
    first = merge_catalog(DEFAULT_ENVIRONMENTS, _spec(down), T0)
    second = merge_catalog(first.environments, _spec(ItemSpec(key="sts", name="STS", order=1)), T1)
    item = _items(second.environments)["sts"]
    assert (item.status_code, item.description) == (StatusCode.DISRUPTED, "x")
    assert not second.changed


def test_items_missing_from_the_file_are_kept_unless_pruned() -> None:
    both = _spec(ItemSpec(key="a", name="A", order=1), ItemSpec(key="b", name="B", order=2))
    first = merge_catalog(DEFAULT_ENVIRONMENTS, both, T0)
    only_a = _spec(ItemSpec(key="a", name="A", order=1))
    kept = merge_catalog(first.environments, only_a, T1)
    assert set(_items(kept.environments)) == {"a", "b"}
    assert kept.unlisted == ("item prod/b",)
    pruned = merge_catalog(first.environments, only_a, T1, prune=True)
    assert set(_items(pruned.environments)) == {"a"}
    assert pruned.removed_item_ids == (ids.item_id("prod", "b"),)


def test_moving_an_item_to_another_group_keeps_its_id() -> None:
    item = ItemSpec(key="sts", name="STS", order=1)
    first = merge_catalog(DEFAULT_ENVIRONMENTS, _spec(item), T0)
    moved = CatalogSpec(
        environments=(
            EnvironmentSpec(
                key="prod",
                order=1,
                groups=(
                    GroupSpec(key="iam", name="1. IAM", order=1),
                    GroupSpec(key="other", name="2. Other", order=2, items=(item,)),
                ),
            ),
        )
    )
    second = merge_catalog(first.environments, moved, T1)
    (prod,) = [e for e in second.environments if e.key == "prod"]
    other = next(g for g in prod.groups if g.key == "other")
    assert [i.id for i in other.items] == [ids.item_id("prod", "sts")]


def test_a_pinned_id_wins_over_the_derived_one() -> None:
    pinned = "715d31b5a498a4587fedc57dada6a9df"
    merge = merge_catalog(
        DEFAULT_ENVIRONMENTS, _spec(ItemSpec(key="idp", name="IDP", order=1, id=pinned)), T0
    )
    assert _items(merge.environments)["idp"].id == pinned


def test_declaring_a_new_default_environment_demotes_the_old_one() -> None:
    spec = CatalogSpec(environments=(EnvironmentSpec(key="acc", order=2, is_default=True),))
    merge = merge_catalog(DEFAULT_ENVIRONMENTS, spec, T0)
    assert [e.key for e in merge.environments if e.is_default] == ["acc"]


def test_environments_absent_from_the_file_are_left_alone() -> None:
    merge = merge_catalog(DEFAULT_ENVIRONMENTS, _spec(env="int"), T0, prune=True)
    assert {e.key for e in merge.environments} == {"prod", "acc", "int"}


def test_a_catalog_cannot_leave_the_platform_without_a_default_environment() -> None:
    spec = CatalogSpec(environments=(EnvironmentSpec(key="prod", order=1, is_default=False),))
    with pytest.raises(CatalogConflict, match="default"):
        merge_catalog(DEFAULT_ENVIRONMENTS, spec, T0)
