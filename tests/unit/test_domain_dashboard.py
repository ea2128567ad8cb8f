from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from status_dashboard.domain.dashboard import dashboard_document
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.timestamps import as_utc, wire_timestamp

BRUSSELS = ZoneInfo("Europe/Brussels")
SUMMER = datetime(2025, 5, 9, 6, 55, 0, 123456, tzinfo=UTC)
WINTER = datetime(2025, 3, 5, 8, 25, 0, tzinfo=UTC)


def _item(key: str, order: int, code: StatusCode, description: str | None = None) -> Item:
    return Item(
        id=key.ljust(32, "0"),
        key=key,
        name=f"Item {key}",
        order=order,
        status_code=code,
        last_updated=SUMMER,
        description=description,
    )


def test_timestamps_carry_the_brussels_offset_of_their_season_at_second_precision() -> None:
    assert wire_timestamp(SUMMER, BRUSSELS) == "2025-05-09T08:55:00+02:00"
    assert wire_timestamp(WINTER, BRUSSELS) == "2025-03-05T09:25:00+01:00"


def test_a_naive_timestamp_is_refused_on_the_wire_and_read_as_utc_from_storage() -> None:
    naive = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="aware"):
        wire_timestamp(naive, BRUSSELS)
    assert as_utc(naive) == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_the_document_has_exactly_the_cookbook_fields_in_the_cookbook_order() -> None:
    env = Environment(
        key="prod",
        name="Production",
        order=1,
        groups=(
            Group(
                id="AXAQooF-9v9nOdhekPYm",
                key="iam",
                name="1. IAM - Identity & Access Management",
                order=1,
                items=(
                    _item("b", 2, StatusCode.OPERATIONAL),
                    _item("a", 1, StatusCode.OPERATIONAL, "User can not select profile"),
                ),
            ),
        ),
    )
    document = dashboard_document(env, BRUSSELS)
    assert list(document) == ["groups"]
    (group,) = document["groups"]
    assert list(group) == ["id", "name", "items", "status_code"]
    first, second = group["items"]
    assert list(first) == ["id", "order", "status_code", "last_updated", "name", "description"]
    assert list(second) == ["id", "order", "status_code", "last_updated", "name"]
    assert [first["order"], second["order"]] == [1, 2]
    assert first["last_updated"] == "2025-05-09T08:55:00+02:00"
    assert group["status_code"] == 1


def test_groups_come_in_their_order_and_roll_up_their_items() -> None:
    env = Environment(
        key="prod",
        name="Production",
        order=1,
        groups=(
            Group(id="g2".ljust(20, "x"), key="g2", name="2. Two", order=2),
            Group(
                id="g1".ljust(20, "x"),
                key="g1",
                name="1. One",
                order=1,
                items=(_item("x", 1, StatusCode.UNKNOWN), _item("y", 2, StatusCode.DISRUPTED)),
            ),
        ),
    )
    groups = dashboard_document(env, BRUSSELS)["groups"]
    assert [g["name"] for g in groups] == ["1. One", "2. Two"]
    assert [g["status_code"] for g in groups] == [2, 3]


def test_an_empty_description_is_left_out() -> None:
    env = Environment(
        key="prod",
        name="P",
        order=1,
        groups=(
            Group(
                id="g".ljust(20, "x"),
                key="g",
                name="G",
                order=1,
                items=(_item("a", 1, StatusCode.OPERATIONAL, ""),),
            ),
        ),
    )
    (item,) = dashboard_document(env, BRUSSELS)["groups"][0]["items"]
    assert "description" not in item
