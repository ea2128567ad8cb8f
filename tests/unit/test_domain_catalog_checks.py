"""The checks part of a catalog merge: which items get other checks, what that is called in the
account of the load, and push tokens that stay unique across every item."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.catalog import (
    CatalogSpec,
    CheckSpec,
    ChecksWrite,
    EnvironmentSpec,
    GroupSpec,
    ItemSpec,
    merge_catalog,
)
from status_dashboard.domain.checks import CheckSchedule, HttpCheck, PushCheck, TcpCheck
from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
IDP, STS = ids.item_id("prod", "idp"), ids.item_id("prod", "sts")
WEB: CheckSpec = ("web", HttpCheck("http://127.0.0.1:8000/health"), CheckSchedule())
PORT: CheckSpec = ("port", TcpCheck("127.0.0.1", 8025), CheckSchedule())
BEAT: CheckSpec = ("beat", PushCheck("push-token-0123456789"), CheckSchedule())


def spec(*items: ItemSpec) -> CatalogSpec:
    group = GroupSpec(key="iam", name="IAM", order=1, items=items)
    return CatalogSpec((EnvironmentSpec(key="prod", order=1, groups=(group,)),))


def idp(checks: tuple[CheckSpec, ...] | None) -> ItemSpec:
    return ItemSpec(key="idp", name="IDP", order=1, checks=checks)


def sts(checks: tuple[CheckSpec, ...] | None = None) -> ItemSpec:
    return ItemSpec(key="sts", name="STS", order=2, checks=checks)


def test_declaring_checks_an_item_lacks_is_a_write_and_a_change() -> None:
    merge = merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp((WEB, PORT))), T0)

    assert merge.check_writes == (ChecksWrite(IDP, (WEB, PORT)),)
    assert "item prod/idp: checks changed (web, port added)" in merge.changes


def test_the_same_checks_in_another_order_are_no_change() -> None:
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp((WEB, PORT))), T0)

    again = merge_catalog(first.environments, spec(idp((PORT, WEB))), T0, checks={IDP: [WEB, PORT]})

    assert not again.changed
    assert again.check_writes == ()


def test_added_changed_and_removed_checks_are_named_in_one_change() -> None:
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp(None)), T0)
    moved = ("web", HttpCheck("http://127.0.0.1:8000/ready"), CheckSchedule())

    merge = merge_catalog(
        first.environments, spec(idp((moved, BEAT))), T0, checks={IDP: [WEB, PORT]}
    )

    assert merge.changes == (
        "item prod/idp: checks changed (beat added; web changed; port removed)",
    )


def test_an_item_that_says_nothing_of_its_checks_gets_no_write() -> None:
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp(None)), T0)

    merge = merge_catalog(first.environments, spec(idp(None)), T0, checks={IDP: [WEB]})

    assert merge.check_writes == ()
    assert not merge.changed


def test_two_declared_checks_with_one_push_token_are_a_conflict() -> None:
    with pytest.raises(CatalogConflict, match="item prod/sts, check beat: its push token"):
        merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp((BEAT,)), sts((BEAT,))), T0)


def test_a_push_token_kept_by_an_item_outside_the_file_is_a_conflict() -> None:
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp(None), sts()), T0)

    with pytest.raises(CatalogConflict, match="already the token of item prod/sts, check beat"):
        merge_catalog(first.environments, spec(idp((BEAT,))), T0, checks={STS: [BEAT]})


def test_the_push_token_of_a_pruned_item_is_free_to_take() -> None:
    first = merge_catalog(DEFAULT_ENVIRONMENTS, spec(idp(None), sts()), T0)

    merge = merge_catalog(
        first.environments, spec(idp((BEAT,))), T0, prune=True, checks={STS: [BEAT]}
    )

    assert merge.removed_item_ids == (STS,)
    assert merge.check_writes == (ChecksWrite(IDP, (BEAT,)),)
