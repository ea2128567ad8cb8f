"""Maintenance windows: upcoming, running and past; scheduling, editing and cancelling one.

Start and end are typed as `datetime-local` values, read in Brussels time (forms.local_moment).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.errors import ConflictError, NotFoundError
from status_dashboard.domain.operations import MaintenanceWindow
from status_dashboard.service.accounts import InvalidInput, require
from status_dashboard.web import forms
from status_dashboard.web.board_data import environment_board
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page, read_form
from status_dashboard.web.paging import cursor_of, next_url, path_id
from status_dashboard.web.render import local_input
from status_dashboard.web.session import flash

PAGE = 50


async def window_list(request: Request, ui: Ui, who: Principal) -> Response:
    environment = request.path_params["environment"]
    listing = await call(
        ui.operations.maintenance, who, environment, True, cursor_of(request), PAGE
    )
    now = datetime.now(UTC)
    windows = list(listing.entries)
    return ui.pages.render(
        request,
        "maintenance.html",
        section="maintenance",
        environment=environment,
        running=[w for w in windows if w.active(now)],
        upcoming=sorted(
            (w for w in windows if w.cancelled_at is None and w.starts_at > now),
            key=lambda w: w.starts_at,
        ),
        past=[w for w in windows if w.cancelled_at is not None or w.ends_at <= now],
        older=next_url(request, listing.next_cursor),
        can_change=who.may(Role.OPERATOR, environment),
    )


async def new_window(request: Request, ui: Ui, who: Principal) -> Response:
    return await _window_form(request, ui, who, None, {}, {}, 200)


async def edit_window(request: Request, ui: Ui, who: Principal) -> Response:
    window = await _find(request, ui, who)
    return await _window_form(request, ui, who, window.id, _values(window), {}, 200)


async def schedule(request: Request, ui: Ui, who: Principal) -> Response:
    return await _save(request, ui, who, None)


async def update(request: Request, ui: Ui, who: Principal) -> Response:
    return await _save(request, ui, who, path_id(request, "window_id"))


async def cancel(request: Request, ui: Ui, who: Principal) -> Response:
    environment = request.path_params["environment"]
    window = await call(
        ui.operations.cancel_maintenance, who, environment, path_id(request, "window_id")
    )
    flash(request, f"Maintenance “{window.title}” cancelled.")
    return RedirectResponse(f"/admin/env/{environment}/maintenance", status_code=303)


async def _save(request: Request, ui: Ui, who: Principal, window_id: int | None) -> Response:
    environment = request.path_params["environment"]
    form = await read_form(request)
    try:
        window = await call(
            ui.operations.schedule_maintenance,
            who, environment, forms.text(form, "title"),
            forms.local_moment(form, "starts_at", required=True),
            forms.local_moment(form, "ends_at", required=True),
            forms.item_ids(form), forms.impact(form), forms.optional_text(form, "description"),
            window_id,
        )  # fmt: skip
    except InvalidInput as exc:
        return await _window_form(
            request, ui, who, window_id, _typed(form), {exc.field: exc.detail}, 400
        )
    except ConflictError as exc:  # e.g. editing a window that was cancelled meanwhile
        return await _window_form(
            request, ui, who, window_id, _typed(form), {"title": str(exc)}, 409
        )
    flash(request, f"Maintenance “{window.title}” {'saved' if window_id else 'scheduled'}.")
    return RedirectResponse(f"/admin/env/{environment}/maintenance", status_code=303)


async def _find(request: Request, ui: Ui, who: Principal) -> MaintenanceWindow:
    environment, window_id = request.path_params["environment"], path_id(request, "window_id")
    # Listings are newest first by id: a cursor just past the id starts at the window itself.
    listing = await call(ui.operations.maintenance, who, environment, True, window_id + 1, 1)
    for window in listing.entries:
        if window.id == window_id:
            return window
    raise NotFoundError(f"No maintenance window #{window_id} in environment '{environment}'")


async def _window_form(
    request: Request,
    ui: Ui,
    who: Principal,
    window_id: int | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int,
) -> Response:
    environment = request.path_params["environment"]
    require(who, Role.OPERATOR, environment)
    boards = await call(environment_board, ui.operations, who, environment)
    return ui.pages.render(
        request,
        "maintenance_form.html",
        status=status,
        section="maintenance",
        environment=environment,
        window_id=window_id,
        boards=boards,
        values=values,
        errors=errors,
    )


def _values(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "title": window.title,
        "starts_at": local_input(window.starts_at),
        "ends_at": local_input(window.ends_at),
        "impact": window.impact.value,
        "description": window.description or "",
        "item_ids": window.item_ids,
    }


def _typed(form: FormData) -> dict[str, Any]:
    typed: dict[str, Any] = {
        name: forms.text(form, name)
        for name in ("title", "starts_at", "ends_at", "impact", "description")
    }
    typed["item_ids"] = forms.item_ids(form)
    return typed


def routes(ui: Ui) -> list[Route]:
    base = "/admin/env/{environment}/maintenance"
    return [
        Route(base, page(ui, window_list), methods=["GET"]),
        Route(base, page(ui, schedule), methods=["POST"]),
        Route(base + "/new", page(ui, new_window), methods=["GET"]),
        Route(base + "/{window_id}/edit", page(ui, edit_window), methods=["GET"]),
        Route(base + "/{window_id}", page(ui, update), methods=["POST"]),
        Route(base + "/{window_id}/cancel", page(ui, cancel), methods=["POST"]),
    ]
