"""Incidents: the list (open first), opening one, and its page with the timeline and updates."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.errors import ConflictError, NotFoundError
from status_dashboard.service.accounts import InvalidInput, require
from status_dashboard.web import forms
from status_dashboard.web.board_data import environment_board, item_names
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page, read_form
from status_dashboard.web.paging import cursor_of, next_url, path_id
from status_dashboard.web.session import flash

PAGE = 25
OPEN_SHOWN = 200
STATES = ("investigating", "identified", "monitoring", "resolved")


async def incident_list(request: Request, ui: Ui, who: Principal) -> Response:
    environment = request.path_params["environment"]
    opened = await call(ui.operations.incidents, who, environment, True, None, OPEN_SHOWN)
    listing = await call(ui.operations.incidents, who, environment, False, cursor_of(request), PAGE)
    return ui.pages.render(
        request,
        "incidents.html",
        section="incidents",
        environment=environment,
        opened=opened.entries,
        resolved=[incident for incident in listing.entries if not incident.open],
        older=next_url(request, listing.next_cursor),
        can_change=who.may(Role.OPERATOR, environment),
    )


async def new_incident(request: Request, ui: Ui, who: Principal) -> Response:
    return await _incident_form(request, ui, who, {}, {}, 200)


async def open_incident(request: Request, ui: Ui, who: Principal) -> Response:
    environment = request.path_params["environment"]
    form = await read_form(request)
    try:
        incident = await call(
            ui.operations.open_incident,
            who, environment, forms.text(form, "title"), forms.impact(form), forms.item_ids(form),
            forms.text(form, "message"), forms.incident_state(form),
        )  # fmt: skip
    except InvalidInput as exc:
        return await _incident_form(request, ui, who, _typed(form), {exc.field: exc.detail}, 400)
    except NotFoundError as exc:  # an item that is not in this environment
        return await _incident_form(request, ui, who, _typed(form), {"item_ids": str(exc)}, 400)
    flash(request, f"Incident #{incident.id} opened.")
    return RedirectResponse(f"/admin/env/{environment}/incidents/{incident.id}", status_code=303)


async def incident_page(request: Request, ui: Ui, who: Principal) -> Response:
    return await _show_incident(request, ui, who, {}, None, 200)


async def post_update(request: Request, ui: Ui, who: Principal) -> Response:
    environment, incident_id = request.path_params["environment"], path_id(request, "incident_id")
    form = await read_form(request)
    try:
        incident = await call(
            ui.operations.update_incident,
            who, environment, incident_id, forms.incident_state(form), forms.text(form, "message"),
        )  # fmt: skip
    except InvalidInput as exc:
        return await _show_incident(request, ui, who, {exc.field: exc.detail}, form, 400)
    except ConflictError as exc:
        return await _show_incident(request, ui, who, {"state": str(exc)}, form, 409)
    flash(request, f"Incident #{incident.id}: {incident.state.value}.")
    return RedirectResponse(f"/admin/env/{environment}/incidents/{incident.id}", status_code=303)


async def _incident_form(
    request: Request,
    ui: Ui,
    who: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response:
    environment = request.path_params["environment"]
    require(who, Role.OPERATOR, environment)
    boards = await call(environment_board, ui.operations, who, environment)
    return ui.pages.render(
        request,
        "incident_new.html",
        status=status,
        section="incidents",
        environment=environment,
        boards=boards,
        values=values,
        errors=errors,
        states=STATES[:-1],
    )


async def _show_incident(
    request: Request,
    ui: Ui,
    who: Principal,
    errors: dict[str, str],
    form: FormData | None,
    status: int,
) -> Response:
    environment, incident_id = request.path_params["environment"], path_id(request, "incident_id")
    incident = await call(ui.operations.incident, who, environment, incident_id)
    names = item_names(await call(environment_board, ui.operations, who, environment))
    return ui.pages.render(
        request,
        "incident.html",
        status=status,
        section="incidents",
        environment=environment,
        incident=incident,
        names=names,
        states=STATES,
        errors=errors,
        values=_typed(form) if form is not None else {},
        can_change=who.may(Role.OPERATOR, environment) and incident.open,
    )


def _typed(form: FormData) -> dict[str, Any]:
    typed: dict[str, Any] = {
        name: forms.text(form, name) for name in ("title", "impact", "message", "state")
    }
    typed["item_ids"] = forms.item_ids(form)
    return typed


def routes(ui: Ui) -> list[Route]:
    base = "/admin/env/{environment}/incidents"
    return [
        Route(base, page(ui, incident_list), methods=["GET"]),
        Route(base, page(ui, open_incident), methods=["POST"]),
        Route(base + "/new", page(ui, new_incident), methods=["GET"]),
        Route(base + "/{incident_id}", page(ui, incident_page), methods=["GET"]),
        Route(base + "/{incident_id}/updates", page(ui, post_update), methods=["POST"]),
    ]
