"""Signing in and out. Failed attempts are throttled per address and per name, and every
failure says the same thing, so the form does not tell which user names exist."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal
from status_dashboard.web import csrf, forms
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, page, public, read_form
from status_dashboard.web.ratelimit import login_keys
from status_dashboard.web.session import sign_in, sign_out, signed_in

log = logging.getLogger(__name__)

FAILED = "The user name or password is not right."
MAX_NAME = 64
MAX_PASSWORD = 1024
"""Longer passwords are refused unhashed: argon2 over megabytes is a cheap way to load a server."""


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: only a path of this UI, never another site."""
    if raw and raw.startswith("/admin") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/admin"


async def login_form(request: Request, ui: Ui) -> Response:
    if signed_in(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form(request, ui, next_=safe_next(request.query_params.get("next")))


async def login(request: Request, ui: Ui) -> Response:
    form = await read_form(request)
    csrf.check(request, form)
    name, password = forms.text(form, "name").strip(), forms.text(form, "password")
    next_ = safe_next(forms.text(form, "next"))
    address = request.client.host if request.client else "unknown"
    keys = login_keys(address, name)
    wait = ui.throttle.retry_after(keys)
    if wait:
        log.warning("event=login_throttled address=%s", address)
        return ui.pages.error(
            request, 429, "Too many attempts",
            f"Too many failed sign-ins. Try again in {(wait + 59) // 60} minute(s).",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    principal = None
    if name and len(name) <= MAX_NAME and 0 < len(password) <= MAX_PASSWORD:
        principal = await call(ui.accounts.verify_password, name, password)
    if principal is None:
        ui.throttle.failed(keys)
        log.info("event=login_failed address=%s", address)
        return _form(request, ui, next_=next_, name=name, error=FAILED, status=400)
    ui.throttle.succeeded(keys[1:])  # the name's count; the address keeps its failures
    sign_in(request, principal)
    log.info("event=login user=%s", principal.name)
    return RedirectResponse(next_, status_code=303)


async def logout(request: Request, ui: Ui, who: Principal) -> Response:
    sign_out(request)
    return RedirectResponse("/admin/login", status_code=303)


def _form(
    request: Request,
    ui: Ui,
    *,
    next_: str,
    name: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    return ui.pages.render(
        request, "login.html", status=status, next=next_, name=name[:MAX_NAME], error=error
    )


def routes(ui: Ui) -> list[Route]:
    return [
        Route("/admin/login", public(ui, login_form), methods=["GET"]),
        Route("/admin/login", public(ui, login), methods=["POST"]),
        Route("/admin/logout", page(ui, logout), methods=["POST"]),
    ]
