"""What happened and who called: the audit log (admins) and each environment's client register."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal
from status_dashboard.domain.audit import AuditQuery
from status_dashboard.service.accounts import InvalidInput
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page
from status_dashboard.web.paging import cursor_of, next_url

AUDIT_PAGE = 50
CLIENTS_PAGE = 100
FILTERS = ("actor", "action", "target")
MAX_FILTER = 200


async def audit_log(request: Request, ui: Ui, who: Principal) -> Response:
    filters = {name: request.query_params.get(name, "").strip()[:MAX_FILTER] for name in FILTERS}
    for name, value in filters.items():
        # PostgreSQL cannot compare text holding a NUL (it errs); nothing stored holds one.
        if "\x00" in value:
            raise InvalidInput(name, "must not contain a NUL character")
    query = AuditQuery(
        actor=filters["actor"] or None,
        action=filters["action"] or None,
        target=filters["target"] or None,
    )
    entries = await call(ui.operations.audit_entries, who, query, cursor_of(request), AUDIT_PAGE)
    return ui.pages.render(
        request,
        "audit.html",
        section="audit",
        entries=entries.entries,
        filters=filters,
        older=next_url(request, entries.next_cursor),
    )


async def clients(request: Request, ui: Ui, who: Principal) -> Response:
    environment = request.path_params["environment"]
    page = await call(ui.operations.clients, who, environment, cursor_of(request), CLIENTS_PAGE)
    return ui.pages.render(
        request,
        "clients.html",
        section="clients",
        environment=environment,
        records=page.entries,
        more=next_url(request, page.next_cursor),
        first_page=cursor_of(request) is None,
        page_size=CLIENTS_PAGE,
    )


def routes(ui: Ui) -> list[Route]:
    return [
        Route("/admin/audit", page(ui, audit_log), methods=["GET"]),
        Route("/admin/env/{environment}/clients", page(ui, clients), methods=["GET"]),
    ]
