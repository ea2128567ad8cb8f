"""The admin API's part of the OpenAPI document: paths, bearer security, request bodies.

Request bodies come from the wire models themselves, so the document cannot drift from what the
server validates; answers are described by their shape and the problems they may be.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from status_dashboard.api.admin.check_schemas import ChecksReplace
from status_dashboard.api.admin.idempotency import KEY_CHARS, MAX_LENGTH
from status_dashboard.api.admin.schemas import (
    EnvironmentCreate,
    EnvironmentUpdate,
    GroupCreate,
    GroupUpdate,
    IncidentCreate,
    IncidentUpdateRequest,
    ItemCreate,
    ItemDefinitionUpdate,
    MaintenanceRequest,
    OverrideRequest,
    TokenCreate,
)
from status_dashboard.api.admin.user_schemas import PasswordSet, UserCreate, UserUpdate

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}

_UNAVAILABLE = {
    "description": "The database is unavailable; try again after `Retry-After` seconds.",
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}},
    "content": _PROBLEM,
}
"""Every admin operation needs the database: while it is away each answers this (docs/operations.md,
"When the database goes away")."""


def _refusals(*statuses: int) -> dict[str, Any]:
    words = {
        400: "Invalid input; `issues` names each field.",
        401: "No, unknown, revoked or expired bearer token.",
        403: "The token's role or environments do not allow this.",
        404: "No such environment, item, incident, window, token or user.",
        409: "The target changed meanwhile (If-Match), or its state forbids this.",
        413: "The body is larger than 64 KiB.",
        415: "The body is not application/json.",
        422: "The Idempotency-Key was used for another request; `issues` names the header.",
    }
    refusals = {
        str(s): {"description": words[s], "content": _PROBLEM} for s in (401, 403, *statuses)
    }
    refusals["503"] = _UNAVAILABLE
    return refusals


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
        },
    }


def _operation(
    summary: str, ok: int, *refusals: int, body: type[BaseModel] | None = None, **extra: Any
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["admin"],
        "security": [{"bearer": []}],
        "responses": {
            str(ok): {"description": "Done.", "content": _JSON_OBJECT},
            **_refusals(*refusals),
        },
        **extra,
    }
    if body is not None:
        operation["requestBody"] = _body(body)
        operation["responses"].update(_refusals(400, 413, 415, *refusals))
    return operation


def _path(name: str, pattern: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return {"name": name, "in": "path", "required": True, "schema": schema}


_ENV = _path("environment")
_ITEM_ID = _path("item_id")
_PAGING = [
    {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
]
_MOMENTS = [
    {"name": name, "in": "query", "schema": {"type": "string", "format": "date-time"}}
    for name in ("since", "until")
]
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "description": "The item's version (its ETag); checked in the write's own transaction.",
    "schema": {"type": "string"},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "description": (
        'IETF draft "The Idempotency-Key HTTP Header Field": a key of the client\'s choosing, '
        'e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324" (quoted or bare), 1 to 255 characters of '
        "letters, digits and - _ . : ~ + / =. Kept with what the request created for 24 hours, "
        "per token or user and environment: a retry of the same request answers 201 with what "
        "the first one created and creates nothing; the key with another request is a 422."
    ),
    "schema": {
        "type": "string",
        "pattern": f'^({KEY_CHARS}{{1,{MAX_LENGTH}}}|"{KEY_CHARS}{{1,{MAX_LENGTH}}}")$',
    },
}

MODELS: tuple[type[BaseModel], ...] = (
    OverrideRequest,
    IncidentCreate,
    IncidentUpdateRequest,
    MaintenanceRequest,
    TokenCreate,
    EnvironmentCreate,
    EnvironmentUpdate,
    GroupCreate,
    GroupUpdate,
    ItemCreate,
    ItemDefinitionUpdate,
    ChecksReplace,
    UserCreate,
    UserUpdate,
    PasswordSet,
)


def admin_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in MODELS:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def admin_paths() -> dict[str, Any]:
    item = "/api/admin/v1/dashboards/{environment}/items/{item_id}"
    env = "/api/admin/v1/dashboards/{environment}"
    return {
        "/api/admin/v1/me": {"get": _operation("Who this token is", 200)},
        item: {
            "parameters": [_ENV, _ITEM_ID],
            "get": _operation("An item as operators see it, with its version as ETag", 200, 404),
            "patch": _operation(
                "Set the item's operator status (an override)",
                200,
                404,
                409,
                body=OverrideRequest,
                parameters=[_IF_MATCH],
            ),
            "delete": _operation(
                "Remove the item from the catalog (admin); 409 while an open incident names it",
                200,
                400,
                404,
                409,
            ),
        },
        item + "/override": {
            "parameters": [_ENV, _ITEM_ID],
            "delete": _operation("Clear the override", 200, 404, 409, parameters=[_IF_MATCH]),
        },
        item + "/history": {
            "parameters": [_ENV, _ITEM_ID],
            "get": _operation(
                "Every change of the item's status, newest first (since inclusive, until exclusive)",
                200,
                400,
                404,
                parameters=[*_PAGING, *_MOMENTS],
            ),
        },
        env + "/incidents": {
            "parameters": [_ENV],
            "get": _operation(
                "Incidents, newest first",
                200,
                400,
                404,
                parameters=[
                    *_PAGING,
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["open", "all"]},
                    },
                ],
            ),
            "post": _operation(
                "Open an incident",
                201,
                404,
                422,
                body=IncidentCreate,
                parameters=[_IDEMPOTENCY_KEY],
            ),
        },
        env + "/incidents/{incident_id}": {
            "parameters": [_ENV, _path("incident_id")],
            "get": _operation("One incident with its timeline", 200, 404),
        },
        env + "/incidents/{incident_id}/updates": {
            "parameters": [_ENV, _path("incident_id")],
            "post": _operation(
                "Post an update (resolved closes it)",
                201,
                404,
                409,
                422,
                body=IncidentUpdateRequest,
                parameters=[_IDEMPOTENCY_KEY],
            ),
        },
        env + "/maintenance": {
            "parameters": [_ENV],
            "get": _operation(
                "Maintenance windows",
                200,
                400,
                404,
                parameters=[
                    *_PAGING,
                    {"name": "include_past", "in": "query", "schema": {"type": "boolean"}},
                ],
            ),
            "post": _operation(
                "Schedule a window",
                201,
                404,
                422,
                body=MaintenanceRequest,
                parameters=[_IDEMPOTENCY_KEY],
            ),
        },
        env + "/maintenance/{window_id}": {
            "parameters": [_ENV, _path("window_id")],
            "put": _operation("Edit a window", 200, 404, 409, body=MaintenanceRequest),
            "delete": _operation("Cancel a window", 200, 404, 409),
        },
        env + "/clients": {
            "parameters": [_ENV],
            "get": _operation(
                "The client register, a page at a time, most recently seen first (ties by "
                "User-Agent); `cursor` is the position of the page's first line. At most "
                "`max_clients_per_environment` identities and one `(other clients)` line that "
                "counts the rest; an identity not seen for `client_retention_days` is removed",
                200,
                400,
                404,
                parameters=_PAGING,
            ),
        },
        "/api/admin/v1/audit": {
            "get": _operation(
                "The audit log, newest first (admin); a token limited to environments reads "
                "their entries only, and gets 403 filtering on another environment",
                200,
                400,
                parameters=[
                    *_PAGING,
                    *(
                        {"name": n, "in": "query", "schema": {"type": "string"}}
                        for n in ("actor", "action", "target", "environment")
                    ),
                    *(
                        {
                            "name": n,
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                        }
                        for n in ("since", "until")
                    ),
                ],
            ),
        },
        "/api/admin/v1/tokens": {
            "get": _operation(
                "API tokens (admin, never their secrets): those within the token's environments",
                200,
            ),
            "post": _operation(
                "Create a token (admin); the answer holds it, once. Its role is at most the "
                "creator's and its environments within the creator's: a creator limited to "
                "environments must name them",
                201,
                409,
                body=TokenCreate,
            ),
        },
        "/api/admin/v1/tokens/{token_id}": {
            "parameters": [_path("token_id")],
            "delete": _operation(
                "Revoke a token (admin); one beyond the environments of the revoking token is not found",
                200,
                404,
            ),
        },
        **_catalog_paths(),
        **_user_paths(),
    }


def _user_paths() -> dict[str, Any]:
    """User management: admin tokens without an environment scope only."""
    user = "/api/admin/v1/users/{user}"
    return {
        "/api/admin/v1/users": {
            "description": "People who sign in to the admin UI (unscoped admin tokens only).",
            "get": _operation("Users (never their password hashes)", 200),
            "post": _operation(
                "Create a user; 409 when the name is taken", 201, 400, 409, body=UserCreate
            ),
        },
        user: {
            "parameters": [_path("user")],
            "description": "`{user}` is the user's name, or their id when no user has that name.",
            "get": _operation("A user", 200, 404),
            "patch": _operation(
                "Change the role and/or disable or enable; ends every session of the user. "
                "409 naming `role` or `disabled` when no enabled admin would remain",
                200,
                400,
                404,
                409,
                body=UserUpdate,
            ),
        },
        user + "/password": {
            "parameters": [_path("user")],
            "post": _operation(
                "Set a new password; ends every session of the user",
                200,
                400,
                404,
                body=PasswordSet,
            ),
        },
    }


def _catalog_paths() -> dict[str, Any]:
    """Catalog management: reads need the viewer role, writes the admin role."""
    env = "/api/admin/v1/dashboards/{environment}"
    return {
        "/api/admin/v1/environments": {
            "description": "Every environment the token may see.",
            "get": _operation("Environments, in display order", 200, 400),
            "post": _operation(
                "Create an environment (admin, not limited to environments); 409 when the key "
                "exists",
                201,
                409,
                body=EnvironmentCreate,
            ),
        },
        "/api/admin/v1/environments/{environment}": {
            "description": "One environment's settings.",
            "parameters": [_ENV],
            "get": _operation("One environment", 200, 400, 404),
            "patch": _operation(
                "Change an environment's name, order, strictness or default (admin; the default "
                "only when not limited to environments); 409 when no environment would be the "
                "default",
                200,
                404,
                409,
                body=EnvironmentUpdate,
            ),
            "delete": _operation(
                "Delete an environment with its groups, items, incidents and windows (admin, "
                "not limited to environments); 409 for the default one or while an open "
                "incident names one of its items",
                200,
                404,
                409,
            ),
        },
        env + "/groups": {
            "parameters": [_ENV],
            "get": _operation("The environment's groups with their items", 200, 400, 404),
            "post": _operation(
                "Add a group (admin); 409 when the key or the pinned id is taken",
                201,
                404,
                409,
                body=GroupCreate,
            ),
        },
        env + "/groups/{group_id}": {
            "parameters": [_ENV, _path("group_id")],
            "get": _operation("One group with its items", 200, 400, 404),
            "patch": _operation(
                "Rename or reorder a group (admin)", 200, 404, 409, body=GroupUpdate
            ),
            "delete": _operation(
                "Remove a group with its items (admin); 409 while an open incident names one",
                200,
                400,
                404,
                409,
            ),
        },
        env + "/items": {
            "parameters": [_ENV],
            "get": _operation("The environment's items as the catalog holds them", 200, 400, 404),
            "post": _operation(
                "Add an item to a group (admin); 409 when the key is taken",
                201,
                404,
                409,
                body=ItemCreate,
            ),
        },
        env + "/items/{item_id}/checks": {
            "description": (
                "The item's checks, spelt as in a catalog file (docs/catalog.md); header values "
                "and push tokens read as `***`, and `***` sent back keeps the stored secret."
            ),
            "parameters": [_ENV, _ITEM_ID],
            "get": _operation(
                "The item's checks with their state (failing, consecutive results, next run)",
                200,
                400,
                404,
            ),
            "put": _operation(
                "Replace the item's checks (admin): a kept key keeps its state, a key left out "
                "goes with its results; 409 when a push token is another check's",
                200,
                404,
                409,
                body=ChecksReplace,
            ),
        },
        env + "/items/{item_id}/definition": {
            "parameters": [_ENV, _ITEM_ID],
            "get": _operation("The item's catalog definition", 200, 400, 404),
            "patch": _operation(
                "Change the item's name, order, group, manual status, description or "
                "translations (admin); left out: stays, description or translations null: cleared",
                200,
                404,
                409,
                body=ItemDefinitionUpdate,
            ),
        },
    }
