"""What the public feeds and badges say: incidents and maintenance windows as feed entries,
maintenance as calendar events, and an environment's overall status.

Pure: data, links and a zone in, documents out (`service.feed_formats` lays them out as Atom,
RSS or iCalendar; `service.feed_source` reads the data and keeps the result per revision).
Every text an operator typed passes `xml_text`, and every value in an HTML fragment is escaped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from html import escape
from typing import Literal

from status_dashboard.domain.model import Environment
from status_dashboard.domain.operations import Impact, Incident, MaintenanceWindow
from status_dashboard.domain.status import StatusCode, rollup
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.service.feed_formats import (
    CalendarDocument,
    CalendarEvent,
    FeedDocument,
    FeedEntry,
)

FeedKind = Literal["atom", "rss", "ics"]

ENTRY_LIMIT = 50
"""Entries per Atom/RSS feed: the newest incidents and windows; the history pages hold the rest."""
CALENDAR_PAST = timedelta(days=30)
CALENDAR_LIMIT = 500
"""Windows read per calendar, upcoming and past alike: a bound on one read, not a page size."""

# XML 1.0 forbids these code points; a title typed with one would make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


@dataclass(frozen=True, slots=True)
class Links:
    """Absolute addresses of one environment's public pages, from the request's base URL."""

    base: str
    """Scheme, host and root path, without a trailing slash: `https://status.example.org`."""
    environment_key: str
    is_default: bool

    @classmethod
    def of(cls, base_url: str, environment: Environment) -> Links:
        return cls(base_url.rstrip("/"), environment.key, environment.is_default)

    @property
    def page(self) -> str:
        return f"{self.base}/" if self.is_default else f"{self.base}/{self.environment_key}"

    @property
    def history(self) -> str:
        prefix = "" if self.is_default else f"/{self.environment_key}"
        return f"{self.base}{prefix}/history"

    def item(self, item_id: str) -> str:
        return f"{self.base}/items/{item_id}"

    def feed(self, kind: FeedKind) -> str:
        return f"{self.base}/feeds/{self.environment_key}.{kind}"

    def stable_id(self, kind: str, number: int) -> str:
        """A permanent id for an incident or a window, from this deployment's address and the
        store's id: the same on every replica and every request, and unlike a bare number, not
        the same as another deployment's."""
        name = f"{self.base}/{kind}/{number}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def moment_text(moment: datetime, zone: tzinfo) -> str:
    """`2025-05-09 08:55 CEST`: a reader's local wording of a moment in the deployment's zone."""
    local = as_utc(moment).astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {_zone_name(local)}"


def _second(moment: datetime) -> datetime:
    """Feeds and calendars date to the second, as the v1 wire does."""
    return as_utc(moment).replace(microsecond=0)


def _zone_name(local: datetime) -> str:
    return local.tzname() or local.strftime("%z")


def span_text(starts: datetime, ends: datetime, zone: tzinfo) -> str:
    """`2025-05-10 22:00–23:30 CEST`, or both moments in full when the window spans days."""
    start, end = as_utc(starts).astimezone(zone), as_utc(ends).astimezone(zone)
    if start.date() == end.date() and start.utcoffset() == end.utcoffset():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {_zone_name(start)}"
    return f"{moment_text(starts, zone)} – {moment_text(ends, zone)}"


