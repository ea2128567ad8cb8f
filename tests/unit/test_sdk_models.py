"""The SDK's models: reading a v1 document tolerantly, refusing a broken one with the path of
the fault, and the questions a partner asks of a dashboard."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from status_dashboard.sdk import Dashboard, Group, Item, ProtocolError, StatusCode

BRUSSELS_SUMMER = timezone(timedelta(hours=2))


def cookbook_document() -> dict[str, Any]:
    """The cookbook's example (§5.3.1.2), with a second group of two more items."""
    return {
        "groups": [
            {
                "id": "AXAQooF-9v9nOdhekPYm",
                "name": "1. IAM - Identity & Access Management",
                "items": [
                    {
                        "id": "715d31b5a498a4587fedc57dada6a9df",
                        "order": 1,
                        "status_code": 2,
                        "last_updated": "2025-05-09T08:55:00+02:00",
                        "name": "eHealth IDP - Identity provider - Authorization management",
                        "description": "User can not select profile anymore for each online services protected by IDP",
                    },
                    {
                        "id": "2c7ab1fb8df82828f961293921177004",
                        "order": 2,
                        "status_code": 1,
                        "last_updated": "2025-05-09T08:55:00+02:00",
                        "name": "WebService eHealth - IAM Connect - eXchange",
                    },
                ],
                "status_code": 2,
            },
            {
                "id": "UnZDPj2H8BYrTIDQDHeu",
                "name": "3. EHBOX - eHealthBox",
                "items": [
                    {
                        "id": "0" * 32,
                        "order": 1,
                        "status_code": 3,
                        "last_updated": "2025-05-09T07:10:00+02:00",
                        "name": "WebService eHealth - eHealthBox - Consultation v3",
                    },
                    {
                        "id": "1" * 32,
                        "order": 2,
                        "status_code": 1,
                        "last_updated": "2025-05-08T18:00:00Z",
                        "name": "eHealthBox - Web application",
                    },
                ],
                "status_code": 3,
            },
        ]
    }


def parsed(document: Any) -> Dashboard:
    return Dashboard.parse(json.dumps(document))


def test_the_cookbook_example_reads_into_typed_models() -> None:
    dashboard = parsed(cookbook_document())
    iam = dashboard.groups[0]
    idp, exchange = iam.items
    assert (iam.id, iam.name, iam.status_code) == (
        "AXAQooF-9v9nOdhekPYm",
        "1. IAM - Identity & Access Management",
        StatusCode.DISRUPTED,
    )
    assert idp == Item(
        id="715d31b5a498a4587fedc57dada6a9df",
        order=1,
        status_code=StatusCode.DISRUPTED,
        last_updated=datetime(2025, 5, 9, 8, 55, tzinfo=BRUSSELS_SUMMER),
        name="eHealth IDP - Identity provider - Authorization management",
        description="User can not select profile anymore for each online services protected by IDP",
        group_id="AXAQooF-9v9nOdhekPYm",
    )
    assert exchange.description is None
    assert exchange.last_updated.utcoffset() == timedelta(hours=2)


def test_a_utc_z_timestamp_reads_as_an_aware_utc_time() -> None:
    item = parsed(cookbook_document()).item("1" * 32)
    assert item.last_updated == datetime(2025, 5, 8, 18, 0, tzinfo=UTC)


def test_the_body_is_kept_as_received() -> None:
    body = json.dumps(cookbook_document()).encode()
    assert Dashboard.parse(body).raw == body


@pytest.mark.parametrize(
    ("code", "operational", "disrupted", "unknown", "label"),
    [
        (StatusCode.OPERATIONAL, True, False, False, "Operational"),
        (StatusCode.DISRUPTED, False, True, False, "Disrupted"),
        (StatusCode.UNKNOWN, False, False, True, "Unknown"),
    ],
)
def test_each_status_code_answers_what_it_is(
    code: StatusCode, operational: bool, disrupted: bool, unknown: bool, label: str
) -> None:
    assert (code.operational, code.disrupted, code.unknown, code.label) == (
        operational,
        disrupted,
        unknown,
        label,
    )


def test_status_codes_are_the_cookbooks_numbers() -> None:
    assert [int(code) for code in StatusCode] == [1, 2, 3]


