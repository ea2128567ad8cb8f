"""The public status pages' read model: what `/`, `/{env}`, `/history` and `/items/{id}` show,
assembled from the ports, and cached so that most pages cost no query at all.

    what                                        moves when                       kept
    environments, groups, items, translations   the dashboard revision           per revision
    open incidents, maintenance, recent ones    the revision (their writes       per revision and
                                                bump it)                         environment
    uptime figures and daily bars               the roll-up, once a minute       60 s per environment
    incident history, item history pages        the revision                     not here: the web
                                                                                 layer keeps the HTML

The revision is the one the public snapshot was built from, so a page never shows a state the
JSON dashboard does not. Everything here is synchronous and may query: call it from a thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from status_dashboard.domain.audit import Page
from status_dashboard.domain.history import HistoryEvent
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.operations import Incident, MaintenanceWindow
from status_dashboard.domain.ports import DashboardStore, OperationsStore, UptimeStore
from status_dashboard.domain.status import StatusCode, rollup
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.domain.uptime import DAY, ItemUptime, StatusSeconds

log = logging.getLogger(__name__)

BAR_DAYS = 90
UPTIME_TTL_S = 60.0
"""The roll-up runs once a minute (service.retention), so a fresher read would show the same."""
RECENT_INCIDENT_LIMIT = 500
"""Incidents read for the bars and the item pages: ample for 90 days, and bounded whatever
happens, so that a storm of incidents cannot make a page slow."""
_PAGE = 100


@dataclass(frozen=True, slots=True)
class DayBar:
    """One daily bar: an item's seconds per status on a UTC day, and the incidents that touched
    it that day."""

    day: date
    seconds: StatusSeconds
    incidents: int = 0

    @property
    def uptime(self) -> float | None:
        return self.seconds.uptime

    @property
    def code(self) -> StatusCode | None:
        """What the bar shows: any downtime makes the day Disrupted (a short outage must not
        hide behind a long good day); None for a day without data."""
        if self.seconds.disrupted_s > 0:
            return StatusCode.DISRUPTED
        if self.seconds.operational_s > 0:
            return StatusCode.OPERATIONAL
        if self.seconds.unknown_s > 0:
            return StatusCode.UNKNOWN
        return None


@dataclass(frozen=True, slots=True)
class ItemFigures:
    uptime: ItemUptime = field(default_factory=ItemUptime)
    bars: tuple[DayBar, ...] = ()


@dataclass(frozen=True, slots=True)
class Located:
    environment: Environment
    group: Group
    item: Item


@dataclass(frozen=True, slots=True)
class PublicCatalog:
    """Every environment as the public sees it, in display order, at one revision."""

    revision: int | None
    environments: tuple[Environment, ...]
    items: Mapping[str, Located]
    catalog_descriptions: Mapping[str, str | None]
    """Each item's description as the catalog gives it, which its translations translate."""

    def environment(self, key: str | None) -> Environment | None:
        """None: the default environment."""
        for environment in self.environments:
            if environment.key == key or (key is None and environment.is_default):
                return environment
        return None


@dataclass(frozen=True, slots=True)
class Overview:
    environment: Environment
    status: StatusCode
    open_incidents: tuple[Incident, ...]
    running: tuple[MaintenanceWindow, ...]
    upcoming: tuple[MaintenanceWindow, ...]
    figures: Mapping[str, ItemFigures]


@dataclass(frozen=True, slots=True)
class IncidentHistory:
    environment: Environment
    incidents: tuple[Incident, ...]
    next_cursor: int | None


@dataclass(frozen=True, slots=True)
class ItemDetail:
    located: Located
    figures: ItemFigures
    changes: tuple[HistoryEvent, ...]
    next_cursor: int | None
    incidents: tuple[Incident, ...]


@dataclass(frozen=True, slots=True)
class _Operations:
    open_incidents: tuple[Incident, ...]
    windows: tuple[MaintenanceWindow, ...]
    recent: tuple[Incident, ...]


@dataclass(frozen=True, slots=True)
class _Uptime:
    read_at: float
    uptime: Mapping[str, ItemUptime]
    seconds: Mapping[str, tuple[tuple[date, StatusSeconds], ...]]


# -- pure parts ------------------------------------------------------------------------------


def overall_status(environment: Environment) -> StatusCode:
    """The banner: the roll-up of the groups, as a group rolls up its items (docs/design.md §2)."""
    return rollup(group.status_code for group in environment.groups)


def split_maintenance(
    windows: Iterable[MaintenanceWindow], now: datetime
) -> tuple[tuple[MaintenanceWindow, ...], tuple[MaintenanceWindow, ...]]:
    """(running, upcoming), each soonest first; cancelled and finished windows are neither."""
    running: list[MaintenanceWindow] = []
    upcoming: list[MaintenanceWindow] = []
    for window in windows:
        if window.cancelled_at is not None or as_utc(window.ends_at) <= now:
            continue
        (running if window.active(now) else upcoming).append(window)
    return (
        tuple(sorted(running, key=lambda w: (w.ends_at, w.id))),
        tuple(sorted(upcoming, key=lambda w: (w.starts_at, w.id))),
    )