def item_labels(item_ids: Iterable[str], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """(id, name) of the named items, in the order the dashboard shows them; an item that is no
    longer in the catalog keeps its id as its name, so the entry still says what was touched."""
    order = {item_id: position for position, item_id in enumerate(names)}
    ordered = sorted(item_ids, key=lambda item_id: (order.get(item_id, len(order)), item_id))
    return [(item_id, xml_text(names.get(item_id, f"item {item_id}"))) for item_id in ordered]


def _impact_text(impact: Impact) -> str:
    return f"impact {impact.value}"


def _items_html(items: list[tuple[str, str]], links: Links) -> str:
    if not items:
        return "<p>Affected: no particular service.</p>"
    listed = "".join(
        f'<li><a href="{escape(links.item(item_id))}">{escape(name)}</a></li>'
        for item_id, name in items
    )
    return f"<p>Affected:</p><ul>{listed}</ul>"


def _affected_text(items: list[tuple[str, str]]) -> str:
    return ", ".join(name for _, name in items) if items else "no particular service"


def incident_entry(
    incident: Incident, names: Mapping[str, str], links: Links, zone: tzinfo
) -> FeedEntry:
    """An incident: its impact, the items it names, and every update of its timeline."""
    items = item_labels(incident.item_ids, names)
    title = xml_text(incident.title)
    state = incident.state.value.capitalize()
    opened = _second(incident.created_at)
    moments = [_second(update.at) for update in incident.updates]
    if incident.resolved_at is not None:
        moments.append(_second(incident.resolved_at))
    updated = max([opened, *moments])
    timeline = "".join(
        f"<li><strong>{escape(update.state.value.capitalize())}</strong> "
        f"({escape(moment_text(update.at, zone))}): {escape(xml_text(update.message))}</li>"
        for update in incident.updates
    )
    times = f"Opened {moment_text(opened, zone)}"
    if incident.resolved_at is not None:
        times += f"; resolved {moment_text(incident.resolved_at, zone)}"
    content = (
        f"<p>{escape(state)}, {escape(_impact_text(incident.impact))}. {escape(times)}.</p>"
        f"{_items_html(items, links)}" + (f"<p>Updates:</p><ol>{timeline}</ol>" if timeline else "")
    )
    latest = xml_text(incident.latest_message or "")
    summary = f"{state}, {_impact_text(incident.impact)}. Affected: {_affected_text(items)}."
    return FeedEntry(
        id=links.stable_id("incidents", incident.id),
        kind="incident",
        title=f"Incident: {title} ({state})",
        link=f"{links.history}#incident-{incident.id}",
        published=opened,
        updated=updated,
        summary=f"{summary} {latest}".strip(),
        content_html=content,
        categories=("incident", incident.impact.value, incident.state.value),
    )


def maintenance_entry(
    window: MaintenanceWindow, names: Mapping[str, str], links: Links, zone: tzinfo
) -> FeedEntry:
    """A maintenance window: when, the items it names, the impact expected, and its description.

    The store keeps no time of announcement, so a window is dated by its start (or, once
    cancelled, by the cancellation): upcoming work sorts first, where a subscriber looks."""
    items = item_labels(window.item_ids, names)
    when = span_text(window.starts_at, window.ends_at, zone)
    cancelled = window.cancelled_at is not None
    title = xml_text(window.title) + (" (cancelled)" if cancelled else "")
    description = xml_text(window.description or "")
    status = f"{when}, expected {_impact_text(window.impact)}"
    if window.cancelled_at is not None:
        status += f"; cancelled {moment_text(window.cancelled_at, zone)}"
    content = f"<p>{escape(status)}.</p>{_items_html(items, links)}"
    if description:
        content += f"<p>{escape(description)}</p>"
    summary = f"{status}. Affected: {_affected_text(items)}."
    starts = _second(window.starts_at)
    return FeedEntry(
        id=links.stable_id("maintenance", window.id),
        kind="maintenance",
        title=f"Maintenance: {title} ({when})",
        link=links.page,
        published=starts,
        updated=starts if window.cancelled_at is None else _second(window.cancelled_at),
        summary=f"{summary} {description}".strip(),
        content_html=content,
        categories=("maintenance", window.impact.value, *(("cancelled",) if cancelled else ())),
    )


def feed_entries(
    incidents: Iterable[Incident],
    windows: Iterable[MaintenanceWindow],
    names: Mapping[str, str],
    links: Links,
    zone: tzinfo,
    limit: int = ENTRY_LIMIT,
) -> tuple[FeedEntry, ...]:
    """Incidents and windows together, newest first, at most `limit` of them."""
    entries = [incident_entry(incident, names, links, zone) for incident in incidents]
    entries += [maintenance_entry(window, names, links, zone) for window in windows]
    entries.sort(key=lambda entry: (entry.updated, entry.kind, entry.id), reverse=True)
    return tuple(entries[:limit])


def feed_document(
    environment: Environment,
    incidents: Iterable[Incident],
    windows: Iterable[MaintenanceWindow],
    links: Links,
    zone: tzinfo,
) -> FeedDocument:
    entries = feed_entries(incidents, windows, item_names(environment), links, zone)
    # Dated by its content, never by the time of rendering: the same data gives the same bytes
    # (and ETag) on every replica.
    fallback = environment.last_change or datetime(2000, 1, 1)
    updated = max((entry.updated for entry in entries), default=_second(fallback))
    name = xml_text(environment.name)
    return FeedDocument(
        id=_feed_id(links),
        title=f"{name} status: incidents and maintenance",
        subtitle=f"Incidents and planned maintenance of the {name} environment, newest first.",
        page=links.page,
        self_links={"atom": links.feed("atom"), "rss": links.feed("rss")},
        updated=updated,
        entries=entries,
    )


def _feed_id(links: Links) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, links.feed('atom'))}"


