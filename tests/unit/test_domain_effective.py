"""docs/design.md §4 as a table: every combination of override, incident, maintenance, checks and
staleness, and what the item shows."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from status_dashboard.domain.effective import (
    CheckVerdict,
    Source,
    StatusInputs,
    effective_status,
)
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.status import StatusCode

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OP, DIS, UNK = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN

OVERRIDES = {
    "none": None,
    "operational": Override("i", OP, "All good says ops", "user:ann", NOW),
    "unknown": Override("i", UNK, None, "user:ann", NOW),
    "expired": Override(
        "i", DIS, "old", "user:ann", NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    ),
}
INCIDENTS = {
    "none": (),
    "open": (
        Incident(
            7,
            "prod",
            "Tokens refused",
            Impact.MAJOR,
            IncidentState.IDENTIFIED,
            frozenset("i"),
            NOW,
            "user:bo",
        ),
    ),
    "no-impact": (
        Incident(
            8,
            "prod",
            "FYI",
            Impact.NONE,
            IncidentState.INVESTIGATING,
            frozenset("i"),
            NOW,
            "user:bo",
        ),
    ),
    "resolved": (
        Incident(
            9,
            "prod",
            "Over",
            Impact.MAJOR,
            IncidentState.RESOLVED,
            frozenset("i"),
            NOW,
            "user:bo",
            NOW,
        ),
    ),
}
MAINTENANCE = {
    "none": (),
    "running": (
        MaintenanceWindow(3, "prod", "SAN firmware", NOW - timedelta(minutes=5), NOW + timedelta(hours=1), frozenset("i"), Impact.MAJOR, "user:cy"),
    ),
    "no-impact": (
        MaintenanceWindow(4, "prod", "Quiet", NOW - timedelta(minutes=5), NOW + timedelta(hours=1), frozenset("i"), Impact.NONE, "user:cy"),
    ),
    "future": (
        MaintenanceWindow(5, "prod", "Later", NOW + timedelta(hours=1), NOW + timedelta(hours=2), frozenset("i"), Impact.MAJOR, "user:cy"),
    ),
}  # fmt: skip
CHECKS = {
    "no-checks": None,
    "passing": CheckVerdict(disrupted=False, fresh=True),
    "failing": CheckVerdict(disrupted=True, fresh=True, reason="HTTP 503"),
    "stale": CheckVerdict(disrupted=False, fresh=False),
    "stale-failing": CheckVerdict(disrupted=True, fresh=False, reason="HTTP 503"),
}
MONITOR = {"monitor-up": True, "monitor-down": False}


def _expected(
    override: str, incident: str, maintenance: str, checks: str, monitor: str
) -> tuple[StatusCode, Source]:
    """The precedence table, written again independently of the implementation."""
    if override in ("operational", "unknown"):
        return (OP if override == "operational" else UNK), Source.OVERRIDE
    if incident == "open":
        return DIS, Source.INCIDENT
    if maintenance == "running":
        return DIS, Source.MAINTENANCE
    if checks == "no-checks":
        return OP, Source.MANUAL  # the manual status in these cases
    if monitor == "monitor-down":
        return UNK, Source.MONITOR_DOWN
    if checks.startswith("stale"):
        return UNK, Source.STALE
    if checks == "failing":
        return DIS, Source.CHECKS
    return OP, Source.CHECKS


COMBINATIONS = list(itertools.product(OVERRIDES, INCIDENTS, MAINTENANCE, CHECKS, MONITOR))


@pytest.mark.parametrize(("override", "incident", "maintenance", "checks", "monitor"), COMBINATIONS)
def test_every_combination_follows_the_precedence_table(
    override: str, incident: str, maintenance: str, checks: str, monitor: str
) -> None:
    inputs = StatusInputs(
        manual_status=OP,
        manual_description=None,
        override=OVERRIDES[override],
        incidents=INCIDENTS[incident],
        maintenance=MAINTENANCE[maintenance],
        checks=CHECKS[checks],
        monitor_running=MONITOR[monitor],
    )
    decided = effective_status(inputs, NOW)
    assert (decided.status_code, decided.source) == _expected(
        override, incident, maintenance, checks, monitor
    )


def test_the_table_covers_every_combination() -> None:
    assert len(COMBINATIONS) == 4 * 4 * 4 * 5 * 2


def test_an_override_shows_its_own_description_and_who_set_it() -> None:
    decided = effective_status(StatusInputs(OP, None, override=OVERRIDES["operational"]), NOW)
    assert decided.description == "All good says ops"
    assert "user:ann" in decided.reason


def test_an_incident_names_the_item_with_its_title() -> None:
    decided = effective_status(StatusInputs(OP, None, incidents=INCIDENTS["open"]), NOW)
    assert (decided.description, decided.reason) == ("Tokens refused", "incident #7")


def test_maintenance_says_it_is_planned() -> None:
    decided = effective_status(StatusInputs(OP, None, maintenance=MAINTENANCE["running"]), NOW)
    assert decided.description == "Planned maintenance: SAN firmware"


def test_a_window_ends_at_its_end() -> None:
    window = MAINTENANCE["running"][0]
    assert not window.active(window.ends_at)
    assert window.active(window.starts_at)


def test_an_item_without_checks_keeps_its_last_manual_status_and_description() -> None:
    decided = effective_status(StatusInputs(DIS, "Broken since noon"), NOW)
    assert (decided.status_code, decided.description, decided.source) == (
        DIS,
        "Broken since noon",
        Source.MANUAL,
    )


def test_an_override_expires_exactly_at_its_expiry() -> None:
    override = Override("i", DIS, "x", "user:ann", NOW - timedelta(hours=1), NOW)
    assert effective_status(StatusInputs(OP, None, override=override), NOW).source is Source.MANUAL
    just_before = NOW - timedelta(microseconds=1)
    assert (
        effective_status(StatusInputs(OP, None, override=override), just_before).source
        is Source.OVERRIDE
    )


def test_of_several_open_incidents_the_earliest_names_the_item() -> None:
    later = Incident(
        2, "prod", "Later", Impact.MINOR, IncidentState.INVESTIGATING, frozenset("i"), NOW, "u"
    )
    earlier = Incident(
        3,
        "prod",
        "Earlier",
        Impact.MINOR,
        IncidentState.INVESTIGATING,
        frozenset("i"),
        NOW - timedelta(minutes=1),
        "u",
    )
    assert (
        effective_status(StatusInputs(OP, None, incidents=(later, earlier)), NOW).description
        == "Earlier"
    )