def incident_days(incidents: Iterable[Incident], now: datetime) -> dict[str, dict[date, int]]:
    """For each item, how many incidents touched it on each UTC day: from the day it opened to
    the day it was resolved (or today)."""
    counts: defaultdict[str, defaultdict[date, int]] = defaultdict(lambda: defaultdict(int))
    for incident in incidents:
        first = as_utc(incident.created_at).date()
        last = as_utc(incident.resolved_at or now).date()
        days = []
        day = first
        while day <= last:
            days.append(day)
            day += DAY
        for item_id in incident.item_ids:
            for day in days:
                counts[item_id][day] += 1
    return {item_id: dict(by_day) for item_id, by_day in counts.items()}


def day_bars(
    seconds: Sequence[tuple[date, StatusSeconds]], incidents: Mapping[date, int]
) -> tuple[DayBar, ...]:
    return tuple(DayBar(day, spent, incidents.get(day, 0)) for day, spent in seconds)


def localized(item: Item, language: str, catalog_description: str | None) -> tuple[str, str | None]:
    """The item's name and description in `language`, English where no translation is given.

    A translated description translates the catalog's description; when something else
    decided what the item shows (an incident, an override, a failing check), the translation
    would tell an old story, so the shown English description is kept.
    """
    translation = item.translations.get(language)
    if translation is None:
        return item.name, item.description
    name = translation.name or item.name
    if translation.description and item.description == catalog_description:
        return name, translation.description
    return name, item.description


def build_catalog(
    revision: int | None,
    environments: Iterable[Environment],
    catalog_descriptions: Mapping[str, str | None],
) -> PublicCatalog:
    ordered = tuple(
        env.sorted() for env in sorted(environments, key=lambda env: (env.order, env.key))
    )
    located = {
        item.id: Located(env, group, item)
        for env in ordered
        for group in env.groups
        for item in group.items
    }
    return PublicCatalog(revision, ordered, located, catalog_descriptions)


# -- the read model --------------------------------------------------------------------------


