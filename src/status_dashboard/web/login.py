"""Signing in and out. Failed attempts are throttled per address and per name, and every
failure says the same thing, so the form does not tell which user names exist."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from status_dashboard.domain.accounts import Principal
from status_dashboard.service.sessions import MAX_NAME, MustWait, SignedIn
from status_dashboard.web import csrf, forms
from status_dashboard.web.context import Ui
from status_dashboard.web.guard import call, confirmed, page, public, read_form
from status_dashboard.web.session import sign_in, sign_out

log = logging.getLogger(__name__)

FAILED = "The user name or password is not right."


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: only a path of this UI, never another site."""
    if raw and raw.startswith("/admin") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return "/admin"


async def login_form(request: Request, ui: Ui) -> Response:
    if await confirmed(ui, request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _form(request, ui, next_=safe_next(request.query_params.get("next")))


async def login(request: Request, ui: Ui) -> Response:
    form = await read_form(request)
    csrf.check(request, form)
    name, password = forms.text(form, "name").strip(), forms.text(form, "password")
    next_ = safe_next(forms.text(form, "next"))
    # The peer, or the client a trusted proxy names (api/forwarded.py rewrote the scope).
    address = request.client.host if request.client else "unknown"
    outcome = await call(ui.sessions.sign_in, name, password, address)
    if isinstance(outcome, MustWait):
        return _wait_page(request, ui, outcome, address)
    if not isinstance(outcome, SignedIn):
        log.info("event=login_failed address=%s", address)
        return _form(request, ui, next_=next_, name=name, error=FAILED, status=400)
    sign_in(request, outcome.user)
    log.info("event=login user=%s", outcome.user.name)
    return RedirectResponse(next_, status_code=303)


def _wait_page(request: Request, ui: Ui, outcome: MustWait, address: str) -> Response:
    headers = {"Retry-After": str(outcome.seconds)}
    if outcome.busy:
        log.warning("event=login_busy address=%s", address)
        return ui.pages.error(
            request, 503, "Busy",
            "Too many sign-ins are being checked at this moment. Try again in a second.",
            headers=headers,
        )  # fmt: skip
    log.warning("event=login_throttled address=%s wait_s=%s", address, outcome.seconds)
    return ui.pages.error(
        request, 429, "Too many attempts",
        f"Too many failed sign-ins. Try again in {_duration(outcome.seconds)}.",
        headers=headers,
    )  # fmt: skip


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


async def logout(request: Request, ui: Ui, who: Principal) -> Response:
    # Every session of the user ends, not only this browser's: a copied cookie dies with it.
    await call(ui.sessions.sign_out, who)
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
