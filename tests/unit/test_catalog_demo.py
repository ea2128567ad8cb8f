"""The demo catalog describes a realistic eHealth platform in PROD, ACC and INT."""

from __future__ import annotations

from pathlib import Path

import pytest

from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, ItemSpec
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.catalog import read_catalog

DEMO = Path(__file__).resolve().parents[2] / "catalogs" / "demo.yaml"


@pytest.fixture(scope="module")
def demo() -> CatalogSpec:
    return read_catalog(DEMO)


@pytest.fixture(scope="module")
def prod(demo: CatalogSpec) -> EnvironmentSpec:
    return demo.environments[0]


def items_of(environment: EnvironmentSpec) -> list[ItemSpec]:
    return [item for group in environment.groups for item in group.items]


def test_the_demo_declares_prod_acc_and_int_in_that_order(demo: CatalogSpec) -> None:
    assert [(e.key, e.order) for e in demo.environments] == [("prod", 1), ("acc", 2), ("int", 3)]


def test_prod_is_the_default_and_only_int_is_strict(demo: CatalogSpec) -> None:
    settings = {e.key: (e.is_default, e.strict) for e in demo.environments}

    assert settings == {"prod": (True, False), "acc": (None, False), "int": (None, True)}


@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_environment_has_eight_numbered_groups(demo: CatalogSpec, index: int) -> None:
    groups = demo.environments[index].groups

    assert [g.name.split(". ", 1)[0] for g in groups] == [str(n) for n in range(1, 9)]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_environment_has_about_forty_items(demo: CatalogSpec, index: int) -> None:
    assert 35 <= len(items_of(demo.environments[index])) <= 45


@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_environment_shows_a_described_disruption_and_an_unknown(
    demo: CatalogSpec, index: int
) -> None:
    items = items_of(demo.environments[index])

    assert any(i.status is StatusCode.DISRUPTED and i.description for i in items)
    assert any(i.status is StatusCode.UNKNOWN for i in items)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_every_disruption_says_what_is_wrong(demo: CatalogSpec, index: int) -> None:
    disrupted = [i for i in items_of(demo.environments[index]) if i.status is StatusCode.DISRUPTED]

    assert all(i.description for i in disrupted)


def test_every_item_declares_its_status(demo: CatalogSpec) -> None:
    assert all(item.status is not None for env in demo.environments for item in items_of(env))


def test_environments_differ_in_what_is_disrupted(demo: CatalogSpec) -> None:
    disrupted = [
        frozenset(i.key for i in items_of(env) if i.status is StatusCode.DISRUPTED)
        for env in demo.environments
    ]

    assert len(set(disrupted)) == 3


def test_prod_pins_the_cookbook_ids(prod: EnvironmentSpec) -> None:
    iam = prod.groups[0]
    first, second = iam.items[:2]

    assert (iam.id, iam.name) == ("AXAQooF-9v9nOdhekPYm", "1. IAM - Identity & Access Management")
    assert (first.id, first.order, first.name) == (
        "715d31b5a498a4587fedc57dada6a9df",
        1,
        "eHealth IDP - Identity provider - Authorization management",
    )
    assert (second.id, second.order, second.name) == (
        "2c7ab1fb8df82828f961293921177004",
        2,
        "WebService eHealth - IAM Connect - eXchange",
    )


def test_prod_shows_the_cookbook_description(prod: EnvironmentSpec) -> None:
    descriptions = {i.description for i in items_of(prod)}

    assert "User can not select profile anymore for each online services protected by IDP" in (
        descriptions
    )


def test_ids_are_pinned_only_where_the_cookbook_gives_them(demo: CatalogSpec) -> None:
    pinned = [
        item.key for env in demo.environments for item in items_of(env) if item.id is not None
    ]

    assert pinned == ["idp-authorization", "iam-connect-exchange"]


def test_prod_iam_items_are_translated_into_dutch_and_french(prod: EnvironmentSpec) -> None:
    iam = prod.groups[0]

    for item in iam.items:
        assert {"nl", "fr"} <= set(item.translations), item.key
        assert all(t.name for t in item.translations.values()), item.key


def test_only_prod_items_have_checks_and_they_never_leave_the_machine(demo: CatalogSpec) -> None:
    checked = {
        (env.key, item.key): item.checks
        for env in demo.environments
        for item in items_of(env)
        if item.checks
    }

    assert set(checked) == {("prod", "etee-jwks"), ("prod", "ehbox-webapp"), ("prod", "belrai")}
    for checks in checked.values():
        for _, definition, schedule in checks or ():
            target = getattr(definition, "url", None) or getattr(definition, "host", "")
            assert target.startswith(("127.0.0.1", "http://127.0.0.1:")), target
            assert (schedule.interval_s, schedule.timeout_s) == (10, 3)
