"""Admin routes of an item's checks (`service.check_admin`): GET needs the viewer role, PUT,
which replaces them all, the admin role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.api.admin.check_schemas import ChecksEnvelope, check_inputs, checks_json
from status_dashboard.api.admin.common import body, json_response, principal, services
from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.service.check_admin import CheckAdmin

T = TypeVar("T")


async def _call(function: Callable[..., T], *args: Any) -> T:
    return await run_in_threadpool(function, *args)


def _checks(request: Request) -> CheckAdmin:
    found = services(request).checks
    if found is None:
        raise ProblemError(Problem(404, "check management is not offered by this server"))
    return found


async def get_checks(request: Request) -> Response:
    who = await _call(principal, request)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(_checks(request).checks, who, env, item_id)
    return json_response(checks_json(view))


async def put_checks(request: Request) -> Response:
    who = await _call(principal, request)
    envelope = await body(request, ChecksEnvelope)
    given = check_inputs(envelope.checks)
    if isinstance(given, Problem):
        raise ProblemError(given)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(_checks(request).replace_checks, who, env, item_id, given)
    return json_response(checks_json(view))


def check_routes(resource: Callable[..., Route], prefix: str) -> list[Route]:
    """The checks' route, made by `resource` as the rest of the admin API's are."""
    item = prefix + "/dashboards/{environment}/items/{item_id}"
    return [resource(item + "/checks", get=get_checks, put=put_checks)]
