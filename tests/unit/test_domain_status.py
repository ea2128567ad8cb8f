from __future__ import annotations

import pytest

from status_dashboard.domain.status import StatusCode, rollup

OP, DIS, UNK = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN


@pytest.mark.parametrize(
    ("items", "group"),
    [
        ((), UNK),
        ((OP,), OP),
        ((OP, OP, OP), OP),
        ((OP, UNK), UNK),
        ((UNK, UNK), UNK),
        ((OP, DIS), DIS),
        ((UNK, DIS), DIS),
        ((DIS, UNK, OP), DIS),
        ((DIS,), DIS),
    ],
)
def test_a_group_shows_the_worst_of_its_items_with_disrupted_above_unknown(
    items: tuple[StatusCode, ...], group: StatusCode
) -> None:
    assert rollup(items) is group


def test_status_codes_keep_the_cookbook_wire_values() -> None:
    assert [int(c) for c in (OP, DIS, UNK)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("given", "code"),
    [(1, OP), (2, DIS), (3, UNK), ("disrupted", DIS), (" Operational ", OP), ("3", UNK)],
)
def test_a_status_can_be_read_from_its_number_or_name(given: object, code: StatusCode) -> None:
    assert StatusCode.parse(given) is code


@pytest.mark.parametrize("given", [0, 4, 7, True, "down", "", None, 1.0, [1]])
def test_anything_else_is_not_a_status(given: object) -> None:
    with pytest.raises(ValueError, match="must be 1, 2 or 3"):
        StatusCode.parse(given)


@pytest.mark.parametrize("given", ["٣", "³", "²"])
def test_digits_of_other_scripts_are_not_status_codes(given: str) -> None:
    with pytest.raises(ValueError, match="must be 1, 2 or 3"):
        StatusCode.parse(given)
