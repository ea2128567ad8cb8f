"""`GET /health` (docs/design.md §3, the Belgian REST guide's health resource): the service itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from status_dashboard.service.publisher import StoreHealth
from status_dashboard.service.snapshot import DashboardSnapshot


class HealthStatus(StrEnum):
    UP = "UP"
    DEGRADED = "DEGRADED"
    DOWN = "DOWN"


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: HealthStatus
    details: dict[str, Any]

    @property
    def http_status(self) -> int:
        return 503 if self.status is HealthStatus.DOWN else 200

    def document(self) -> dict[str, Any]:
        return {"status": self.status.value, "details": self.details}


def assess_health(
    snapshot: DashboardSnapshot,
    store: StoreHealth,
    *,
    now: float,
    tolerance: float,
    monitor_running: bool | None = None,
    listener_connected: bool | None = None,
    pid: int | None = None,
) -> HealthReport:
    """UP when the store answered within `tolerance` seconds and dashboards are rendered;
    DEGRADED when the store is unreachable but the last rendered dashboards are still served,
    or when items have checks but no monitor reports (they show Unknown); DOWN when there is
    nothing to serve.

    The change listener (PostgreSQL only; None elsewhere) is reported but moves no status: while
    it is down the publisher polls at its short interval, so changes still arrive in time. `pid`
    names the process that answered, one of several on a port with `serve --workers N`."""
    store_up = store.reachable(now, tolerance)
    database: dict[str, Any] = {"status": "UP" if store_up else "DOWN"}
    if not store_up and store.last_error:
        database["error"] = store.last_error
    details = {
        "database": database,
        "dashboards": {
            "status": "UP" if snapshot.ready else "DOWN",
            "revision": snapshot.revision,
            "environments": list(snapshot.environment_keys()),
        },
    }
    if monitor_running is not None:
        details["monitor"] = {"status": "UP" if monitor_running else "DOWN"}
    if listener_connected is not None:
        details["listener"] = {"status": "UP" if listener_connected else "DOWN"}
    if pid is not None:
        details["process"] = {"pid": pid}
    if not snapshot.ready:
        return HealthReport(HealthStatus.DOWN, details)
    healthy = store_up and monitor_running is not False
    return HealthReport(HealthStatus.UP if healthy else HealthStatus.DEGRADED, details)
