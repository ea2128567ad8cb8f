"""An item's effective status: the one rule that decides what partners see (docs/design.md §4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from status_dashboard.domain.operations import Incident, MaintenanceWindow, Override
from status_dashboard.domain.status import StatusCode


class Source(StrEnum):
    """Which rule of the precedence table decided."""

    OVERRIDE = "override"
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"
    CHECKS = "checks"
    STALE = "stale"
    MONITOR_DOWN = "monitor-down"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class CheckVerdict:
    """What an item's checks say, already through their thresholds (the monitor decides this).

    `disrupted`: some check reached its fail threshold. `fresh`: some check that reached one of
    its thresholds reported within its `stale_after`. `pending`: checks reported lately, but
    none has reached a threshold yet.
    """

    disrupted: bool
    fresh: bool
    reason: str | None = None
    pending: bool = False


@dataclass(frozen=True, slots=True)
class StatusInputs:
    manual_status: StatusCode
    manual_description: str | None
    override: Override | None = None
    incidents: Sequence[Incident] = ()
    maintenance: Sequence[MaintenanceWindow] = ()
    checks: CheckVerdict | None = None
    monitor_running: bool = True


@dataclass(frozen=True, slots=True)
class EffectiveStatus:
    status_code: StatusCode
    description: str | None
    source: Source
    reason: str


def effective_status(inputs: StatusInputs, now: datetime) -> EffectiveStatus:
    """Decide an item's status at `now`, by the first rule that applies:

    ====  ======================================================  ==========================
    rule  when                                                    status, description
    ====  ======================================================  ==========================
    1     an operator override, not expired                       its status and description
    2     an open incident naming the item, impact not `none`     Disrupted, incident title
    3     a running maintenance window, impact not `none`          Disrupted, "Planned
                                                                  maintenance: <title>"
    4     checks, none reported within stale_after, or none       Unknown
          reached a threshold yet, or the monitor is down
    5     checks, one of them past its fail threshold             Disrupted, check reason
    6     checks, fresh, past their recover threshold and         Operational
          none failing
    7     no checks                                               the last manual status
    ====  ======================================================  ==========================

    Maintenance never hides a worse state: rules 1 and 2 come first, and a window without
    impact changes nothing. Stale results say nothing about now, so they give Unknown even when
    they were failures ("stale data turns Unknown by itself"). Several open incidents: the
    earliest opened names the item.
    """
    override = inputs.override
    if override is not None and override.active(now):
        return EffectiveStatus(
            override.status_code, override.description, Source.OVERRIDE, f"set by {override.set_by}"
        )
    incident = _first_open_incident(inputs.incidents)
    if incident is not None:
        return EffectiveStatus(
            StatusCode.DISRUPTED, incident.title, Source.INCIDENT, f"incident #{incident.id}"
        )
    window = _first_running_window(inputs.maintenance, now)
    if window is not None:
        return EffectiveStatus(
            StatusCode.DISRUPTED,
            f"Planned maintenance: {window.title}",
            Source.MAINTENANCE,
            f"maintenance #{window.id}",
        )
    checks = inputs.checks
    if checks is None:
        return EffectiveStatus(
            inputs.manual_status, inputs.manual_description, Source.MANUAL, "manual status"
        )
    if not inputs.monitor_running:
        return EffectiveStatus(StatusCode.UNKNOWN, None, Source.MONITOR_DOWN, "monitor down")
    if not checks.fresh:
        # Failures below the fail threshold are no news either way: the item stays Unknown
        # until its checks pass `recover_threshold` times in a row (or fail for good).
        reason = "no conclusive check result yet" if checks.pending else "no recent check result"
        return EffectiveStatus(StatusCode.UNKNOWN, None, Source.STALE, reason)
    if checks.disrupted:
        return EffectiveStatus(
            StatusCode.DISRUPTED, checks.reason, Source.CHECKS, checks.reason or "check failing"
        )
    return EffectiveStatus(StatusCode.OPERATIONAL, None, Source.CHECKS, "checks passing")


def _first_open_incident(incidents: Sequence[Incident]) -> Incident | None:
    relevant = [i for i in incidents if i.open and i.impact.disrupts]
    return min(relevant, key=lambda i: (i.created_at, i.id)) if relevant else None


def _first_running_window(
    windows: Sequence[MaintenanceWindow], now: datetime
) -> MaintenanceWindow | None:
    running = [w for w in windows if w.active(now) and w.impact.disrupts]
    return min(running, key=lambda w: (w.starts_at, w.id)) if running else None
