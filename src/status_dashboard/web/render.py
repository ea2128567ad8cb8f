"""Pages from Jinja2 templates (autoescaped), with what every page shows: who is signed in, the
environment tabs, the CSRF token for its forms, and a one-time notice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from status_dashboard.domain.status import StatusCode
from status_dashboard.web import csrf
from status_dashboard.web.board_data import shown
from status_dashboard.web.session import signed_in, take_flash

ZONE = ZoneInfo("Europe/Brussels")
"""Operators read and type times in Brussels time; stored moments stay in UTC."""

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

# Status is never shown by colour alone: each code has an icon and a word too.
_ICONS = {StatusCode.OPERATIONAL: "✔", StatusCode.DISRUPTED: "✖", StatusCode.UNKNOWN: "?"}


def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S %Z")


def local_input(value: datetime | None) -> str:
    """A moment as a `datetime-local` field's value, in Brussels time."""
    if value is None:
        return ""
    return value.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def status_icon(code: StatusCode) -> str:
    return _ICONS[StatusCode(code)]


def status_label(code: StatusCode) -> str:
    return StatusCode(code).label


class Pages:
    def __init__(self, environment_keys: Callable[[], Sequence[str]]) -> None:
        self._environment_keys = environment_keys
        self._jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,  # a typo in a template is a bug, not a blank
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._jinja.filters.update(
            moment=moment, local_input=local_input, icon=status_icon, label=status_label
        )
        self._jinja.globals["STATUSES"] = list(StatusCode)
        self._jinja.globals["csrf_field"] = csrf.FIELD
        self._jinja.globals["shown"] = shown

    def environment_keys(self) -> list[str]:
        return list(self._environment_keys())

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        context.setdefault("environment", None)
        context.setdefault("errors", {})
        body = self._jinja.get_template(template).render(
            request_path=request.url.path,
            me=signed_in(request),
            csrf=csrf.token(request),
            environments=self.environment_keys(),
            notice=take_flash(request),
            **context,
        )
        return HTMLResponse(body, status, headers=dict(headers or {}))

    def error(
        self,
        request: Request,
        status: int,
        title: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        return self.render(
            request, "error.html", status=status, headers=headers, title=title, message=message
        )
