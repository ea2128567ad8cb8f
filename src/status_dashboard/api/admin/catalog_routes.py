"""Admin routes of the catalog: environments, groups and items (`service.catalog_admin`).

Environments cannot be deleted (a catalog never removes one), so their resource has no DELETE
and answers 405 with Allow. An item's catalog definition is edited at `.../definition`, since
PATCH on the item itself sets the operator status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.api.admin.common import body, json_response, principal, services
from status_dashboard.api.admin.schemas import (
    EnvironmentCreate,
    EnvironmentUpdate,
    GroupCreate,
    GroupUpdate,
    ItemCreate,
    ItemDefinitionUpdate,
    Language,
    TranslationBody,
    catalog_item_json,
    environment_json,
    group_json,
)
from status_dashboard.api.problems import Problem, ProblemError
from status_dashboard.domain.model import Translation
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.catalog_admin import KEEP, CatalogAdmin, ItemChange, NewItem

T = TypeVar("T")


async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(function, *args, **kwargs)


def _catalog(request: Request) -> CatalogAdmin:
    catalog = services(request).catalog
    if catalog is None:
        raise ProblemError(Problem(404, "catalog management is not offered by this server"))
    return catalog


def _translations(given: Mapping[Language, TranslationBody]) -> dict[str, Translation]:
    return {lang: Translation(name=t.name, description=t.description) for lang, t in given.items()}


# -- environments --------------------------------------------------------------------------


async def list_environments(request: Request) -> Response:
    who = await _call(principal, request)
    envs = await _call(_catalog(request).environments, who)
    return json_response({"items": [environment_json(env) for env in envs]})


async def create_environment(request: Request) -> Response:
    who = await _call(principal, request)
    new = await body(request, EnvironmentCreate)
    env = await _call(
        _catalog(request).create_environment,
        who, new.key, new.name, strict=new.strict, default=new.default, order=new.order,
    )  # fmt: skip
    return json_response(environment_json(env), 201)


async def delete_environment(request: Request) -> Response:
    who = await _call(principal, request)
    env = await _call(_catalog(request).delete_environment, who, request.path_params["environment"])
    return json_response(environment_json(env))


async def get_environment(request: Request) -> Response:
    who = await _call(principal, request)
    env = await _call(_catalog(request).environment, who, request.path_params["environment"])
    return json_response(environment_json(env))


async def patch_environment(request: Request) -> Response:
    who = await _call(principal, request)
    change = await body(request, EnvironmentUpdate)
    env = await _call(
        _catalog(request).update_environment,
        who, request.path_params["environment"],
        name=change.name, strict=change.strict, default=change.default, order=change.order,
    )  # fmt: skip
    return json_response(environment_json(env))


# -- groups --------------------------------------------------------------------------------


async def list_groups(request: Request) -> Response:
    who = await _call(principal, request)
    env = request.path_params["environment"]
    groups = await _call(_catalog(request).groups, who, env)
    return json_response({"items": [group_json(env, group) for group in groups]})


async def create_group(request: Request) -> Response:
    who = await _call(principal, request)
    new = await body(request, GroupCreate)
    env = request.path_params["environment"]
    group = await _call(
        _catalog(request).create_group, who, env, new.key, new.name, order=new.order, group_id=new.id
    )  # fmt: skip
    return json_response(group_json(env, group), 201)


async def get_group(request: Request) -> Response:
    who = await _call(principal, request)
    env, group_id = request.path_params["environment"], request.path_params["group_id"]
    groups = await _call(_catalog(request).groups, who, env)
    group = next((g for g in groups if g.id == group_id), None)
    if group is None:
        raise ProblemError(Problem(404, f"No group '{group_id[:40]}' in environment '{env[:40]}'"))
    return json_response(group_json(env, group))


async def patch_group(request: Request) -> Response:
    who = await _call(principal, request)
    change = await body(request, GroupUpdate)
    env, group_id = request.path_params["environment"], request.path_params["group_id"]
    group = await _call(
        _catalog(request).update_group, who, env, group_id, name=change.name, order=change.order
    )
    return json_response(group_json(env, group))


async def delete_group(request: Request) -> Response:
    who = await _call(principal, request)
    env, group_id = request.path_params["environment"], request.path_params["group_id"]
    group = await _call(_catalog(request).delete_group, who, env, group_id)
    return json_response(group_json(env, group))


# -- items ---------------------------------------------------------------------------------


async def list_items(request: Request) -> Response:
    who = await _call(principal, request)
    views = await _call(_catalog(request).items, who, request.path_params["environment"])
    return json_response({"items": [catalog_item_json(view) for view in views]})


async def create_item(request: Request) -> Response:
    who = await _call(principal, request)
    new = await body(request, ItemCreate)
    item = NewItem(
        key=new.key,
        group=new.group,
        name=new.name,
        order=new.order,
        status_code=None if new.status_code is None else StatusCode(new.status_code),
        description=new.description,
        translations=_translations(new.translations),
    )
    view = await _call(_catalog(request).create_item, who, request.path_params["environment"], item)
    return json_response(catalog_item_json(view), 201)


async def get_item_definition(request: Request) -> Response:
    who = await _call(principal, request)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(_catalog(request).item, who, env, item_id)
    return json_response(catalog_item_json(view))


async def patch_item_definition(request: Request) -> Response:
    who = await _call(principal, request)
    change = await body(request, ItemDefinitionUpdate)
    given = change.model_fields_set
    translations = change.translations
    item_change = ItemChange(
        name=change.name,
        order=change.order,
        group=change.group,
        status_code=None if change.status_code is None else StatusCode(change.status_code),
        description=change.description if "description" in given else KEEP,
        translations=(
            KEEP
            if "translations" not in given
            else None
            if translations is None
            else _translations(translations)
        ),
    )
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(_catalog(request).update_item, who, env, item_id, item_change)
    return json_response(catalog_item_json(view))


async def delete_item(request: Request) -> Response:
    """DELETE on the item itself (whose GET and PATCH are the operator's, in `routes`)."""
    who = await _call(principal, request)
    env, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await _call(_catalog(request).delete_item, who, env, item_id)
    return json_response(catalog_item_json(view))


def catalog_routes(resource: Callable[..., Route], prefix: str) -> list[Route]:
    """The catalog's routes, each path made by `resource` (one route per path, every method in
    it) as the rest of the admin API's are. DELETE on an item is on the operator's item route."""
    env = prefix + "/dashboards/{environment}"
    return [
        resource(prefix + "/environments", get=list_environments, post=create_environment),
        resource(
            prefix + "/environments/{environment}",
            get=get_environment,
            patch=patch_environment,
            delete=delete_environment,
        ),
        resource(env + "/groups", get=list_groups, post=create_group),
        resource(env + "/groups/{group_id}", get=get_group, patch=patch_group, delete=delete_group),
        resource(env + "/items", get=list_items, post=create_item),
        resource(
            env + "/items/{item_id}/definition",
            get=get_item_definition,
            patch=patch_item_definition,
        ),
    ]
