"""What `/health` says of the publisher's contact with the store and of the change listener."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS
from status_dashboard.service.health import HealthStatus, assess_health
from status_dashboard.service.publisher import StoreHealth
from status_dashboard.service.snapshot import DashboardSnapshot

NOW = 1000.0


def _ready_snapshot() -> DashboardSnapshot:
    snapshot = DashboardSnapshot()
    snapshot.replace(
        DEFAULT_ENVIRONMENTS,
        1,
        zone=ZoneInfo("Europe/Brussels"),
        max_age=15,
        built_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    return snapshot


@pytest.mark.parametrize(
    ("listener_connected", "shown"),
    [(None, None), (True, {"status": "UP"}), (False, {"status": "DOWN"})],
)
def test_the_listener_is_reported_but_moves_no_status(
    listener_connected: bool | None, shown: dict[str, str] | None
) -> None:
    report = assess_health(
        _ready_snapshot(),
        StoreHealth(last_success=NOW - 1),
        now=NOW,
        tolerance=5.0,
        listener_connected=listener_connected,
    )
    assert report.details.get("listener") == shown
    assert report.status is HealthStatus.UP


def test_the_process_that_answered_is_named_by_its_pid() -> None:
    report = assess_health(
        _ready_snapshot(), StoreHealth(last_success=NOW), now=NOW, tolerance=5.0, pid=4242
    )
    assert report.document()["details"]["process"] == {"pid": 4242}


@pytest.mark.parametrize(
    ("seconds_since_contact", "tolerance", "status"),
    [
        (1.0, 5.0, HealthStatus.UP),
        # A publisher that only polls every fallback interval (5 s) while a listener is
        # connected must not look cut off between two of its polls.
        (7.0, 15.0, HealthStatus.UP),
        (16.0, 15.0, HealthStatus.DEGRADED),
    ],
)
def test_the_store_counts_as_reachable_within_the_tolerance(
    seconds_since_contact: float, tolerance: float, status: HealthStatus
) -> None:
    report = assess_health(
        _ready_snapshot(),
        StoreHealth(last_success=NOW - seconds_since_contact),
        now=NOW,
        tolerance=tolerance,
    )
    assert report.status is status


def test_a_failed_contact_after_the_last_success_is_degraded_at_once() -> None:
    health = StoreHealth(
        last_success=NOW - 0.5, last_failure=NOW - 0.1, last_error="OperationalError"
    )

    report = assess_health(_ready_snapshot(), health, now=NOW, tolerance=15.0)

    assert report.status is HealthStatus.DEGRADED
    assert report.document()["details"]["database"]["status"] == "DOWN"


def test_a_success_after_a_failure_is_up_again_and_forgets_the_error() -> None:
    health = StoreHealth()
    health.failed("OperationalError")
    health.succeeded()

    assert health.last_error is None
    assert health.reachable(time.monotonic(), within=15.0)
