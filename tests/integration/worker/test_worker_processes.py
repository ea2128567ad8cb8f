"""Workers as real processes: they share checks through leases on PostgreSQL, one killed with
SIGKILL is taken over within a lease, and SIGTERM lets running checks finish."""

from __future__ import annotations

import time
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from integration.probes.servers import Answer, HttpServer
from integration.store.catalogs import BASE
from integration.worker.processes import start_worker, wait_for
from status_dashboard.bootstrap import Stores, open_stores
from status_dashboard.config import Settings
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck
from status_dashboard.service.publisher import utc_now

IDP = ids.item_id("prod", "idp")
INTERVAL_S = 1.0
SCHEDULE = CheckSchedule(interval_s=INTERVAL_S, timeout_s=0.5)
LEASE_S = SCHEDULE.timeout_s + 1.0  # the workers' grace is 1 s (processes.start_worker)
CHECKS = 20


@pytest.fixture
def pg_stores(postgres_url: str) -> Stores:
    stores = open_stores(Settings(database_url=postgres_url))
    stores.dashboards.apply_catalog(BASE, utc_now())
    return stores


def results_by_check(stores: Stores) -> dict[int, list[CheckResult]]:
    return {
        check.id: sorted(stores.monitor.results(check.id, limit=1000), key=lambda r: r.at)
        for check in stores.monitor.checks()
    }


@pytest.mark.postgres
def test_two_workers_share_the_checks_and_one_killed_is_taken_over_within_a_lease(
    pg_stores: Stores, postgres_url: str, target: HttpServer, tmp_path: Path
) -> None:
    url = target.answer("/health", Answer(200, b"UP", delay_s=0.05))
    checks = [(f"c{n}", HttpCheck(f"{url}?n={n}"), SCHEDULE) for n in range(CHECKS)]
    pg_stores.monitor.set_checks(IDP, checks, utc_now())
    first = start_worker(postgres_url, tmp_path, "first")
    second = start_worker(postgres_url, tmp_path, "second")
    try:
        wait_for(
            lambda: all(len(r) >= 3 for r in results_by_check(pg_stores).values()),
            20,
            "every check ran three times",
        )
        first.kill()
        killed_at = utc_now()
        time.sleep(LEASE_S + 4 * INTERVAL_S)
    finally:
        first.process.kill()
        assert second.terminate() == 0

    runs = results_by_check(pg_stores)
    assert len(runs) == CHECKS
    for results in runs.values():
        for before, after in pairwise(results):
            # Never twice at once: a run starts after the one before it ended.
            assert after.at >= before.at + timedelta(milliseconds=before.duration_ms)
        after_kill = [r.at for r in results if r.at > killed_at]
        assert len(after_kill) >= 3, "the survivor kept running every check"
        # At most one lease late: the first run after the kill, and then at each interval.
        assert after_kill[0] - killed_at <= timedelta(seconds=LEASE_S + INTERVAL_S + 0.5)
        gaps = [b - a for a, b in pairwise(after_kill)]
        assert max(gaps) <= timedelta(seconds=INTERVAL_S + 0.5)


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_sigterm_lets_the_running_check_finish_then_the_worker_exits(
    engine: str, request: pytest.FixtureRequest, target: HttpServer, tmp_path: Path
) -> None:
    database_url: str = request.getfixturevalue(f"{engine}_url")
    stores = open_stores(Settings(database_url=database_url))
    stores.dashboards.apply_catalog(BASE, utc_now())
    slow = target.answer("/slow", Answer(200, b"OK", delay_s=1.0))
    stores.monitor.set_checks(
        IDP, [("web", HttpCheck(slow), CheckSchedule(interval_s=60, timeout_s=5))], utc_now()
    )
    worker = start_worker(database_url, tmp_path, "draining")
    try:
        wait_for(lambda: "/slow" in target.requests, 15, "the check started")
    finally:
        code = worker.terminate()

    assert code == 0, worker.log()
    (check,) = stores.monitor.checks()
    (result,) = stores.monitor.results(check.id, limit=5)
    assert result.ok
    assert result.duration_ms >= 900
    assert "event=monitor_stopped" in worker.log()
