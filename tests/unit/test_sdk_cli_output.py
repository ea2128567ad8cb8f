"""What `status-dashboard client` prints: the Nagios/Icinga verdict of `check`, and the line
`watch` prints per change."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest

from status_dashboard.cli.client import CRITICAL, OK, UNKNOWN, WARNING, change_line, plugin_verdict
from status_dashboard.sdk import Change, ChangeKind, Item, StatusCode

T0 = datetime(2025, 5, 9, 6, 55, tzinfo=UTC)
OP, D, U = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN


def items(*codes: StatusCode) -> list[Item]:
    return [
        Item(f"{n:032x}", n + 1, code, T0, f"Service {n}", "down" if code is D else None, "g")
        for n, code in enumerate(codes)
    ]


@pytest.mark.parametrize(
    ("codes", "warn_unknown", "code", "status_line"),
    [
        ([OP] * 40, False, OK, "STATUS-DASHBOARD OK - 40 of 40 operational | operational=40 disrupted=0 unknown=0"),
        ([OP, OP, U], False, OK, "STATUS-DASHBOARD OK - 2 of 3 operational, 1 unknown | operational=2 disrupted=0 unknown=1"),
        ([OP, OP, U], True, WARNING, "STATUS-DASHBOARD WARNING - 1 of 3 unknown: Service 2 | operational=2 disrupted=0 unknown=1"),
        ([OP, D, U], True, CRITICAL, "STATUS-DASHBOARD CRITICAL - 1 of 3 disrupted: Service 1 | operational=1 disrupted=1 unknown=1"),
        ([D, D, D, D, D, OP], False, CRITICAL, "STATUS-DASHBOARD CRITICAL - 5 of 6 disrupted: Service 0, Service 1, Service 2 and 2 more | operational=1 disrupted=5 unknown=0"),
        ([], False, UNKNOWN, "STATUS-DASHBOARD UNKNOWN - no items to check"),
    ],
)  # fmt: skip
def test_the_verdict_is_the_worst_state_checked(
    codes: list[StatusCode], warn_unknown: bool, code: int, status_line: str
) -> None:
    verdict, lines = plugin_verdict(items(*codes), warn_unknown=warn_unknown)
    assert (verdict, lines[0]) == (code, status_line)


def test_every_item_that_is_not_operational_gets_a_line_of_its_own() -> None:
    _, lines = plugin_verdict(items(OP, D, U), warn_unknown=False)
    assert lines[1:] == ["Disrupted: Service 1: down", "Unknown: Service 2"]


@pytest.mark.parametrize(
    ("code", "verdict", "status_line"),
    [
        (OP, OK, "STATUS-DASHBOARD OK - Service 0 is operational | operational=1 disrupted=0 unknown=0"),
        (D, CRITICAL, "STATUS-DASHBOARD CRITICAL - Service 0 is disrupted: down | operational=0 disrupted=1 unknown=0"),
    ],
)  # fmt: skip
def test_one_item_asked_for_is_named(code: StatusCode, verdict: int, status_line: str) -> None:
    assert plugin_verdict(items(code), warn_unknown=False, named=True)[0] == verdict
    assert plugin_verdict(items(code), warn_unknown=False, named=True)[1][0] == status_line


def test_a_pipe_or_newline_in_a_description_cannot_break_the_perfdata() -> None:
    item = Item("a" * 32, 1, D, T0, "Recip-e | Prescriber", "down\nsince | 9:00", "g")
    _, lines = plugin_verdict([item], warn_unknown=False, named=True)
    assert lines[0] == (
        "STATUS-DASHBOARD CRITICAL - Recip-e / Prescriber is disrupted: down since / 9:00"
        " | operational=0 disrupted=1 unknown=0"
    )
    assert lines[0].count("|") == 1


def _change(kind: ChangeKind, before: Item | None, after: Item | None) -> Change:
    return Change(kind, before, after, T0, "acc")


@pytest.mark.parametrize(
    ("kind", "before", "after", "ending"),
    [
        (ChangeKind.STATUS, OP, D, "acc DISRUPTED   Service 0 (was Operational): down"),
        (ChangeKind.STATUS, D, OP, "acc OPERATIONAL Service 0 (was Disrupted)"),
        (ChangeKind.ADDED, None, U, "acc ADDED       Service 0 (Unknown)"),
        (ChangeKind.REMOVED, D, None, "acc REMOVED     Service 0 (was Disrupted)"),
        (ChangeKind.DESCRIPTION, D, D, "acc UPDATED     Service 0: down"),
    ],
)
def test_a_change_is_one_line_with_its_time(
    kind: ChangeKind, before: StatusCode | None, after: StatusCode | None, ending: str
) -> None:
    line = click.unstyle(
        change_line(
            _change(
                kind,
                items(before)[0] if before else None,
                items(after)[0] if after else None,
            )
        )
    )
    when, _, rest = line.partition(" ")
    assert datetime.fromisoformat(when) == T0
    assert rest == ending
