"""The feeds' and badges' read path: what they show, read once per revision.

`PublicFeeds` keeps what it read, and the bytes it rendered, for as long as the dashboard
snapshot's revision (and the UTC day, which moves the calendar's 30-day window) stays the same.
Every operator write bumps the revision, so a request after a write sees it, and every other
request is a dictionary lookup (docs/design.md §6). Everything here is synchronous and may query the
store: call it from a worker thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TypeVar

from status_dashboard.domain.audit import Page
from status_dashboard.domain.errors import NotFoundError, UnknownEnvironment
from status_dashboard.domain.model import Environment, Item
from status_dashboard.domain.operations import Incident, MaintenanceWindow
from status_dashboard.domain.ports import DashboardStore, OperationsStore
from status_dashboard.service import feed_formats
from status_dashboard.service.public_feeds import (
    CALENDAR_LIMIT,
    ENTRY_LIMIT,
    FeedKind,
    Links,
    calendar_document,
    feed_document,
)
from status_dashboard.service.publisher import utc_now
from status_dashboard.service.snapshot import DashboardSnapshot

T = TypeVar("T")

READ_PAGE = 100
RENDERED_LIMIT = 64
"""Rendered feeds kept per revision. They differ by base URL, which comes from the Host header,
so the bound keeps a stream of made-up hosts from growing the cache."""


@dataclass
class _Cache:
    """What one revision (on one UTC day) showed, filled as requests ask for it."""

    key: tuple[int | None, date]
    environments: Mapping[str, Environment]
    items: Mapping[str, Item]
    incidents: dict[str, tuple[Incident, ...]] = field(default_factory=dict)
    windows: dict[str, tuple[MaintenanceWindow, ...]] = field(default_factory=dict)
    calendars: dict[str, tuple[MaintenanceWindow, ...]] = field(default_factory=dict)
    rendered: dict[tuple[str, FeedKind, str], bytes] = field(default_factory=dict)


class PublicFeeds:
    """The feeds' and badges' view of the data, current as of the snapshot's revision."""

    def __init__(
        self,
        snapshot: DashboardSnapshot,
        dashboards: DashboardStore,
        operations: OperationsStore,
        *,
        zone: tzinfo,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._snapshot = snapshot
        self._dashboards = dashboards
        self._operations = operations
        self._zone = zone
        self._clock = clock
        self._cache: _Cache | None = None
        # Requests run in worker threads: one of them reads the store after a change, the others
        # wait for it instead of reading the same rows again.
        self._lock = threading.Lock()

    def environment(self, key: str) -> Environment:
        """UnknownEnvironment for a key no environment has."""
        environment = self._current().environments.get(key)
        if environment is None:
            raise UnknownEnvironment(key[:64])
        return environment

    def item(self, item_id: str) -> Item:
        """NotFoundError for an id no item has."""
        item = self._current().items.get(item_id)
        if item is None:
            raise NotFoundError(f"No item '{item_id[:40]}'")
        return item

    def feed(self, key: str, kind: FeedKind, base_url: str) -> bytes:
        """The environment's feed as `kind`, linking under `base_url`; UnknownEnvironment."""
        cache = self._current()
        environment = cache.environments.get(key)
        if environment is None:
            raise UnknownEnvironment(key[:64])
        cached = cache.rendered.get((key, kind, base_url))
        if cached is not None:
            return cached
        links = Links.of(base_url, environment)
        if kind == "ics":
            windows = self._read(cache.calendars, key, self._calendar_rows)
            body = feed_formats.ics(calendar_document(environment, windows, links, self._clock()))
        else:
            incidents = self._read(cache.incidents, key, self._incident_rows)
            recent = self._read(cache.windows, key, self._window_rows)
            document = feed_document(environment, incidents, recent, links, self._zone)
            body = feed_formats.atom(document) if kind == "atom" else feed_formats.rss(document)
        with self._lock:
            if len(cache.rendered) < RENDERED_LIMIT:
                cache.rendered[(key, kind, base_url)] = body
        return body

    def _incident_rows(self, key: str) -> list[Incident]:
        page = self._operations.incidents(key, open_only=False, cursor=None, limit=ENTRY_LIMIT)
        return list(page.entries)

    def _window_rows(self, key: str) -> list[MaintenanceWindow]:
        page = self._operations.maintenance_windows(
            key, include_past=True, cursor=None, limit=ENTRY_LIMIT
        )
        return list(page.entries)

    def _calendar_rows(self, key: str) -> list[MaintenanceWindow]:
        # Windows come newest-created first, not by time: the upcoming ones are read on their
        # own, so a window scheduled long ago for next month is never cut off by recent ones.
        def listing(include_past: bool) -> Callable[[int | None], Page[MaintenanceWindow]]:
            return lambda cursor: self._operations.maintenance_windows(
                key, include_past=include_past, cursor=cursor, limit=READ_PAGE
            )

        return [*read_all(listing(False)), *read_all(listing(True))]

    def _read(
        self, kept: dict[str, tuple[T, ...]], key: str, read: Callable[[str], Iterable[T]]
    ) -> tuple[T, ...]:
        found = kept.get(key)
        if found is None:
            with self._lock:
                found = kept.get(key)
                if found is None:
                    found = kept[key] = tuple(read(key))
        return found

    def _current(self) -> _Cache:
        key = (self._snapshot.revision, self._clock().date())
        cache = self._cache
        if cache is not None and cache.key == key:
            return cache
        with self._lock:
            cache = self._cache
            if cache is None or cache.key != key:
                environments = {env.key: env for env in self._dashboards.environments()}
                items = {
                    item.id: item
                    for env in environments.values()
                    for group in env.groups
                    for item in group.items
                }
                cache = self._cache = _Cache(key, environments, items)
        return cache


def read_all(read: Callable[[int | None], Page[T]], limit: int = CALENDAR_LIMIT) -> list[T]:
    """Every entry of a paged listing, up to `limit`."""
    found: list[T] = []
    cursor: int | None = None
    while len(found) < limit:
        page = read(cursor)
        found.extend(page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:limit]
