"""What operators declare about items: overrides, incidents and maintenance windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from status_dashboard.domain.status import StatusCode


@dataclass(frozen=True, slots=True)
class Override:
    """An operator's word on one item: it wins over everything else until cleared or expired."""

    item_id: str
    status_code: StatusCode
    description: str | None
    set_by: str
    set_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


class Impact(StrEnum):
    """How bad an incident or a maintenance window is for the items it names.

    The v1 contract has one bad code, so every impact but `none` makes an item Disrupted; the
    grades are kept for the status page and the feeds.
    """

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def disrupts(self) -> bool:
        return self is not Impact.NONE


class IncidentState(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class IncidentUpdate:
    id: int
    state: IncidentState
    message: str
    at: datetime
    author: str


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    environment_key: str
    title: str
    impact: Impact
    state: IncidentState
    item_ids: frozenset[str]
    created_at: datetime
    created_by: str
    resolved_at: datetime | None = None
    updates: tuple[IncidentUpdate, ...] = ()

    @property
    def open(self) -> bool:
        return self.state is not IncidentState.RESOLVED

    @property
    def latest_message(self) -> str | None:
        return self.updates[-1].message if self.updates else None


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    id: int
    environment_key: str
    title: str
    starts_at: datetime
    ends_at: datetime
    item_ids: frozenset[str]
    impact: Impact
    created_by: str
    description: str | None = None
    cancelled_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at
