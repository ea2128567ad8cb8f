"""One item's page: what the public sees and why, its override, and its history."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.web.board_data import RowProblem
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page
from status_dashboard.web.paging import cursor_of, next_url

HISTORY_PAGE = 25


async def show_item(
    request: Request,
    ui: Ui,
    who: Principal,
    *,
    problem: RowProblem | None = None,
    status: int = 200,
) -> Response:
    environment, item_id = request.path_params["environment"], request.path_params["item_id"]
    view = await call(ui.operations.item, who, environment, item_id)
    history = await call(
        ui.operations.history, who, environment, item_id, cursor_of(request), HISTORY_PAGE
    )
    return ui.pages.render(
        request,
        "item.html",
        status=status,
        section="board",
        environment=environment,
        view=view,
        history=history,
        older=next_url(request, history.next_cursor),
        can_change=who.may(Role.OPERATOR, environment),
        problem=problem,
    )


async def item_page(request: Request, ui: Ui, who: Principal) -> Response:
    return await show_item(request, ui, who)


def routes(ui: Ui) -> list[Route]:
    return [
        Route("/admin/env/{environment}/items/{item_id}", page(ui, item_page), methods=["GET"]),
    ]
