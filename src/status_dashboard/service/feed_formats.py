"""The syndication formats: Atom 1.0 and RSS 2.0 (with feedgen) and iCalendar (with icalendar).

The documents here are what `public_feeds` assembles; the writers only lay them out. Nothing is
dated by the time of writing, so the same document gives the same bytes, and so the same ETag,
on every replica and after every restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any, Literal

# The libraries are imported on the first feed a process writes, not at start-up: together they
# take the better part of a second to import, and a server (or replica) must start fast.

GENERATOR = "status-dashboard"
CALENDAR_PRODUCT = "-//eHealth platform//status-dashboard//EN"
CALENDAR_REFRESH = timedelta(hours=1)
"""How often a subscribed calendar is asked to fetch again (RFC 7986 REFRESH-INTERVAL)."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One Atom entry or RSS item."""

    id: str
    kind: Literal["incident", "maintenance"]
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str
    """Plain text: what a reader shows in a list."""
    content_html: str
    """An HTML fragment, every value in it escaped: the whole story, timeline included."""
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """One environment's feed, for either syndication format."""

    id: str
    title: str
    subtitle: str
    page: str
    self_links: Mapping[str, str]
    """Format ("atom", "rss") to the feed's own address in it."""
    updated: datetime
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    url: str
    stamp: datetime
    status: Literal["CONFIRMED", "TENTATIVE", "CANCELLED"] = "CONFIRMED"


@dataclass(frozen=True, slots=True)
class CalendarDocument:
    uid: str
    name: str
    description: str
    page: str
    source: str
    events: tuple[CalendarEvent, ...]


def _generator(document: FeedDocument, kind: str) -> Any:
    # feedgen ships no type hints; its use stays in this function, behind typed ones.
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

    feed = FeedGenerator()
    feed.id(document.id)
    feed.title(document.title)
    feed.subtitle(document.subtitle)
    feed.description(document.subtitle)
    # feedgen makes the last link RSS's channel link, which must be the page: self goes first.
    feed.link(href=document.self_links[kind], rel="self")
    feed.link(href=document.page, rel="alternate", type="text/html")
    feed.language("en")
    feed.updated(document.updated)
    # feedgen stamps RSS with the time of writing unless told otherwise.
    feed.lastBuildDate(document.updated)
    feed.generator(GENERATOR)
    for entry in document.entries:
        # "append": feedgen puts each new entry first by default, which would reverse the order.
        item = feed.add_entry(order="append")
        item.id(entry.id)
        item.guid(entry.id, permalink=False)
        item.title(entry.title)
        item.link(href=entry.link, rel="alternate", type="text/html")
        item.published(entry.published)
        item.updated(entry.updated)
        item.content(entry.content_html, type="html")
        # Also RSS's description; the HTML content becomes RSS's content:encoded. Readers take
        # an RSS description as HTML (entity-encoded, by the RSS profile), so the plain text is
        # escaped into HTML first: a title typed as `<script>` is shown, never run, there.
        item.summary(escape(entry.summary), type="html")
        for term in entry.categories:
            item.category(term=term)
    return feed


def atom(document: FeedDocument) -> bytes:
    return bytes(_generator(document, "atom").atom_str(pretty=True, encoding="UTF-8"))


def rss(document: FeedDocument) -> bytes:
    return bytes(_generator(document, "rss").rss_str(pretty=True, encoding="UTF-8"))


def ics(document: CalendarDocument) -> bytes:
    from icalendar import STATUS, TRANSP, Calendar, Event, vDuration

    calendar = Calendar.new(
        prodid=CALENDAR_PRODUCT,
        uid=document.uid,
        name=document.name,
        description=document.description,
        url=document.page,
        source=document.source,
        refresh_interval=CALENDAR_REFRESH,
    )
    # Older clients (Outlook, Google Calendar) read only the X-PUBLISHED-TTL spelling.
    calendar.add("x-published-ttl", vDuration(CALENDAR_REFRESH))
    for event in document.events:
        calendar.add_component(
            Event.new(
                uid=event.uid,
                stamp=event.stamp,
                start=event.starts_at,
                end=event.ends_at,
                summary=event.summary,
                description=event.description,
                url=event.url,
                status=STATUS(event.status),
                # Informational: a subscriber's own free/busy time is not taken by our work.
                transparency=TRANSP.TRANSPARENT,
            )
        )
    return bytes(calendar.to_ical())