def test_unknown_fields_are_kept_in_extra_at_every_level() -> None:
    document = cookbook_document()
    document["generated_at"] = "2025-05-09T09:00:00+02:00"
    document["groups"][0]["colour"] = "red"
    document["groups"][0]["items"][1]["uptime"] = 99.95
    dashboard = parsed(document)
    assert dict(dashboard.extra) == {"generated_at": "2025-05-09T09:00:00+02:00"}
    assert dict(dashboard.groups[0].extra) == {"colour": "red"}
    assert dict(dashboard.item("2c7ab1fb8df82828f961293921177004").extra) == {"uptime": 99.95}
    assert dict(dashboard.item("715d31b5a498a4587fedc57dada6a9df").extra) == {}


def test_an_unrecognised_status_code_reads_as_unknown_and_keeps_the_value() -> None:
    document = cookbook_document()
    document["groups"][0]["items"][1]["status_code"] = 4
    document["groups"][1]["status_code"] = 0
    dashboard = parsed(document)
    item = dashboard.item("2c7ab1fb8df82828f961293921177004")
    assert (item.status_code, item.extra["status_code"]) == (StatusCode.UNKNOWN, 4)
    assert (dashboard.groups[1].status_code, dashboard.groups[1].extra["status_code"]) == (
        StatusCode.UNKNOWN,
        0,
    )


@pytest.mark.parametrize("absent", [None, "", "missing"])
def test_a_null_empty_or_missing_description_reads_as_none(absent: str | None) -> None:
    document = cookbook_document()
    item = document["groups"][0]["items"][0]
    if absent == "missing":
        del item["description"]
    else:
        item["description"] = absent
    assert parsed(document).groups[0].items[0].description is None


def _broken(change: str) -> dict[str, Any]:
    """The cookbook document with one fault, written as `path=value` or `path-` (removed)."""
    document = cookbook_document()
    path, _, value = change.partition("=")
    removing = path.endswith("-")
    keys: list[Any] = [
        int(k) if k.isdigit() else k
        for k in path.rstrip("-").replace("[", ".").replace("]", "").split(".")
    ]
    target: Any = document
    for key in keys[:-1]:
        target = target[key]
    if removing:
        del target[keys[-1]]
    else:
        target[keys[-1]] = json.loads(value)
    return document


