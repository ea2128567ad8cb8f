"""Wire models of the admin API: strict on the way in, separate from the domain's values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from status_dashboard.domain.accounts import ApiToken, Role
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.history import HistoryEvent
from status_dashboard.domain.operations import Impact, Incident, IncidentState, MaintenanceWindow
from status_dashboard.domain.ports import ClientRecord
from status_dashboard.service.operator import ItemView

ItemId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)


class OverrideRequest(_Strict):
    status_code: Literal[1, 2, 3]
    description: Text | None = None
    expires_at: AwareDatetime | None = None


class IncidentCreate(_Strict):
    title: Title
    impact: Impact = Impact.MAJOR
    item_ids: Annotated[list[ItemId], Field(min_length=1, max_length=500)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    state: Literal["investigating", "identified", "monitoring"] = "investigating"


class IncidentUpdateRequest(_Strict):
    state: IncidentState
    message: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class MaintenanceRequest(_Strict):
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    item_ids: Annotated[list[ItemId], Field(max_length=500)] = []
    impact: Impact = Impact.NONE
    description: Text | None = None


class TokenCreate(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    role: Role
    environments: (
        list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]] | None
    ) = None
    expires_at: AwareDatetime | None = None


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def item_json(view: ItemView) -> dict[str, Any]:
    item, state, override = view.item, view.state, view.override
    shown = (
        {"status_code": int(item.status_code), "description": item.description, "last_updated": _moment(item.last_updated), "source": "manual", "reason": "manual status"}
        if state is None
        else {"status_code": int(state.status_code), "description": state.description, "last_updated": _moment(state.last_updated), "source": state.source.value, "reason": state.reason}
    )  # fmt: skip
    return {
        "id": item.id,
        "key": item.key,
        "environment": view.environment_key,
        "group": view.group_key,
        "name": item.name,
        "order": item.order,
        **shown,
        "manual": {"status_code": int(item.status_code), "description": item.description},
        "override": None
        if override is None
        else {
            "status_code": int(override.status_code),
            "description": override.description,
            "set_by": override.set_by,
            "set_at": _moment(override.set_at),
            "expires_at": _moment(override.expires_at),
        },
        "version": view.version,
    }


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "environment": incident.environment_key,
        "title": incident.title,
        "impact": incident.impact.value,
        "state": incident.state.value,
        "item_ids": sorted(incident.item_ids),
        "created_at": _moment(incident.created_at),
        "created_by": incident.created_by,
        "resolved_at": _moment(incident.resolved_at),
        "updates": [
            {
                "id": u.id,
                "state": u.state.value,
                "message": u.message,
                "at": _moment(u.at),
                "author": u.author,
            }
            for u in incident.updates
        ],
    }


def window_json(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": window.id,
        "environment": window.environment_key,
        "title": window.title,
        "description": window.description,
        "starts_at": _moment(window.starts_at),
        "ends_at": _moment(window.ends_at),
        "item_ids": sorted(window.item_ids),
        "impact": window.impact.value,
        "created_by": window.created_by,
        "cancelled_at": _moment(window.cancelled_at),
    }


def history_json(event: HistoryEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": _moment(event.at),
        "from": int(event.from_code) if event.from_code is not None else None,
        "to": int(event.to_code),
        "description": event.description,
        "reason": event.reason,
        "actor": event.actor,
    }


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": _moment(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "environment": entry.environment_key,
        "before": entry.before,
        "after": entry.after,
    }


def client_json(record: ClientRecord) -> dict[str, Any]:
    return {
        "user_agent": record.user_agent,
        "conforming": record.conforming,
        "request_count": record.request_count,
        "first_seen": _moment(record.first_seen),
        "last_seen": _moment(record.last_seen),
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "environments": sorted(token.environments) if token.environments is not None else None,
        "created_at": _moment(token.created_at),
        "created_by": token.created_by,
        "last_used_at": _moment(token.last_used_at),
        "expires_at": _moment(token.expires_at),
        "revoked_at": _moment(token.revoked_at),
    }
