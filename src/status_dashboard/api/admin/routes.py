"""Admin routes: items' operator status, incidents, maintenance, history, audit, clients, tokens.

Handlers are async for reading the body, and hand the use case to a thread: a database write
or an argon2 hash must never hold up the event loop that serves the public dashboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import AwareDatetime, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.api.admin.catalog_routes import catalog_routes, delete_item
from status_dashboard.api.admin.check_routes import check_routes
from status_dashboard.api.admin.common import (
    body,
    json_response,
    page_response,
    paging,
    principal,
    services,
)
from status_dashboard.api.admin.idempotency import idempotency_key
from status_dashboard.api.admin.schemas import (
    ISO_MOMENT,
    IncidentCreate,
    IncidentUpdateRequest,
    MaintenanceRequest,
    OverrideRequest,
    TokenCreate,
    audit_json,
    client_json,
    history_json,
    incident_json,
    item_json,
    token_json,
    window_json,
    within_utc_range,
)
from status_dashboard.api.admin.user_routes import user_routes
from status_dashboard.api.problems import InputIssue, Problem, ProblemError
from status_dashboard.domain.audit import AuditQuery
from status_dashboard.domain.operations import IncidentState
from status_dashboard.domain.status import StatusCode

T = TypeVar("T")
PREFIX = "/api/admin/v1"
_MOMENT = TypeAdapter(AwareDatetime)


async def _call(function: Callable[..., T], *args: Any) -> T:
    return await run_in_threadpool(function, *args)


def _path_int(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise ProblemError(Problem(404, f"No {name.replace('_', ' ')} '{raw[:20]}'"))
    return int(raw)


def _query_moment(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        moment: datetime = _MOMENT.validate_python(raw)
        if not ISO_MOMENT.match(raw):
            raise ValueError(raw)
    except (ValidationError, ValueError):
        issue = InputIssue("query", name, "must be an ISO 8601 date-time with an offset", raw[:40])
        raise ProblemError(Problem(400, f"invalid query parameter {name}", (issue,))) from None
    try:
        return within_utc_range(moment)
    except ValueError as exc:
        issue = InputIssue("query", name, str(exc), raw[:40])
        raise ProblemError(Problem(400, f"invalid query parameter {name}", (issue,))) from None


def _query_text(request: Request, name: str) -> str | None:
    """An exact-text filter. A NUL is refused here: PostgreSQL cannot compare text holding one
    (it errs), and nothing stored can hold one, so it could only ever match nothing."""
    raw = request.query_params.get(name)
    if raw is not None and "\x00" in raw:
        issue = InputIssue("query", name, "must not contain a NUL character", raw[:40])
        raise ProblemError(Problem(400, f"invalid query parameter {name}", (issue,)))
    return raw


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _query_choice(request: Request, name: str, choices: dict[str, bool], *, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw not in choices:
        issue = InputIssue("query", name, f"must be one of {', '.join(choices)}", raw[:40])
        raise ProblemError(Problem(400, f"invalid query parameter {name}", (issue,)))
    return choices[raw]


# -- items ---------------------------------------------------------------------------------


async def get_item(request: Request) -> Response:
    who = await _call(principal, request)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(services(request).operations.item, who, env, item_id)
    return json_response(item_json(view), etag=view.version)


async def patch_item(request: Request) -> Response:
    who = await _call(principal, request)
    change = await body(request, OverrideRequest)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(
        services(request).operations.set_override,
        who, env, item_id, StatusCode(change.status_code), change.description, change.expires_at,
        request.headers.get("if-match"),
    )  # fmt: skip
    return json_response(item_json(view), etag=view.version)


async def delete_override(request: Request) -> Response:
    who = await _call(principal, request)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(
        services(request).operations.clear_override,
        who,
        env,
        item_id,
        request.headers.get("if-match"),
    )
    return json_response(item_json(view), etag=view.version)


async def item_history(request: Request) -> Response:
    who = await _call(principal, request)
    cursor, limit = paging(request)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    since, until = _query_moment(request, "since"), _query_moment(request, "until")
    page = await _call(
        services(request).operations.history, who, env, item_id, cursor, limit, since, until
    )
    return page_response(page, history_json)


# -- incidents -----------------------------------------------------------------------------


async def list_incidents(request: Request) -> Response:
    who = await _call(principal, request)
    cursor, limit = paging(request)
    open_only = _query_choice(request, "state", {"open": True, "all": False}, default=False)
    page = await _call(
        services(request).operations.incidents,
        who,
        request.path_params["environment"],
        open_only,
        cursor,
        limit,
    )
    return page_response(page, incident_json)


async def open_incident(request: Request) -> Response:
    who = await _call(principal, request)
    new = await body(request, IncidentCreate)
    incident = await _call(
        services(request).operations.open_incident,
        who, request.path_params["environment"], new.title, new.impact, frozenset(new.item_ids),
        new.message, IncidentState(new.state), idempotency_key(request, new),
    )  # fmt: skip
    return json_response(incident_json(incident), 201)


async def get_incident(request: Request) -> Response:
    who = await _call(principal, request)
    incident = await _call(
        services(request).operations.incident,
        who,
        request.path_params["environment"],
        _path_int(request, "incident_id"),
    )
    return json_response(incident_json(incident))


async def post_incident_update(request: Request) -> Response:
    who = await _call(principal, request)
    update = await body(request, IncidentUpdateRequest)
    incident = await _call(
        services(request).operations.update_incident,
        who, request.path_params["environment"], _path_int(request, "incident_id"), update.state, update.message,
        idempotency_key(request, update),
    )  # fmt: skip
    return json_response(incident_json(incident), 201)


# -- maintenance ---------------------------------------------------------------------------


async def list_maintenance(request: Request) -> Response:
    who = await _call(principal, request)
    cursor, limit = paging(request)
    include_past = _query_choice(request, "include_past", _BOOLEANS, default=False)
    page = await _call(
        services(request).operations.maintenance,
        who,
        request.path_params["environment"],
        include_past,
        cursor,
        limit,
    )
    return page_response(page, window_json)


async def schedule_maintenance(request: Request) -> Response:
    return await _save_window(request, None)


async def edit_maintenance(request: Request) -> Response:
    return await _save_window(request, _path_int(request, "window_id"))


async def _save_window(request: Request, window_id: int | None) -> Response:
    who = await _call(principal, request)
    plan = await body(request, MaintenanceRequest)
    # An edit (PUT) is idempotent by nature; only a new window takes a key.
    key = idempotency_key(request, plan) if window_id is None else None
    window = await _call(
        services(request).operations.schedule_maintenance,
        who, request.path_params["environment"], plan.title, plan.starts_at, plan.ends_at,
        frozenset(plan.item_ids), plan.impact, plan.description, window_id, key,
    )  # fmt: skip
    return json_response(window_json(window), 201 if window_id is None else 200)


async def cancel_maintenance(request: Request) -> Response:
    who = await _call(principal, request)
    window = await _call(
        services(request).operations.cancel_maintenance,
        who, request.path_params["environment"], _path_int(request, "window_id"),
    )  # fmt: skip
    return json_response(window_json(window))


# -- audit, clients, tokens ----------------------------------------------------------------


async def audit_log(request: Request) -> Response:
    who = await _call(principal, request)
    cursor, limit = paging(request)
    query = AuditQuery(
        actor=_query_text(request, "actor"),
        action=_query_text(request, "action"),
        target=_query_text(request, "target"),
        environment_key=_query_text(request, "environment"),
        since=_query_moment(request, "since"),
        until=_query_moment(request, "until"),
    )
    page = await _call(services(request).operations.audit_entries, who, query, cursor, limit)
    return page_response(page, audit_json)


async def clients(request: Request) -> Response:
    who = await _call(principal, request)
    cursor, limit = paging(request)
    page = await _call(
        services(request).operations.clients, who, request.path_params["environment"], cursor, limit
    )
    return page_response(page, client_json)


async def me(request: Request) -> Response:
    who = await _call(principal, request)
    environments = sorted(who.environments) if who.environments is not None else None
    return json_response(
        {"kind": who.kind, "name": who.name, "role": who.role.value, "environments": environments}
    )


async def list_tokens(request: Request) -> Response:
    who = await _call(principal, request)
    tokens = await _call(services(request).accounts.tokens, who)
    return json_response({"items": [token_json(t) for t in tokens]})


async def create_token(request: Request) -> Response:
    who = await _call(principal, request)
    new = await body(request, TokenCreate)
    environments = frozenset(new.environments) if new.environments is not None else None
    created = await _call(
        services(request).accounts.create_token,
        who,
        new.name,
        new.role,
        environments,
        new.expires_at,
    )
    return json_response({**token_json(created.token), "token": created.secret}, 201)


async def revoke_token(request: Request) -> Response:
    who = await _call(principal, request)
    token = await _call(
        services(request).accounts.revoke_token, who, _path_int(request, "token_id")
    )
    return json_response(token_json(token))


def _resource(
    path: str, query: tuple[str, ...] = (), **handlers: Callable[[Request], Awaitable[Response]]
) -> Route:
    """One route per path with every method it supports, so a 405 lists them all in Allow;
    a query parameter the resource does not know is refused, not silently ignored."""

    async def dispatch(request: Request) -> Response:
        unknown = [name for name in request.query_params if name not in query]
        if unknown:
            issues = tuple(
                InputIssue("query", name[:40], "is not a parameter of this resource")
                for name in unknown[:5]
            )
            raise ProblemError(Problem(400, f"unknown query parameter '{unknown[0][:40]}'", issues))
        return await handlers[request.method.lower()](request)

    methods = [method.upper() for method in handlers]
    if "GET" in methods:
        methods.append("HEAD")
        handlers.setdefault("head", handlers["get"])
    return Route(path, dispatch, methods=methods)


_PAGING = ("cursor", "limit")
_ITEM = PREFIX + "/dashboards/{environment}/items/{item_id}"
_ENV = PREFIX + "/dashboards/{environment}"

ROUTES = [
    _resource(PREFIX + "/me", get=me),
    _resource(_ITEM, get=get_item, patch=patch_item, delete=delete_item),
    _resource(_ITEM + "/override", delete=delete_override),
    _resource(_ITEM + "/history", (*_PAGING, "since", "until"), get=item_history),
    _resource(_ENV + "/incidents", (*_PAGING, "state"), get=list_incidents, post=open_incident),
    _resource(_ENV + "/incidents/{incident_id}", get=get_incident),
    _resource(_ENV + "/incidents/{incident_id}/updates", post=post_incident_update),
    _resource(
        _ENV + "/maintenance",
        (*_PAGING, "include_past"),
        get=list_maintenance,
        post=schedule_maintenance,
    ),
    _resource(_ENV + "/maintenance/{window_id}", put=edit_maintenance, delete=cancel_maintenance),
    _resource(_ENV + "/clients", _PAGING, get=clients),
    _resource(
        PREFIX + "/audit",
        (*_PAGING, "actor", "action", "target", "environment", "since", "until"),
        get=audit_log,
    ),
    _resource(PREFIX + "/tokens", get=list_tokens, post=create_token),
    _resource(PREFIX + "/tokens/{token_id}", delete=revoke_token),
]
ROUTES += catalog_routes(_resource, PREFIX)
ROUTES += check_routes(_resource, PREFIX)
ROUTES += user_routes(_resource, PREFIX)
