"""The public status pages as routes:

    /                    the default environment (PROD)      /{env}            any other one
    /history             its incident history, paginated     /{env}/history    another's
    /items/{item_id}     one item: status, bars, history, incidents
    /static/{name}       the pages' CSS and script, fingerprinted and immutable

A page is rendered once per (page, language, revision, minute) and served from memory until one
of these moves (then only the newest page of each address and language is kept, bounded in
bytes): the revision changes with every change the public sees, and the minute moves the
relative times ("5 min ago") and, at most as often, the uptime figures. Readers who ask for a
page while it is being rendered wait for that render rather than start their own, so a change
or the turn of a minute costs one render per page, not one per reader asking at that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from status_dashboard.domain import ids
from status_dashboard.domain.ids import ITEM_ID_PATTERN, KEY_PATTERN
from status_dashboard.service.status_page import StatusPage
from status_dashboard.web.public.assets import IMMUTABLE, PREFIX, Assets
from status_dashboard.web.public.encoding import Encoded, encode
from status_dashboard.web.public.i18n import COOKIE, choose_language
from status_dashboard.web.public.pages import PublicPages, Where
from status_dashboard.web.public.responses import (
    Choice,
    Generation,
    PageCache,
    page_response,
    represented,
    security_headers,
)

HISTORY_PAGE_SIZE = 10
CHANGES_PAGE_SIZE = 20
RESERVED = ids.RESERVED_PATH_SEGMENTS
_MAX_CURSOR_DIGITS = 18

Build = Callable[[Where, datetime], tuple[int, bytes]]


def claims_environment(segment: str, known: Sequence[str]) -> bool:
    """Whether `/{segment}` is an environment's page (known, or an unknown one to answer 404).

    A segment with a dot is claimed only for a known environment, so that files such as
    `/robots.txt` or a feed `/prod.atom` stay free for whatever route serves them.
    """
    if segment in known:
        return True
    return (
        segment not in RESERVED
        and "." not in segment
        and KEY_PATTERN.fullmatch(segment) is not None
    )


class EnvironmentRoute(Route):
    """A route with an `{env}` segment that lets go of the segments it does not claim, so that
    the routes after it (the admin UI, the API) still get them."""

    def __init__(
        self, path: str, endpoint: Callable[..., Any], known: Callable[[], Sequence[str]]
    ) -> None:
        super().__init__(path, endpoint, methods=["GET", "HEAD"])
        self._known = known

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        segment, known = child["path_params"]["env"], self._known()
        if not claims_environment(segment, known):
            return Match.NONE, {}
        if segment not in known and not _wants_html(scope):
            # An unknown path asked by an API client gets the API's problem+json 404, not a page.
            return Match.NONE, {}
        return match, child


def _wants_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return b"text/html" in value
    return False


def parse_cursor(value: str | None) -> tuple[bool, int | None]:
    """(valid, cursor) of a `?before=` parameter: absent, or a positive whole number."""
    if value is None:
        return True, None
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_CURSOR_DIGITS:
        return False, None
    number = int(value)
    return (number > 0), (number if number > 0 else None)


class PublicSite:
    def __init__(
        self,
        page: StatusPage,
        pages: PublicPages,
        assets: Assets,
        *,
        clock: Callable[[], datetime],
        environment_keys: Callable[[], Sequence[str]],
    ) -> None:
        self._page = page
        self._pages = pages
        self._assets = assets
        self._clock = clock
        self._environment_keys = environment_keys
        self._cache = PageCache()
        """The latest page of each address and language: served while its revision and minute
        are current, and whatever they were while the database is unavailable, instead of an
        error."""
        self._rendering: dict[Hashable, asyncio.Future[tuple[int, Encoded]]] = {}
        """The renders under way, by address, language and generation: at most one each."""

    def routes(self) -> list[BaseRoute]:
        known = self._environment_keys
        return [
            Route("/", self.overview, methods=["GET", "HEAD"]),
            Route("/history", self.history, methods=["GET", "HEAD"]),
            Route("/items/{item_id}", self.item, methods=["GET", "HEAD"]),
            Route(PREFIX + "{name}", self.static, methods=["GET", "HEAD"]),
            EnvironmentRoute("/{env}", self.overview, known),
            EnvironmentRoute("/{env}/history", self.history, known),
        ]

    # -- pages -------------------------------------------------------------------------------

    async def overview(self, request: Request) -> Response:
        key: str | None = request.path_params.get("env")

        def build(where: Where, now: datetime) -> tuple[int, bytes]:
            data = self._page.overview(key)
            catalog = self._page.catalog()
            if data is None:
                return 404, self._pages.error(
                    404, "error.environment", catalog, where, now, key=key
                )
            return 200, self._pages.overview(data, catalog, where, now)

        return await self._answer(request, ("overview", key), build)

    async def history(self, request: Request) -> Response:
        key: str | None = request.path_params.get("env")
        valid, cursor = parse_cursor(request.query_params.get("before"))
        if not valid:
            return await self._bad_cursor(request)

        def build(where: Where, now: datetime) -> tuple[int, bytes]:
            data = self._page.incident_history(key, cursor, HISTORY_PAGE_SIZE)
            catalog = self._page.catalog()
            if data is None:
                return 404, self._pages.error(
                    404, "error.environment", catalog, where, now, key=key
                )
            return 200, self._pages.history(data, catalog, where, now)

        return await self._answer(request, ("history", key, cursor), build, cursor)

    async def item(self, request: Request) -> Response:
        item_id: str = request.path_params["item_id"]
        valid, cursor = parse_cursor(request.query_params.get("before"))
        if not valid:
            return await self._bad_cursor(request)

        def build(where: Where, now: datetime) -> tuple[int, bytes]:
            found = None
            if ITEM_ID_PATTERN.fullmatch(item_id):
                found = self._page.item_detail(item_id, cursor, CHANGES_PAGE_SIZE)
            catalog = self._page.catalog()
            if found is None:
                return 404, self._pages.error(404, "error.item", catalog, where, now)
            return 200, self._pages.item(found, catalog, where, now)

        return await self._answer(request, ("item", item_id, cursor), build, cursor)

    async def static(self, request: Request) -> Response:
        asset = self._assets.get(request.path_params["name"])
        headers = security_headers(request)
        if asset is None:
            return Response(
                b"Not found\n", 404, {**headers, "cache-control": "no-cache"}, "text/plain"
            )
        headers.update({"cache-control": IMMUTABLE, "vary": "Accept-Encoding"})
        return represented(
            request, asset.encoded, status=200, media_type=asset.media_type, headers=headers
        )

    # -- the common path ---------------------------------------------------------------------

    async def _answer(
        self,
        request: Request,
        target: tuple[Hashable, ...],
        build: Build,
        cursor: int | None = None,
    ) -> Response:
        choice = self._choice(request)
        now = self._clock()
        where = Where(request.url.path, choice.language, cursor)
        address = (*target, choice.language)
        generation = (self._page.revision(), int(now.timestamp() // 60))
        cached = self._cache.get(address, generation)
        if cached is not None:
            return page_response(request, cached, choice)
        try:
            status, encoded = await self._rendered(address, generation, build, where, now)
        except Exception as exc:
            kept = self._cache.last_good(address)
            # Only an outage of the store (its errors carry a Retry-After) is answered from the
            # last page; any other failure is a bug, and the error handler says so.
            if kept is None or getattr(exc, "retry_after_s", None) is None:
                raise
            return page_response(request, kept, choice)
        return page_response(request, encoded, choice, status)

    async def _rendered(
        self,
        address: Hashable,
        generation: Generation,
        build: Build,
        where: Where,
        now: datetime,
    ) -> tuple[int, Encoded]:
        """The page of `address` for `generation`: rendered here, or by the render of it already
        under way."""
        key = (address, generation)
        pending = self._rendering.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._render(address, generation, build, where, now))
            self._rendering[key] = pending
            pending.add_done_callback(lambda done: self._finished(key, done))
        # Shielded: a reader who hangs up does not cancel the render the others wait for.
        return await asyncio.shield(pending)

    def _finished(self, key: Hashable, done: asyncio.Future[tuple[int, Encoded]]) -> None:
        self._rendering.pop(key, None)
        # Retrieved here, so a failed render whose readers all hung up is not also reported as
        # "never retrieved"; the readers still waiting get it raised.
        if not done.cancelled():
            done.exception()

    async def _render(
        self,
        address: Hashable,
        generation: Generation,
        build: Build,
        where: Where,
        now: datetime,
    ) -> tuple[int, Encoded]:
        def render() -> tuple[int, Encoded]:
            # Compressing a page of half a megabyte takes milliseconds: off the event loop too.
            status, body = build(where, now)
            return status, encode(body)

        status, encoded = await asyncio.to_thread(render)
        # Only pages that exist are kept: a scan of made-up addresses must not evict them.
        if status == 200:
            self._cache.put(address, generation, encoded)
        return status, encoded

    async def _bad_cursor(self, request: Request) -> Response:
        choice = self._choice(request)
        now = self._clock()
        where = Where(request.url.path, choice.language)
        catalog = await asyncio.to_thread(self._page.catalog)
        body = self._pages.error(400, "error.cursor", catalog, where, now)
        return page_response(request, encode(body), choice, 400)

    @staticmethod
    def _choice(request: Request) -> Choice:
        chosen = choose_language(
            request.query_params.get("lang"),
            request.cookies.get(COOKIE),
            request.headers.get("accept-language"),
        )
        return Choice(chosen.language, chosen.remember)
