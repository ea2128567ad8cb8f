"""Users, for admin tokens without an environment scope: list, create, read, change the role
or disabled state (PATCH), and set a new password. `{user}` is a name, or an id when no user
has that name. Each change ends every session of that user and is audited."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.api.admin.common import body, json_response, principal, services
from status_dashboard.api.admin.user_schemas import PasswordSet, UserCreate, UserUpdate, user_json
from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.service.users import UserAdmin


def _users(request: Request) -> UserAdmin:
    found = services(request).users
    if found is None:
        raise ProblemError(Problem(404, "user management is not served here"))
    return found


async def list_users(request: Request) -> Response:
    who = await run_in_threadpool(principal, request)
    users = await run_in_threadpool(_users(request).users, who)
    return json_response({"items": [user_json(user) for user in users]})


async def create_user(request: Request) -> Response:
    who = await run_in_threadpool(principal, request)
    _users(request)  # 404 before reading a body when users are not served
    new = await body(request, UserCreate)
    created = await run_in_threadpool(_users(request).create, who, new.name, new.role, new.password)
    return json_response(user_json(created), 201)


async def get_user(request: Request) -> Response:
    who = await run_in_threadpool(principal, request)
    user = await run_in_threadpool(_users(request).user, who, request.path_params["user"])
    return json_response(user_json(user))


async def patch_user(request: Request) -> Response:
    who = await run_in_threadpool(principal, request)
    users = _users(request)
    change = await body(request, UserUpdate)
    user = await run_in_threadpool(
        users.change,
        who,
        request.path_params["user"],
        role=change.role,
        disabled=change.disabled,
    )
    return json_response(user_json(user))


async def set_password(request: Request) -> Response:
    who = await run_in_threadpool(principal, request)
    users = _users(request)
    new = await body(request, PasswordSet)
    user = await run_in_threadpool(
        users.reset_password, who, request.path_params["user"], new.password
    )
    return json_response(user_json(user))


def user_routes(resource: Callable[..., Route], prefix: str) -> list[Route]:
    return [
        resource(prefix + "/users", get=list_users, post=create_user),
        resource(prefix + "/users/{user}", get=get_user, patch=patch_user),
        resource(prefix + "/users/{user}/password", post=set_password),
    ]
