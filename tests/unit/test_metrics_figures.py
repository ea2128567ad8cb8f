"""The figures behind /metrics, on real instruments in a registry of their own: what the meters
count, what the snapshot and a monitor's stats say at scrape time, what a register flush adds."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from status_dashboard.api.measure import RouteMeter
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.ports import ClientSighting
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.metrics import ServerMetrics
from status_dashboard.service.metrics_register import MeasuredRegister
from status_dashboard.service.metrics_sources import CheckFigures, SnapshotFigures, watch_rebuilds
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.store.memory import MemoryClientRegister
from status_dashboard.worker.stats import RunStats

ZONE = ZoneInfo("Europe/Brussels")
BUILT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def sample(metrics: ServerMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def environment(key: str, codes: list[StatusCode], *, default: bool = False) -> Environment:
    items = tuple(
        Item(
            id=f"{n:032x}",
            key=f"item{n}",
            name=f"Item {n}",
            order=n + 1,
            status_code=code,
            last_updated=BUILT - timedelta(minutes=5),
        )
        for n, code in enumerate(codes)
    )
    group = Group(id="AXAQooF-9v9nOdhekPYm", key="g", name="Group", order=1, items=items)
    return Environment(key=key, name=key.upper(), order=1, is_default=default, groups=(group,))


def test_the_registry_is_the_metrics_own_so_two_apps_in_one_process_do_not_collide() -> None:
    one, two = ServerMetrics(), ServerMetrics()
    RouteMeter(one, "dashboard").counted("GET", 200, "prod")
    assert sample(one, "status_dashboard_http_requests_total", **LABELS) == 1
    assert sample(two, "status_dashboard_http_requests_total", **LABELS) is None


LABELS = {"route": "dashboard", "method": "GET", "status": "200", "environment": "prod"}


def test_a_meter_counts_each_answer_under_its_labels_and_times_it() -> None:
    metrics = ServerMetrics()
    meter = RouteMeter(metrics, "dashboard")
    for _ in range(3):
        meter.answered("GET", 200, "prod", time.perf_counter())
    meter.answered("HEAD", 304, "acc", time.perf_counter() - 0.2)
    assert sample(metrics, "status_dashboard_http_requests_total", **LABELS) == 3
    assert (
        sample(
            metrics,
            "status_dashboard_http_requests_total",
            route="dashboard",
            method="HEAD",
            status="304",
            environment="acc",
        )
        == 1
    )
    count = "status_dashboard_http_request_duration_seconds_count"
    assert sample(metrics, count, route="dashboard") == 4
    slow = "status_dashboard_http_request_duration_seconds_bucket"
    assert sample(metrics, slow, route="dashboard", le="0.1") == 3
    assert sample(metrics, slow, route="dashboard", le="0.25") == 4


def test_odd_methods_share_one_series_however_many_there_are() -> None:
    metrics = ServerMetrics()
    meter = RouteMeter(metrics, "dashboard")
    for n in range(500):
        meter.counted(f"M{n}", 405, "")
    exposed = text_string_to_metric_families(metrics.exposition().decode())
    requests = next(f for f in exposed if f.name == "status_dashboard_http_requests")
    assert [(s.labels["method"], s.value) for s in requests.samples] == [("other", 500)]


def test_an_untimed_meter_counts_but_adds_no_latency_series() -> None:
    metrics = ServerMetrics()
    RouteMeter(metrics, "stream", timed=False).answered("GET", 200, "prod", 0.0)
    labels = {**LABELS, "route": "stream"}
    assert sample(metrics, "status_dashboard_http_requests_total", **labels) == 1
    count = "status_dashboard_http_request_duration_seconds_count"
    assert sample(metrics, count, route="stream") is None


def test_the_snapshot_figures_count_the_items_of_each_environment_by_status() -> None:
    metrics, snapshot = ServerMetrics(), DashboardSnapshot()
    metrics.add(SnapshotFigures(snapshot, store_answered_at=lambda: None))
    assert sample(metrics, "status_dashboard_snapshot_revision") is None  # nothing served yet
    ok, down, unknown = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN
    environments = [
        environment("prod", [ok, ok, down, unknown, ok], default=True),
        environment("acc", [unknown]),
    ]
    snapshot.replace(environments, 42, zone=ZONE, max_age=15, built_at=BUILT)
    assert sample(metrics, "status_dashboard_snapshot_revision") == 42
    expected = {("prod", "1"): 3, ("prod", "2"): 1, ("prod", "3"): 1, ("acc", "1"): 0}
    expected |= {("acc", "2"): 0, ("acc", "3"): 1}
    for (key, code), count in expected.items():
        status = StatusCode(int(code)).name.lower()
        found = sample(
            metrics, "status_dashboard_items", environment=key, status_code=code, status=status
        )
        assert found == count, (key, code)


def test_the_snapshot_figures_say_how_old_the_snapshot_and_the_store_answer_are() -> None:
    metrics, snapshot = ServerMetrics(), DashboardSnapshot()
    metrics.add(
        SnapshotFigures(
            snapshot,
            store_answered_at=lambda: 100.0,
            clock=lambda: BUILT.timestamp() + 30,
            monotonic=lambda: 107.5,
        )
    )
    snapshot.replace([environment("prod", [])], 1, zone=ZONE, max_age=15, built_at=BUILT)
    assert sample(metrics, "status_dashboard_snapshot_age_seconds") == 30
    assert sample(metrics, "status_dashboard_store_last_success_age_seconds") == 7.5
    # An environment without items shows when it was built: it has no change of its own.
    last_change = "status_dashboard_dashboard_last_change_age_seconds"
    assert sample(metrics, last_change, environment="prod") == 30


def test_every_rebuild_is_counted_and_timed() -> None:
    metrics, snapshot = ServerMetrics(), DashboardSnapshot()
    watch_rebuilds(snapshot, metrics, clock=lambda: BUILT + timedelta(milliseconds=40))
    for revision in (1, 2):
        snapshot.replace([environment("prod", [])], revision, zone=ZONE, max_age=15, built_at=BUILT)
    assert sample(metrics, "status_dashboard_snapshot_rebuilds_total") == 2
    total = sample(metrics, "status_dashboard_snapshot_rebuild_duration_seconds_sum")
    assert total == pytest.approx(0.08)


def test_a_monitors_runs_failures_and_late_starts_are_counters() -> None:
    metrics, stats = ServerMetrics(), RunStats()
    metrics.add(CheckFigures(stats))
    for lateness, ok in [(0.1, True), (2.5, False), (0.0, False)]:
        stats.started(lateness)
        stats.finished(ok)
    stats.next_period()  # the log's period ends; the counters go on
    assert sample(metrics, "status_dashboard_checks_run_total") == 3
    assert sample(metrics, "status_dashboard_checks_failed_total") == 2
    assert sample(metrics, "status_dashboard_checks_late_total") == 1


def sighting(environment_key: str, agent: str, conforming: bool, count: int) -> ClientSighting:
    return ClientSighting(environment_key, agent, conforming, count, BUILT, BUILT)


def test_a_register_flush_counts_its_identities_and_the_requests_that_did_not_conform() -> None:
    metrics, register = ServerMetrics(), MemoryClientRegister()
    measured = MeasuredRegister(register, metrics)
    measured.record(
        [
            sighting("prod", "app/1.0 connector/2.0", True, 40),
            sighting("prod", "curl/8.0", False, 7),
            sighting("prod", "", False, 3),
            sighting("acc", "app/1.0 connector/2.0", True, 5),
        ]
    )
    measured.record([sighting("acc", "curl/8.0", False, 2)])
    assert sample(metrics, "status_dashboard_client_register_flushes_total") == 2
    assert sample(metrics, "status_dashboard_client_register_identities_flushed_total") == 5
    # The last period: acc had one caller, prod none.
    assert sample(metrics, "status_dashboard_client_identities", environment="acc") == 1
    assert sample(metrics, "status_dashboard_client_identities", environment="prod") == 0
    nonconforming = "status_dashboard_client_nonconforming_requests_total"
    assert sample(metrics, nonconforming, environment="prod") == 10
    assert sample(metrics, nonconforming, environment="acc") == 2
    assert {c.user_agent for c in measured.clients("prod").entries} == {
        "app/1.0 connector/2.0",
        "curl/8.0",
        "",
    }