def calendar_windows(
    windows: Iterable[MaintenanceWindow], now: datetime, past: timedelta = CALENDAR_PAST
) -> tuple[MaintenanceWindow, ...]:
    """The windows a calendar shows: not cancelled, ending after `now - past`; soonest first,
    each once however often it was read."""
    since = as_utc(now) - past
    chosen = {
        window.id: window
        for window in windows
        if window.cancelled_at is None and as_utc(window.ends_at) > since
    }
    return tuple(sorted(chosen.values(), key=lambda w: (as_utc(w.starts_at), w.id)))


def calendar_event(
    window: MaintenanceWindow, names: Mapping[str, str], links: Links
) -> CalendarEvent:
    items = item_labels(window.item_ids, names)
    lines = [f"Affected: {_affected_text(items)}", f"Expected impact: {window.impact.value}"]
    if window.description:
        lines += ["", xml_text(window.description)]
    starts = _second(window.starts_at)
    return CalendarEvent(
        uid=links.stable_id("maintenance", window.id).removeprefix("urn:uuid:"),
        starts_at=starts,
        ends_at=_second(window.ends_at),
        summary=f"Maintenance: {xml_text(window.title)}",
        description="\n".join(lines),
        url=links.page,
        # The store keeps no time of a window's last edit; a value taken from the window itself
        # keeps the calendar's bytes stable, and subscribed calendars match events by UID.
        stamp=starts,
    )


def calendar_document(
    environment: Environment,
    windows: Iterable[MaintenanceWindow],
    links: Links,
    now: datetime,
) -> CalendarDocument:
    """The maintenance calendar: windows of the last 30 days and every upcoming one."""
    names = item_names(environment)
    # The calendar's name and description are written as they are (the writer escapes line
    # breaks in events' texts only): a name typed over two lines would break the document.
    name = " ".join(xml_text(environment.name).splitlines())
    return CalendarDocument(
        uid=str(uuid.uuid5(uuid.NAMESPACE_URL, links.feed("ics"))),
        name=f"{name} maintenance",
        description=f"Planned maintenance of the {name} environment.",
        page=links.page,
        source=links.feed("ics"),
        events=tuple(calendar_event(w, names, links) for w in calendar_windows(windows, now)),
    )


def item_names(environment: Environment) -> dict[str, str]:
    """Item id to name, in the order the dashboard shows them."""
    return {item.id: item.name for group in environment.groups for item in group.items}


def environment_status(environment: Environment) -> StatusCode:
    """The roll-up of every group: what the environment's badge says."""
    return rollup(group.status_code for group in environment.groups)
