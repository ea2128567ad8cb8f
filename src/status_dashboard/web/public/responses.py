"""Answers of the public pages: security headers on each, conditional GET, a page cache.

The admin side has its own middleware (web.headers) for /admin; the public pages stamp their
headers here, per answer, so that nothing else the application serves is touched.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from status_dashboard.web.public.encoding import Encoded, Representation, etag_matches
from status_dashboard.web.public.i18n import COOKIE, COOKIE_MAX_AGE_S

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
HSTS = "max-age=31536000"
HTML = "text/html; charset=utf-8"
PAGE_CACHE_CONTROL = "no-cache"
"""Pages may be kept, but must be checked (If-None-Match) before each use: the status moves."""
PAGE_VARY = "Accept-Encoding, Accept-Language, Cookie"


@dataclass(frozen=True, slots=True)
class Choice:
    """What the request asked for that shapes the answer's headers."""

    language: str
    remember_language: bool


def security_headers(request: Request) -> dict[str, str]:
    headers = dict(SECURITY_HEADERS)
    if request.url.scheme == "https":
        headers["strict-transport-security"] = HSTS
    return headers


def represented(
    request: Request,
    encoded: Encoded,
    *,
    status: int,
    media_type: str,
    headers: dict[str, str],
) -> Response:
    """The representation the request accepts, or 304 when it holds it already (200s only)."""
    chosen: Representation = encoded.choose(request.headers.get("accept-encoding", ""))
    headers = {**headers, "etag": chosen.etag}
    if status == 200 and etag_matches(request.headers.get("if-none-match", ""), chosen.etag):
        return Response(status_code=304, headers=headers)
    if chosen.coding is not None:
        headers["content-encoding"] = chosen.coding
    headers["content-type"] = media_type
    headers["content-length"] = str(len(chosen.body))
    body = b"" if request.method == "HEAD" else chosen.body
    return Response(body, status, headers)


def page_response(
    request: Request, encoded: Encoded, choice: Choice, status: int = 200
) -> Response:
    headers = {
        **security_headers(request),
        "cache-control": PAGE_CACHE_CONTROL,
        "vary": PAGE_VARY,
        "content-language": choice.language,
    }
    response = represented(request, encoded, status=status, media_type=HTML, headers=headers)
    if choice.remember_language:
        response.set_cookie(
            COOKIE,
            choice.language,
            max_age=COOKIE_MAX_AGE_S,
            path="/",
            samesite="lax",
            secure=request.url.scheme == "https",
            httponly=True,
        )
    return response


class PageCache:
    """Rendered pages by what makes them differ (page, language, revision, minute).

    Bounded: past `max_entries` it starts again empty, which costs one render per page in use
    and keeps a scan of many addresses from growing the process.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self._max_entries = max_entries
        self._entries: dict[Hashable, Encoded] = {}

    def get(self, key: Hashable) -> Encoded | None:
        return self._entries.get(key)

    def put(self, key: Hashable, value: Encoded) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries = {}
        self._entries[key] = value

    def __len__(self) -> int:
        return len(self._entries)
