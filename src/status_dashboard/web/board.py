"""The board: every item of an environment by group, and setting or clearing an operator
override from its row (two clicks: choose the status, Set)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.errors import ConflictError
from status_dashboard.service.accounts import InvalidInput
from status_dashboard.web import forms
from status_dashboard.web.board_data import RowProblem, environment_board
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page, read_form
from status_dashboard.web.items import show_item
from status_dashboard.web.session import flash


def default_environment(ui: Ui) -> str:
    keys = ui.pages.environment_keys()
    return keys[0] if keys else "prod"


async def show_board(
    request: Request,
    ui: Ui,
    who: Principal,
    environment: str,
    *,
    problem: RowProblem | None = None,
    status: int = 200,
) -> Response:
    boards = await call(environment_board, ui.operations, who, environment)
    return ui.pages.render(
        request,
        "board.html",
        status=status,
        section="board",
        environment=environment,
        boards=boards,
        can_change=who.may(Role.OPERATOR, environment),
        problem=problem,
    )


async def board_home(request: Request, ui: Ui, who: Principal) -> Response:
    return await show_board(request, ui, who, default_environment(ui))


async def board(request: Request, ui: Ui, who: Principal) -> Response:
    return await show_board(request, ui, who, request.path_params["environment"])


async def set_override(request: Request, ui: Ui, who: Principal) -> Response:
    environment, item_id = request.path_params["environment"], request.path_params["item_id"]
    form = await read_form(request)
    typed = {name: forms.text(form, name) for name in ("status_code", "description", "expires_at")}
    try:
        view = await call(
            ui.operations.set_override,
            who, environment, item_id, forms.status(form), forms.optional_text(form, "description"),
            forms.local_moment(form, "expires_at", required=False), forms.optional_text(form, "version"),
        )  # fmt: skip
    except InvalidInput as exc:
        problem = RowProblem(item_id, f"Not set: {exc.detail}", {exc.field: exc.detail}, typed)
        return await _refused(request, ui, who, problem, 400, form.get("back"))
    except ConflictError:
        return await _refused(request, ui, who, _conflict(item_id), 409, form.get("back"))
    flash(request, f"{view.item.name}: set to {forms.status(form).label}.")
    return _back(request, form.get("back"), environment, item_id)


async def clear_override(request: Request, ui: Ui, who: Principal) -> Response:
    environment, item_id = request.path_params["environment"], request.path_params["item_id"]
    form = await read_form(request)
    try:
        view = await call(
            ui.operations.clear_override,
            who, environment, item_id, forms.optional_text(form, "version"),
        )  # fmt: skip
    except ConflictError:
        return await _refused(request, ui, who, _conflict(item_id), 409, form.get("back"))
    flash(request, f"{view.item.name}: override cleared.")
    return _back(request, form.get("back"), environment, item_id)


def _conflict(item_id: str) -> RowProblem:
    return RowProblem(
        item_id,
        "Someone else changed this item since you loaded the page, so nothing was changed. "
        "Its current values are shown; choose again and Set.",
    )


async def _refused(
    request: Request, ui: Ui, who: Principal, problem: RowProblem, status: int, back: object
) -> Response:
    """The page the form came from again, with the problem in the form's row."""
    if back == "item":
        return await show_item(request, ui, who, problem=problem, status=status)
    environment = request.path_params["environment"]
    return await show_board(request, ui, who, environment, problem=problem, status=status)


def _back(request: Request, back: object, environment: str, item_id: str) -> Response:
    # Only two fixed places to go back to: a form cannot send the browser anywhere else.
    if back == "item":
        return RedirectResponse(f"/admin/env/{environment}/items/{item_id}", status_code=303)
    return RedirectResponse(f"/admin/env/{environment}#item-{item_id}", status_code=303)


def routes(ui: Ui) -> list[Route]:
    item = "/admin/env/{environment}/items/{item_id}"
    return [
        Route("/admin", page(ui, board_home), methods=["GET"]),
        Route("/admin/env/{environment}", page(ui, board), methods=["GET"]),
        Route(item + "/override", page(ui, set_override), methods=["POST"]),
        Route(item + "/clear", page(ui, clear_override), methods=["POST"]),
    ]
