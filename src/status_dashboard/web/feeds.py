"""Feeds of each environment's incidents and maintenance, for readers and calendars:

    /feeds/{env}.atom   Atom 1.0: incidents (with their timeline) and maintenance windows
    /feeds/{env}.rss    RSS 2.0: the same entries
    /feeds/{env}.ics    iCalendar: maintenance windows of the last 30 days and every upcoming one

Links in them are absolute, built from the request's base URL. The bytes are rendered once per
dashboard revision (service.feed_source), and every answer carries a strong ETag. An unknown
environment is a 404 problem.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from status_dashboard.service.feed_source import PublicFeeds
from status_dashboard.service.public_feeds import FeedKind
from status_dashboard.web.badges import badge_routes
from status_dashboard.web.cacheable import cacheable

MEDIA_TYPES: dict[FeedKind, str] = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}


def _feed(feeds: PublicFeeds, kind: FeedKind) -> Route:
    media_type = MEDIA_TYPES[kind]

    async def serve(request: Request) -> Response:
        base_url = str(request.base_url)
        # The first request after a change reads the store: not on the event loop.
        body = await run_in_threadpool(feeds.feed, request.path_params["env"], kind, base_url)
        return cacheable(request, body, media_type)

    return Route(f"/feeds/{{env}}.{kind}", serve, methods=["GET", "HEAD"])


def feed_routes(feeds: PublicFeeds) -> list[BaseRoute]:
    """The feeds and the badges (web.badges), for the application to mount."""
    return [*(_feed(feeds, kind) for kind in MEDIA_TYPES), *badge_routes(feeds)]
