"""The simulator's scenarios as data: every dashboard it shows keeps the v1 contract (the
cookbook's table and the OpenAPI schema alike), one seed always shows the same, and each
scenario has the shape it promises."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema_rs
import orjson
import pytest

from status_dashboard.api.openapi import openapi_document
from status_dashboard.api.simulator.faults import PLAYS
from status_dashboard.bootstrap import demo_catalog_path
from status_dashboard.service.simulator.platform import read_environments
from status_dashboard.service.simulator.scenarios import (
    DEFAULT_SCENARIO,
    SCENARIOS,
    Kind,
    scenario_named,
)
from status_dashboard.service.simulator.shapes import latest_offset_change
from status_dashboard.service.simulator.simulator import WITH_DASHBOARD, Simulator

from support.contract import contract_violations

ZONE = ZoneInfo("Europe/Brussels")
STARTED_AT = datetime(2026, 12, 1, 14, 30, 12, tzinfo=UTC)
ENVIRONMENTS = read_environments(demo_catalog_path(), STARTED_AT)
CONTRACT = [info.name for info in SCENARIOS if info.contract]
CLIENT = "myProduct/62.310.4 Technical/3.19.0"


def _simulator(seed: int = 1) -> Simulator:
    return Simulator(
        ENVIRONMENTS, seed=seed, zone=ZONE, max_age=15, started_at=STARTED_AT, started=1000.0
    )


def _document(simulator: Simulator, scenario: str, environment: str | None = None) -> Any:
    rendered = simulator.dashboard(scenario, environment, CLIENT, 1000.0 + 45)
    assert rendered is not None
    return orjson.loads(rendered.identity.body)


def _items(document: Any) -> list[dict[str, Any]]:
    return [item for group in document["groups"] for item in group["items"]]


_document_schema = openapi_document()
_DASHBOARD_SCHEMA = jsonschema_rs.Draft202012Validator(
    {"$ref": "#/components/schemas/Dashboard", "components": _document_schema["components"]}
)


@pytest.mark.parametrize("environment", [None, "prod", "acc", "int"])
@pytest.mark.parametrize("scenario", CONTRACT)
def test_every_contract_scenario_keeps_the_cookbook_table_and_the_openapi_schema(
    scenario: str, environment: str | None
) -> None:
    document = _document(_simulator(), scenario, environment)
    assert contract_violations(document) == []
    errors = [error.message for error in _DASHBOARD_SCHEMA.iter_errors(document)]
    assert errors == []


def test_the_schema_check_itself_refuses_a_document_outside_the_contract() -> None:
    document = _document(_simulator(), "mixed")
    document["groups"][0]["items"][0]["status_code"] = 4
    assert not _DASHBOARD_SCHEMA.is_valid(document)


def test_every_scenario_is_either_a_dashboard_or_a_fault_the_wire_plays() -> None:
    names = [info.name for info in SCENARIOS]
    assert len(names) == len(set(names))
    assert scenario_named(DEFAULT_SCENARIO) is not None
    for info in SCENARIOS:
        assert info.name in WITH_DASHBOARD or info.name in PLAYS, info.name
        assert info.summary
        assert info.expected_client_behaviour
        if info.kind is Kind.SCENARIO:
            assert info.contract, info.name
            assert info.name not in PLAYS, info.name


def test_the_scenario_list_document_has_exactly_its_five_fields() -> None:
    for info in SCENARIOS:
        document = info.document()
        assert list(document) == [
            "name",
            "kind",
            "contract",
            "summary",
            "expected_client_behaviour",
        ]
        assert document["kind"] in ("scenario", "fault")


@pytest.mark.parametrize("scenario", sorted(WITH_DASHBOARD))
def test_one_seed_gives_the_same_bytes_every_time(scenario: str) -> None:
    for environment in ("prod", "int"):
        first = _simulator(7).dashboard(scenario, environment, CLIENT, 1045.0)
        again = _simulator(7).dashboard(scenario, environment, CLIENT, 1045.0)
        assert first is not None
        assert again is not None
        assert first.identity.body == again.identity.body
        assert first.identity.etag == again.identity.etag


def test_another_seed_disrupts_other_items() -> None:
    def disrupted(seed: int) -> list[str]:
        return [
            item["id"]
            for environment in ("prod", "acc", "int")
            for item in _items(_document(_simulator(seed), "one-disrupted", environment))
            if item["status_code"] == 2
        ]

    assert disrupted(1) == disrupted(1)
    assert len({tuple(disrupted(seed)) for seed in range(5)}) > 1


def test_names_and_ids_are_the_demo_catalogs() -> None:
    document = _document(_simulator(), "mixed")
    first = document["groups"][0]
    assert first["id"] == "AXAQooF-9v9nOdhekPYm"
    assert first["name"] == "1. IAM - Identity & Access Management"
    assert first["items"][0]["id"] == "715d31b5a498a4587fedc57dada6a9df"


def _codes(document: Any) -> list[int]:
    return [item["status_code"] for item in _items(document)]


def test_all_operational_and_all_unknown_say_one_thing_of_every_item() -> None:
    simulator = _simulator()
    operational = _document(simulator, "all-operational")
    unknown = _document(simulator, "all-unknown")
    assert set(_codes(operational)) == {1}
    assert set(_codes(unknown)) == {3}
    assert {g["status_code"] for g in unknown["groups"]} == {3}
    assert not any("description" in item for item in _items(operational) + _items(unknown))


def test_one_disrupted_disrupts_exactly_one_item_with_a_description() -> None:
    document = _document(_simulator(), "one-disrupted")
    disrupted = [item for item in _items(document) if item["status_code"] == 2]
    assert len(disrupted) == 1
    assert disrupted[0]["description"]
    assert sorted(g["status_code"] for g in document["groups"]).count(2) == 1


def test_group_disrupted_disrupts_one_whole_group() -> None:
    groups = _document(_simulator(), "group-disrupted")["groups"]
    down = [g for g in groups if g["status_code"] == 2]
    assert len(down) == 1
    assert {item["status_code"] for item in down[0]["items"]} == {2}
    assert all(g["status_code"] == 1 for g in groups if g is not down[0])


def test_mixed_shows_every_status_code() -> None:
    document = _document(_simulator(), "mixed")
    assert set(_codes(document)) == {1, 2, 3}
    assert {g["status_code"] for g in document["groups"]} == {1, 2, 3}


def test_empty_is_an_empty_list_of_groups() -> None:
    assert _document(_simulator(), "empty") == {"groups": []}


def test_empty_group_has_a_group_without_items_whose_status_is_unknown() -> None:
    groups = _document(_simulator(), "empty-group")["groups"]
    empty = [g for g in groups if not g["items"]]
    assert len(empty) == 1
    assert empty[0]["status_code"] == 3
    assert len(groups) == 9


def test_large_has_fifty_groups_of_twenty_items_with_unique_ids() -> None:
    groups = _document(_simulator(), "large")["groups"]
    assert len(groups) == 50
    assert all(len(g["items"]) == 20 for g in groups)
    ids = [item["id"] for g in groups for item in g["items"]]
    assert len(set(ids)) == 1000
    assert len({g["id"] for g in groups}) == 50


def test_long_texts_have_two_kilobyte_descriptions_in_many_scripts() -> None:
    document = _document(_simulator(), "long-texts")
    items = _items(document)
    assert all(len(item["description"].encode("utf-8")) >= 2048 for item in items)
    text = "".join(item["name"] + item["description"] for item in items)
    text += "".join(g["name"] for g in document["groups"])
    scripts = {
        "accent": "é",
        "CJK": "服",
        "emoji": "🚑",
        "Arabic (right to left)": "ا",
        "Hebrew (right to left)": "ש",
        "outside the BMP": "𝔘",
        "line separator": "\u2028",
    }
    missing = [label for label, sample in scripts.items() if sample not in text]
    assert missing == []
    assert any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def test_no_description_has_disrupted_items_but_no_description_field() -> None:
    document = _document(_simulator(), "no-description")
    assert 2 in _codes(document)
    assert not any("description" in item for item in _items(document))


@pytest.mark.parametrize("environment", ["prod", "acc", "int"])
def test_timezone_shift_shows_both_offsets_of_brussels(environment: str) -> None:
    document = _document(_simulator(), "timezone-shift", environment)
    offsets = {item["last_updated"][-6:] for item in _items(document)}
    assert offsets == {"+01:00", "+02:00"}
    # One change of offset, not stamps scattered over the year: all within a few hours.
    instants = sorted(datetime.fromisoformat(item["last_updated"]) for item in _items(document))
    assert instants[-1] - instants[0] <= timedelta(hours=4)
    assert instants[-1] < STARTED_AT


def test_stamps_are_never_in_the_future() -> None:
    simulator = _simulator()
    asked_at = simulator.wall_clock(1045.0)
    for name in sorted(WITH_DASHBOARD):
        for item in _items(_document(simulator, name)):
            assert datetime.fromisoformat(item["last_updated"]) <= asked_at, name


def test_an_unknown_environment_has_no_dashboard() -> None:
    assert _simulator().dashboard("mixed", "xyz", CLIENT, 1000.0) is None


def test_a_fault_without_a_body_has_no_dashboard_to_ask_for() -> None:
    with pytest.raises(ValueError, match="error-500"):
        _simulator().dashboard("error-500", None, CLIENT, 1000.0)


@pytest.mark.parametrize(
    ("before", "change"),
    [
        (datetime(2026, 12, 1, 14, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)),
        (datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ],
)
def test_the_latest_offset_change_of_brussels_is_found(before: datetime, change: datetime) -> None:
    assert latest_offset_change(ZONE, before) == change


def test_a_zone_without_offset_changes_keeps_the_stamps_in_the_past() -> None:
    before = datetime(2026, 12, 1, 14, tzinfo=UTC)
    assert latest_offset_change(UTC, before) == before - timedelta(hours=2)
