"""The figures one process exposes on `/metrics`, in the Prometheus text format.

Each process builds one `Metrics`, with a registry of its own rather than prometheus-client's
global default one: tests, and several applications in one process, then never share or
collide on a series. Instruments that move as things happen (requests, rebuilds, streams,
register flushes) are defined here; figures that are already kept elsewhere (the snapshot, a
monitor's run counts) are read at scrape time by the collectors of `metrics_sources`, so they
cost nothing between scrapes.

Names follow the Prometheus conventions: `status_dashboard_` first, the unit last (`_seconds`),
and counters end in `_total` (prometheus-client adds it). docs/operations.md lists them all.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""The classic text format (`text/plain; version=0.0.4`), which every Prometheus scrapes."""

ROUTES = ("dashboard", "stream", "push", "health", "admin", "page", "feed", "badge", "other")
"""The `route` label's values: a fixed set, so that no request can add a series."""

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: from the dashboard's sub-millisecond answers to a slow admin page."""

REBUILD_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: rendering every environment, compressed twice (brotli at its best quality)."""


class Metrics:
    """A registry of one process's own, with the process's CPU, memory and open files."""

    def __init__(self) -> None:
        # Without this every counter and histogram has a `_created` twin in the text format,
        # which doubles the series for a figure Prometheus does not use. The switch is
        # prometheus-client's, for the whole process; the service has no other use for it.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def add(self, collector: Collector) -> None:
        """Read `collector` on every scrape as well."""
        self.registry.register(collector)

    def exposition(self) -> bytes:
        """Every figure now, as the body of a `/metrics` answer (`CONTENT_TYPE`)."""
        return generate_latest(self.registry)


class ServerMetrics(Metrics):
    """The instruments of a `serve` process: its answers, snapshot, streams and register."""

    def __init__(self) -> None:
        super().__init__()
        registry = self.registry
        self.requests = Counter(
            "status_dashboard_http_requests",
            "HTTP answers by route, method, status and environment (dashboard and stream only)",
            ["route", "method", "status", "environment"],
            registry=registry,
        )
        self.request_duration = Histogram(
            "status_dashboard_http_request_duration_seconds",
            "Time to answer, by route; live streams are left out, since they last as long as "
            "their client stays",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.snapshot_rebuilds = Counter(
            "status_dashboard_snapshot_rebuilds",
            "Times the dashboards were rendered again because the store's revision moved",
            registry=registry,
        )
        self.snapshot_rebuild_duration = Histogram(
            "status_dashboard_snapshot_rebuild_duration_seconds",
            "Time to render every environment's dashboard, plain and compressed",
            buckets=REBUILD_BUCKETS,
            registry=registry,
        )
        self.sse_open = Gauge(
            "status_dashboard_sse_connections_open",
            "Live-update streams (server-sent events) open now",
            registry=registry,
        )
        self.sse_opened = Counter(
            "status_dashboard_sse_connections_opened",
            "Live-update streams opened",
            registry=registry,
        )
        self.register_flushes = Counter(
            "status_dashboard_client_register_flushes",
            "Writes of the counted client identities to the client register (one per period)",
            registry=registry,
        )
        self.register_flush_failures = Counter(
            "status_dashboard_client_register_flush_failures",
            "Writes of the client register that failed; their counts are kept for the next",
            registry=registry,
        )
        self.register_identities_flushed = Counter(
            "status_dashboard_client_register_identities_flushed",
            "Client identities (environment and User-Agent) written to the register, all "
            "flushes together",
            registry=registry,
        )
        self.client_identities = Gauge(
            "status_dashboard_client_identities",
            "Distinct client identities (User-Agents) in the last flush period, by environment",
            ["environment"],
            registry=registry,
        )
        self.nonconforming_requests = Counter(
            "status_dashboard_client_nonconforming_requests",
            "Requests whose User-Agent is missing or not in the cookbook's form, by "
            "environment; counted when the register is written",
            ["environment"],
            registry=registry,
        )