class StatusPage:
    """The public read model, shared by every request of a server process."""

    def __init__(
        self,
        dashboards: DashboardStore,
        operations: OperationsStore,
        uptime: UptimeStore,
        *,
        revision: Callable[[], int | None],
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dashboards = dashboards
        self._operations = operations
        self._uptime = uptime
        self._revision = revision
        self._clock = clock
        self._monotonic = monotonic
        self._catalog: PublicCatalog | None = None
        self._ops: dict[str, tuple[int | None, _Operations]] = {}
        self._uptimes: dict[str, _Uptime] = {}
        self._refreshing: set[str] = set()
        # Requests build from several threads at once: one reads, the others wait for it
        # rather than each running the same queries.
        self._lock = threading.Lock()

    def revision(self) -> int | None:
        return self._revision()

    def catalog(self) -> PublicCatalog:
        revision = self._revision()
        cached = self._catalog
        if cached is not None and cached.revision == revision:
            return cached
        with self._lock:
            cached = self._catalog
            if cached is None or cached.revision != revision:
                environments = self._dashboards.environments()
                # The catalog's own descriptions come with the reconciler's inputs: the only
                # port that tells them apart from the effective ones (see `localized`).
                inputs = self._operations.reconcile_inputs(self._clock())
                descriptions = {item.id: item.description for _, item in inputs.items}
                cached = build_catalog(revision, environments, descriptions)
                self._catalog = cached
            return cached

    def overview(self, environment_key: str | None) -> Overview | None:
        """None for an unknown environment."""
        catalog = self.catalog()
        environment = catalog.environment(environment_key)
        if environment is None:
            return None
        now = as_utc(self._clock())
        ops = self._operations_of(environment.key, catalog.revision)
        running, upcoming = split_maintenance(ops.windows, now)
        figures = self._figures(environment, ops.recent, now)
        return Overview(
            environment=environment,
            status=overall_status(environment),
            open_incidents=tuple(sorted(ops.open_incidents, key=lambda i: (i.created_at, i.id))),
            running=running,
            upcoming=upcoming,
            figures=figures,
        )

    def incident_history(
        self, environment_key: str | None, cursor: int | None, limit: int
    ) -> IncidentHistory | None:
        """One page of the environment's incidents, newest first; None for an unknown one."""
        environment = self.catalog().environment(environment_key)
        if environment is None:
            return None
        page = self._operations.incidents(
            environment.key, open_only=False, cursor=cursor, limit=limit
        )
        return IncidentHistory(environment, tuple(page.entries), page.next_cursor)

    def item_detail(self, item_id: str, cursor: int | None, limit: int) -> ItemDetail | None:
        """The item with its figures, a page of its history, and the incidents that named it."""
        catalog = self.catalog()
        located = catalog.items.get(item_id)
        if located is None:
            return None
        now = as_utc(self._clock())
        ops = self._operations_of(located.environment.key, catalog.revision)
        figures = self._figures(located.environment, ops.recent, now).get(item_id, ItemFigures())
        page = self._operations.history(item_id, cursor=cursor, limit=limit)
        touched = tuple(i for i in ops.recent if item_id in i.item_ids)
        return ItemDetail(located, figures, tuple(page.entries), page.next_cursor, touched)

    # -- caches ------------------------------------------------------------------------------

    def _operations_of(self, environment_key: str, revision: int | None) -> _Operations:
        cached = self._ops.get(environment_key)
        if cached is not None and cached[0] == revision:
            return cached[1]
        with self._lock:
            cached = self._ops.get(environment_key)
            if cached is None or cached[0] != revision:
                cached = (revision, self._read_operations(environment_key))
                self._ops[environment_key] = cached
            return cached[1]

    def _read_operations(self, environment_key: str) -> _Operations:
        store = self._operations
        open_incidents = _all(
            lambda cursor: store.incidents(
                environment_key, open_only=True, cursor=cursor, limit=_PAGE
            ),
            RECENT_INCIDENT_LIMIT,
        )
        windows = _all(
            lambda cursor: store.maintenance_windows(
                environment_key, include_past=False, cursor=cursor, limit=_PAGE
            ),
            RECENT_INCIDENT_LIMIT,
        )
        since = as_utc(self._clock()) - BAR_DAYS * DAY
        latest = _all(
            lambda cursor: store.incidents(
                environment_key, open_only=False, cursor=cursor, limit=_PAGE
            ),
            RECENT_INCIDENT_LIMIT,
        )
        # Not a stop at the first old one: ids follow opening, not resolution, so an incident
        # resolved long ago may come before one that lasted into the window.
        recent = [i for i in latest if i.resolved_at is None or as_utc(i.resolved_at) >= since]
        seen = {i.id for i in recent}
        recent += [i for i in open_incidents if i.id not in seen]
        return _Operations(tuple(open_incidents), tuple(windows), tuple(recent))

    def _figures(
        self, environment: Environment, recent: Sequence[Incident], now: datetime
    ) -> dict[str, ItemFigures]:
        read = self._uptime_of(environment, now)
        by_day = incident_days(recent, now)
        figures = {}
        for group in environment.groups:
            for item in group.items:
                figures[item.id] = ItemFigures(
                    read.uptime.get(item.id, ItemUptime()),
                    day_bars(read.seconds.get(item.id, ()), by_day.get(item.id, {})),
                )
        return figures

    def _uptime_of(self, environment: Environment, now: datetime) -> _Uptime:
        """The environment's uptime as last read. Past its age it is read again in the
        background while readers keep the one at hand (at most a minute older than the
        roll-up): only the very first read of an environment keeps a reader waiting."""
        cached = self._uptimes.get(environment.key)
        if cached is None:
            with self._lock:
                cached = self._uptimes.get(environment.key)
                if cached is None:
                    cached = self._read_uptime(environment, now)
                    self._uptimes[environment.key] = cached
            return cached
        if self._monotonic() - cached.read_at >= UPTIME_TTL_S:
            self._refresh_later(environment)
        return cached

    def _refresh_later(self, environment: Environment) -> None:
        with self._lock:
            if environment.key in self._refreshing:
                return
            self._refreshing.add(environment.key)

        def refresh() -> None:
            try:
                read = self._read_uptime(environment, as_utc(self._clock()))
                self._uptimes[environment.key] = read
            except Exception as exc:  # the old figures stay; the next reader tries again
                log.warning(
                    "event=uptime_refresh_failed environment=%s error=%s",
                    environment.key,
                    type(exc).__name__,
                )
            finally:
                with self._lock:
                    self._refreshing.discard(environment.key)

        threading.Thread(target=refresh, name=f"uptime-{environment.key}", daemon=True).start()

    def _read_uptime(self, environment: Environment, now: datetime) -> _Uptime:
        seconds = {
            item.id: tuple(
                (bar.day, bar.seconds)
                for bar in self._uptime.daily_bars(item.id, now, days=BAR_DAYS)
            )
            for group in environment.groups
            for item in group.items
        }
        return _Uptime(self._monotonic(), self._uptime.uptime(environment.key, now), seconds)


T = TypeVar("T")


def _all(read: Callable[[int | None], Page[T]], limit: int) -> list[T]:
    """Entries of a newest-first listing, page after page, up to `limit`."""
    found: list[T] = []
    cursor: int | None = None
    while len(found) < limit:
        page = read(cursor)
        found.extend(page.entries)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return found[:limit]
