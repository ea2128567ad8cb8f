"""Figures read at scrape time from what the process keeps anyway: the dashboard snapshot (its
revision, its age, the items of each environment by status) and a monitor's run counts.

Reading them when Prometheus asks, rather than copying them into gauges as they change, keeps
them off the paths that change them. A scrape may come from another thread (the metrics port,
`api/metrics_port.py`); what it reads is either replaced whole (the snapshot's mappings) or a
plain number, so it sees a consistent value without a lock.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Protocol

import orjson
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from status_dashboard.domain.status import StatusCode
from status_dashboard.service.metrics import ServerMetrics
from status_dashboard.service.snapshot import DashboardSnapshot, RenderedDashboard


def _utc_now() -> datetime:
    return datetime.now(UTC)


def watch_rebuilds(
    snapshot: DashboardSnapshot,
    metrics: ServerMetrics,
    clock: Callable[[], datetime] = _utc_now,
) -> None:
    """Count every replacement of `snapshot`, and time its rendering.

    The publisher stamps `built_at` with the wall clock just before it renders, and the
    snapshot calls its listeners right after the swap: the time between the two is the render.
    """

    def rebuilt() -> None:
        metrics.snapshot_rebuilds.inc()
        built_at = snapshot.built_at
        if built_at is not None:
            seconds = (clock() - built_at).total_seconds()
            metrics.snapshot_rebuild_duration.observe(max(0.0, seconds))

    snapshot.add_listener(rebuilt)


class SnapshotFigures(Collector):
    """The snapshot as gauges: revision, age, and per environment the items by status code and
    the age of the last change its dashboard shows."""

    def __init__(
        self,
        snapshot: DashboardSnapshot,
        *,
        store_answered_at: Callable[[], float | None],
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`store_answered_at`: the `time.monotonic()` of the publisher's last successful
        contact with the store, None before the first."""
        self._snapshot = snapshot
        self._store_answered_at = store_answered_at
        self._clock = clock
        self._monotonic = monotonic
        self._counted: dict[str, tuple[bytes, dict[int, int]]] = {}

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        revision, age, answered, items, last_change = self._families()
        snapshot = self._snapshot
        now = self._clock()
        if snapshot.revision is not None:
            revision.add_metric([], snapshot.revision)
        if snapshot.built_at is not None:
            age.add_metric([], max(0.0, now - snapshot.built_at.timestamp()))
        answered_at = self._store_answered_at()
        if answered_at is not None:
            answered.add_metric([], max(0.0, self._monotonic() - answered_at))
        for key in snapshot.environment_keys():
            dashboard = snapshot.lookup(key)
            if dashboard is None:
                continue  # removed since the keys were read
            counts = self._items_by_status(dashboard)
            for code in StatusCode:
                items.add_metric([key, str(code.value), code.name.lower()], counts.get(code, 0))
            last_change.add_metric([key], max(0.0, now - dashboard.last_modified.timestamp()))
        yield from (revision, age, answered, items, last_change)

    def _families(self) -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(
                "status_dashboard_snapshot_revision",
                "The store revision the served dashboards show",
            ),
            GaugeMetricFamily(
                "status_dashboard_snapshot_age_seconds",
                "Seconds since the dashboards were last rendered (they are rendered only when "
                "the store's revision moves)",
            ),
            GaugeMetricFamily(
                "status_dashboard_store_last_success_age_seconds",
                "Seconds since the store last answered the snapshot's refresh: how stale the "
                "served dashboards may be",
            ),
            GaugeMetricFamily(
                "status_dashboard_items",
                "Items of the served dashboard by environment and status code (1 Operational, "
                "2 Disrupted, 3 Unknown)",
                labels=["environment", "status_code", "status"],
            ),
            GaugeMetricFamily(
                "status_dashboard_dashboard_last_change_age_seconds",
                "Seconds since the last change an environment's dashboard shows (its "
                "Last-Modified)",
                labels=["environment"],
            ),
        )

    def _items_by_status(self, dashboard: RenderedDashboard) -> dict[int, int]:
        """Counted from the very bytes partners get, once per ETag."""
        plain = dashboard.identity
        cached = self._counted.get(dashboard.environment_key)
        if cached is not None and cached[0] == plain.etag:
            return cached[1]
        document = orjson.loads(plain.body)
        counts = dict(
            Tally(item["status_code"] for group in document["groups"] for item in group["items"])
        )
        self._counted[dashboard.environment_key] = (plain.etag, counts)
        return counts


class RunFigures(Protocol):
    """A monitor's running totals (`worker.stats.RunStats`)."""

    runs: int
    failures: int
    late: int


class CheckFigures(Collector):
    """A monitor's checks run, failed and started late, as counters."""

    def __init__(self, stats: RunFigures) -> None:
        self._stats = stats

    def describe(self) -> Iterator[CounterMetricFamily]:
        yield from self._families(None)

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield from self._families(self._stats)

    @staticmethod
    def _families(stats: RunFigures | None) -> tuple[CounterMetricFamily, ...]:
        def family(name: str, help_text: str, value: int | None) -> CounterMetricFamily:
            return CounterMetricFamily(name, help_text, value=value)

        return (
            family(
                "status_dashboard_checks_run",
                "Checks this process started",
                None if stats is None else stats.runs,
            ),
            family(
                "status_dashboard_checks_failed",
                "Checks this process ran that failed",
                None if stats is None else stats.failures,
            ),
            family(
                "status_dashboard_checks_late",
                "Checks this process started more than 1 s after they were due",
                None if stats is None else stats.late,
            ),
        )
