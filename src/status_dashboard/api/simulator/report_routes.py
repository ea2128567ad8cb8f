"""The simulator's conformance report over HTTP, for programs and for people.

    GET    /api/v1/simulator/report                    every client, as summaries
    GET    /api/v1/simulator/report?user_agent=UA      one client's report (404 when unknown)
    DELETE /api/v1/simulator/report?user_agent=UA      forget that client: its next run starts clean
    GET    /simulator/report[?user_agent=UA]           the same as HTML pages
    GET    /simulator/static/report.css                the pages' stylesheet

`user_agent` is the exact User-Agent the client sent; an empty value names the requests that
sent none. DELETE answers 204 whether or not the client was known: afterwards it is not.

The pages are rendered here rather than by `web`, a sibling layer this one may not import; the
templates and the stylesheet still live with the others, under `web/templates/simulator/` and
`web/static/simulator/`. They need no script, and carry their own security headers because the
simulator's app has no page middleware.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from status_dashboard.api.problems import InputIssue, Problem, ProblemError
from status_dashboard.service.simulator.conformance import ConformanceBook

REPORT_PATH = "/api/v1/simulator/report"
PAGE_PATH = "/simulator/report"
STYLESHEET_PATH = "/simulator/static/report.css"
PARAMETER = "user_agent"

_WEB = Path(__file__).resolve().parents[2] / "web"
TEMPLATES = _WEB / "templates" / "simulator"
STYLESHEET = _WEB / "static" / "simulator" / "report.css"

ZONE = ZoneInfo("Europe/Brussels")
"""Partners read times in Brussels time, as on the status pages."""
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_STATUS_ICONS = {"pass": "✔", "warn": "▲", "fail": "✖", "untested": "–"}
_STATUS_WORDS = {"pass": "pass", "warn": "warning", "fail": "fail", "untested": "not tested"}


@dataclass(frozen=True, slots=True)
class _Asked:
    """The client a request names: `identity` None is the one that sent no User-Agent."""

    identity: str | None


def report_routes(book: ConformanceBook) -> list[BaseRoute]:
    pages = _Pages()

    async def report_api(request: Request) -> Response:
        asked = _asked(request)
        if request.method == "DELETE":
            if asked is None:
                issue = InputIssue("query", PARAMETER, "is required: the User-Agent to forget")
                raise ProblemError(
                    Problem(400, f"the query parameter {PARAMETER} is missing", (issue,))
                )
            book.forget(asked.identity)
            return Response(status_code=204, headers={"Cache-Control": "no-store"})
        if asked is None:
            document: dict[str, Any] = {
                "clients": [
                    {**report.summary(), "report": report_href(REPORT_PATH, report.identity)}
                    for report in book.clients()
                ]
            }
            return _json(document)
        report = book.report(asked.identity)
        if report is None:
            raise ProblemError(Problem(404, _unknown(asked.identity)))
        return _json(report.document())

    async def report_page(request: Request) -> Response:
        try:
            asked = _asked(request)
        except ProblemError as exc:
            return pages.error(400, "Bad request", exc.problem.detail or "")
        if asked is None:
            clients = [
                {"report": report, "href": report_href(PAGE_PATH, report.identity)}
                for report in book.clients()
            ]
            return pages.render("clients.html", current="list", clients=clients)
        report = book.report(asked.identity)
        if report is None:
            return pages.error(404, "Unknown client", _unknown(asked.identity))
        return pages.render(
            "client.html",
            current="client",
            report=report,
            api_href=report_href(REPORT_PATH, report.identity),
            base_url=str(request.base_url).rstrip("/"),
        )

    async def stylesheet(request: Request) -> Response:
        return Response(
            pages.stylesheet,
            media_type="text/css; charset=utf-8",
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route(REPORT_PATH, report_api, methods=["GET", "HEAD", "DELETE"]),
        Route(PAGE_PATH, report_page, methods=["GET", "HEAD"]),
        Route(STYLESHEET_PATH, stylesheet, methods=["GET", "HEAD"]),
    ]


def report_href(path: str, identity: str | None) -> str:
    """The address of one client's report under `path` (the API's or the page's)."""
    return f"{path}?{urlencode({PARAMETER: identity or ''})}"


def _asked(request: Request) -> _Asked | None:
    """The client named by the query, or None when it names none."""
    values = request.query_params.getlist(PARAMETER)
    if not values:
        return None
    if len(values) > 1:
        issue = InputIssue("query", PARAMETER, "must be given once")
        raise ProblemError(
            Problem(400, f"the query parameter {PARAMETER} is given {len(values)} times", (issue,))
        )
    return _Asked(values[0] or None)


def _unknown(identity: str | None) -> str:
    who = "an empty user_agent" if identity is None else f"user_agent '{identity[:200]}'"
    return f"No client with {who} has called the simulator since it started or forgot it"


def _json(document: dict[str, Any]) -> Response:
    return Response(
        orjson.dumps(document), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


def _moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S %Z")


class _Pages:
    """The report's templates and stylesheet, read once when the routes are built."""

    def __init__(self) -> None:
        self._jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,  # a typo in a template is a bug, not a blank
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._jinja.filters["moment"] = _moment
        self._jinja.globals.update(ICONS=_STATUS_ICONS, WORDS=_STATUS_WORDS, list_href=PAGE_PATH)
        self.stylesheet = STYLESHEET.read_bytes()
        version = hashlib.sha256(self.stylesheet).hexdigest()[:10]
        self._jinja.globals["stylesheet"] = f"{STYLESHEET_PATH}?v={version}"

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        body = self._jinja.get_template(template).render(**context)
        return HTMLResponse(body, status, headers=_PAGE_HEADERS)

    def error(self, status: int, title: str, message: str) -> HTMLResponse:
        return self.render(
            "error.html", status=status, current="error", title=title, message=message
        )
