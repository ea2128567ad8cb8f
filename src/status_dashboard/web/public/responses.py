"""Answers of the public pages: security headers on each, conditional GET, a page cache.

The admin side has its own middleware (web.headers) for /admin; the public pages stamp their
headers here, per answer, so that nothing else the application serves is touched.
"""

from __future__ import annotations

from collections import OrderedDict
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


PAGE_CACHE_BYTES = 32 * 1024 * 1024
"""What the rendered pages may hold, all three encodings counted: about fifty overview pages of
a large catalog. Past it the page least recently asked for goes first."""

Generation = tuple[int | None, int]
"""What a page was rendered for, besides its address: (revision, minute)."""


@dataclass(frozen=True, slots=True)
class _Kept:
    generation: Generation
    encoded: Encoded
    size: int


class PageCache:
    """The latest rendered page of each address (page, language), with what it was rendered for.

    A page is served while its revision and minute are the current ones; after that only as the
    last good page, while the store is unavailable. So one page per address is all that can
    still be served: a newer render replaces it at once rather than sitting beside it, and the
    whole is bounded in bytes (each page is a few hundred kilobytes in three encodings), the
    least recently asked for address going first.
    """

    def __init__(self, max_bytes: int = PAGE_CACHE_BYTES) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()

    def get(self, address: Hashable, generation: Generation) -> Encoded | None:
        """The page of `address` rendered for `generation`, if it is the one kept."""
        kept = self._kept.get(address)
        if kept is None or kept.generation != generation:
            return None
        self._kept.move_to_end(address)
        return kept.encoded

    def last_good(self, address: Hashable) -> Encoded | None:
        """The latest page of `address`, whatever it was rendered for."""
        kept = self._kept.get(address)
        return None if kept is None else kept.encoded

    def put(self, address: Hashable, generation: Generation, encoded: Encoded) -> None:
        """Keep `encoded` as the page of `address`, unless a newer render of it is kept already
        (a slow render that finished late)."""
        held = self._kept.get(address)
        if held is not None and _older(generation, held.generation):
            return
        size = encoded_size(encoded)
        if held is not None:
            self._forget(address, held)
        if size > self._max_bytes:
            return
        while self._kept and self._bytes + size > self._max_bytes:
            oldest, kept = next(iter(self._kept.items()))
            self._forget(oldest, kept)
        self._kept[address] = _Kept(generation, encoded, size)
        self._bytes += size

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._kept)

    def _forget(self, address: Hashable, kept: _Kept) -> None:
        del self._kept[address]
        self._bytes -= kept.size


def encoded_size(encoded: Encoded) -> int:
    return len(encoded.identity.body) + len(encoded.gzip.body) + len(encoded.brotli.body)


def _older(generation: Generation, than: Generation) -> bool:
    """Rendered before `than`: neither the revision nor the minute goes back, so a generation
    behind in either was read before the other."""
    (revision, minute), (held_revision, held_minute) = generation, than
    if minute < held_minute:
        return True
    return revision is not None and held_revision is not None and revision < held_revision