@pytest.mark.parametrize(
    ("fault", "path", "reason"),
    [
        ("groups-", "groups", "is missing"),
        ('groups={"a": 1}', "groups", "must be a list, not an object"),
        ("groups[1]=[]", "groups[1]", "must be an object, not a list"),
        ("groups[0].id-", "groups[0].id", "is missing"),
        ('groups[0].id=""', "groups[0].id", "must be a non-empty string, not an empty string"),
        ("groups[0].name=7", "groups[0].name", "must be a string, not a number (7)"),
        ("groups[1].items=null", "groups[1].items", "must be a list, not null"),
        ('groups[1].status_code="2"', "groups[1].status_code", "must be an integer (1, 2 or 3), not a string ('2')"),
        ("groups[1].items[0]=3", "groups[1].items[0]", "must be an object, not a number (3)"),
        ("groups[0].items[1].id-", "groups[0].items[1].id", "is missing"),
        ("groups[0].items[1].id=12", "groups[0].items[1].id", "must be a non-empty string, not a number (12)"),
        ('groups[0].items[0].order="1"', "groups[0].items[0].order", "must be an integer, not a string ('1')"),
        ("groups[0].items[0].order=1.5", "groups[0].items[0].order", "must be an integer, not a number (1.5)"),
        ("groups[1].items[0].status_code-", "groups[1].items[0].status_code", "is missing"),
        ("groups[1].items[0].status_code=true", "groups[1].items[0].status_code", "must be an integer (1, 2 or 3), not a boolean (true)"),
        ("groups[1].items[1].status_code=1.0", "groups[1].items[1].status_code", "must be an integer (1, 2 or 3), not a number (1.0)"),
        ("groups[0].items[1].last_updated-", "groups[0].items[1].last_updated", "is missing"),
        ('groups[0].items[1].last_updated="yesterday"', "groups[0].items[1].last_updated", "'yesterday' is not an ISO 8601 timestamp"),
        ('groups[0].items[1].last_updated="2025-05-09T08:55:00"', "groups[0].items[1].last_updated", "'2025-05-09T08:55:00' has no UTC offset (expected e.g. 2025-05-09T08:55:00+02:00)"),
        ("groups[0].items[1].last_updated=[]", "groups[0].items[1].last_updated", "must be an ISO 8601 timestamp string, not a list"),
        ("groups[1].items[1].name-", "groups[1].items[1].name", "is missing"),
        ("groups[1].items[1].name=null", "groups[1].items[1].name", "must be a string, not null"),
        ("groups[0].items[0].description=false", "groups[0].items[0].description", "must be a string, not a boolean (false)"),
        ('groups[1].items[1].id="715d31b5a498a4587fedc57dada6a9df"', "groups[1].items[1].id", "'715d31b5a498a4587fedc57dada6a9df' is not unique: the item 'eHealth IDP - Identity provider - Authorization management' of group 'AXAQooF-9v9nOdhekPYm' has it too"),
    ],
)  # fmt: skip
def test_a_broken_field_is_refused_with_its_path(fault: str, path: str, reason: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parsed(_broken(fault))
    assert (refused.value.path, refused.value.reason) == (path, reason)
    assert str(refused.value) == f"{path}: {reason}"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the body is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (b'{"groups": [', "the body is not JSON (Expecting value: line 1 column 13 (char 12))"),
        (b'{"groups": "\xff"}', "the body is not UTF-8 text (invalid start byte)"),
        (b"[]", "the document must be an object with a groups list, not a list"),
        (b'"groups"', "the document must be an object with a groups list, not a string ('groups')"),
    ],
)
def test_a_body_that_is_not_a_v1_document_is_refused_as_a_whole(body: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        Dashboard.parse(body)
    assert (refused.value.path, refused.value.reason) == (None, reason)


def test_an_empty_dashboard_is_a_dashboard() -> None:
    dashboard = Dashboard.parse(b'{"groups": []}')
    assert (dashboard.groups, dashboard.items(), dashboard.disrupted()) == ((), (), ())


def test_a_dashboard_answers_by_id_by_name_and_by_status() -> None:
    dashboard = parsed(cookbook_document())
    assert [i.order for i in dashboard.items()] == [1, 2, 1, 2]
    assert dashboard.item("2c7ab1fb8df82828f961293921177004").name.endswith("eXchange")
    assert dashboard.group("UnZDPj2H8BYrTIDQDHeu").name == "3. EHBOX - eHealthBox"
    assert [i.name for i in dashboard.find("EHEALTHBOX")] == [
        "WebService eHealth - eHealthBox - Consultation v3",
        "eHealthBox - Web application",
    ]
    assert dashboard.find("no such service") == ()
    assert [i.id for i in dashboard.disrupted()] == ["715d31b5a498a4587fedc57dada6a9df"]
    assert [i.id for i in dashboard.unknown()] == ["0" * 32]
    assert len(dashboard.operational()) == 2


def test_asking_for_an_id_that_is_not_there_is_a_key_error_naming_it() -> None:
    dashboard = parsed(cookbook_document())
    with pytest.raises(KeyError, match="no item 'nope' in the prod dashboard"):
        dashboard.item("nope")
    with pytest.raises(KeyError, match="no group 'nope' in the prod dashboard"):
        dashboard.group("nope")


def test_models_cannot_be_changed() -> None:
    dashboard = parsed(cookbook_document())
    item = dashboard.items()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.status_code = StatusCode.OPERATIONAL  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        dashboard.groups = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        item.extra["x"] = 1  # type: ignore[index]


def test_dashboards_are_equal_when_their_content_is_whatever_the_fetch() -> None:
    body = json.dumps(cookbook_document())
    first = Dashboard.parse(body)
    again = dataclasses.replace(Dashboard.parse(body), etag='"x"', max_age=15)
    assert first == again
    other = cookbook_document()
    other["groups"][0]["items"][1]["status_code"] = 2
    assert parsed(other) != first


def test_items_parsed_and_items_built_by_hand_are_alike() -> None:
    parsed_item = parsed(cookbook_document()).items()[1]
    built = copy.copy(parsed_item)
    assert built == parsed_item
    assert hash(built) == hash(parsed_item)
    assert {parsed_item, built} == {parsed_item}


def test_a_dashboard_built_by_hand_with_a_repeated_item_id_is_refused() -> None:
    item = parsed(cookbook_document()).items()[0]
    group = Group("g", "G", (item, item), StatusCode.DISRUPTED)
    with pytest.raises(ValueError, match="appears more than once"):
        Dashboard((group,))
