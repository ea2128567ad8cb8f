"""Wire models of the admin API: strict on the way in, separate from the domain's values."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from status_dashboard.domain.accounts import ApiToken, Role
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.history import HistoryEvent
from status_dashboard.domain.model import Environment, Group
from status_dashboard.domain.operations import Impact, Incident, IncidentState, MaintenanceWindow
from status_dashboard.domain.ports import ClientRecord
from status_dashboard.service.catalog_admin import CatalogItem
from status_dashboard.service.operator import ItemView


def _iso_8601_only(value: object) -> object:
    """Refuse what pydantic would otherwise read as a moment: numbers and numeric strings are
    Unix times to it, but the document promises ISO 8601 date-times with an offset."""
    hint = "must be an ISO 8601 date-time with an offset, e.g. 2026-05-09T08:55:00+02:00"
    if not isinstance(value, str) or not ISO_MOMENT.match(value):
        raise ValueError(hint)
    try:
        # Parsed here: after a before-validator, strict mode takes only datetime objects.
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(hint) from None
    return within_utc_range(moment)


def within_utc_range(moment: datetime) -> datetime:
    """`moment`, when it has a UTC equivalent: 9999-12-31T23:59:59-14:00 is a valid ISO 8601
    date-time past the last moment Python can hold in UTC, which every store keeps."""
    try:
        if moment.tzinfo is not None:
            moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be a moment from year 1 to 9999 in UTC") from None
    return moment


ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_8601_only)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OverrideRequest(_Strict):
    status_code: Literal[1, 2, 3]
    description: Text | None = None
    expires_at: Moment | None = None


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
    starts_at: Moment
    ends_at: Moment
    item_ids: Annotated[list[ItemId], Field(max_length=500)] = []
    impact: Impact = Impact.NONE
    description: Text | None = None


class TokenCreate(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    role: Role
    environments: (
        list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]] | None
    ) = None
    expires_at: Moment | None = None


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


# -- catalog -------------------------------------------------------------------------------

CatalogKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
Order = Annotated[int, Field(ge=1, le=1_000_000)]
GroupId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20}$")]
GroupReference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
"""A group named by its id (20 characters of URL-safe base64) or by its key."""
Language = Literal["nl", "fr", "de"]


class EnvironmentCreate(_Strict):
    key: CatalogKey
    name: Name
    strict: bool = False
    default: bool = False
    order: Order | None = None


class EnvironmentUpdate(_Strict):
    name: Name | None = None
    strict: bool | None = None
    default: bool | None = None
    order: Order | None = None


class GroupCreate(_Strict):
    key: CatalogKey
    name: Name
    order: Order | None = None
    id: GroupId | None = None


class GroupUpdate(_Strict):
    name: Name | None = None
    order: Order | None = None


class TranslationBody(_Strict):
    name: Name | None = None
    description: Text | None = None


class ItemCreate(_Strict):
    key: CatalogKey
    group: GroupReference
    name: Name
    order: Order | None = None
    status_code: Literal[1, 2, 3] | None = None
    description: Text | None = None
    translations: dict[Language, TranslationBody] = {}


class ItemDefinitionUpdate(_Strict):
    """Left out: stays. `description` or `translations` null: cleared."""

    name: Name | None = None
    order: Order | None = None
    group: GroupReference | None = None
    status_code: Literal[1, 2, 3] | None = None
    description: Text | None = None
    translations: dict[Language, TranslationBody] | None = None


def environment_json(env: Environment) -> dict[str, Any]:
    return {
        "key": env.key,
        "name": env.name,
        "order": env.order,
        "strict": env.strict,
        "default": env.is_default,
        "groups": len(env.groups),
        "items": sum(len(g.items) for g in env.groups),
    }


def group_json(environment_key: str, group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "key": group.key,
        "environment": environment_key,
        "name": group.name,
        "order": group.order,
        "status_code": int(group.status_code),
        "items": [
            {"id": i.id, "key": i.key, "name": i.name, "order": i.order, "status_code": int(i.status_code)}
            for i in group.items
        ],
    }  # fmt: skip


def catalog_item_json(view: CatalogItem) -> dict[str, Any]:
    item, manual = view.item, view.manual
    return {
        "id": item.id,
        "key": item.key,
        "environment": view.environment_key,
        "group": {"id": view.group.id, "key": view.group.key},
        "name": item.name,
        "order": item.order,
        "status_code": int(item.status_code),
        "description": item.description,
        "last_updated": _moment(item.last_updated),
        "manual": {"status_code": int(manual.status_code), "description": manual.description},
        "translations": {
            language: {"name": t.name, "description": t.description}
            for language, t in sorted(manual.translations.items())
        },
    }
