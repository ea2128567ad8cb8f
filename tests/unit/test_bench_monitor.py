"""The monitoring bench's report: the worker's log lines, lateness on the check's grid, the
verdicts against issue 4's targets, and the block it writes into docs/performance.md."""

from __future__ import annotations

import http.client
import socket
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck
from status_dashboard.domain.monitoring import CheckState, next_due
from status_dashboard.domain.ports import StoredCheck
from status_dashboard.probes.errors import reason_for

# The bench helpers are scripts beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_monitor as bm
import bench_monitor_report as mrep
import bench_report as rep
from bench_wrk import SocketErrors, WrkResult

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

STATS_LINE = (
    "ts=2026-12-01T08:00:30Z level=info logger=status_dashboard.worker.runner "
    "event=monitor_stats worker=bench-worker runs=1000 failed=2 late=0 late_p99_ms=212 "
    "late_max_ms=240 total_runs=2461 total_failed=19 total_late=905 total_late_max_ms=19456"
)


def lateness(p99_s: float = 0.2, late: int = 0, runs: int = 950) -> mrep.Lateness:
    return mrep.Lateness(runs=runs, late=late, p50_s=0.1, p99_s=p99_s, max_s=max(p99_s, 0.25))


def runs(count: int = 950, failed: int = 0, reasons: dict[str, int] | None = None) -> mrep.Runs:
    return mrep.Runs(lateness(runs=count), failed, reasons or {}, max_duration_ms=40.0)


def cpu(window_s: float = 60.0, worker_s: float = 15.0, other_s: float = 0.0) -> mrep.Cpu:
    return mrep.Cpu(window_s=window_s, worker_s=worker_s, nginx_s=0.6, other_s=other_s)


def wrk_result(p99_ms: float, rate: float = 1_500.0) -> WrkResult:
    return WrkResult(rate, 0.8, p99_ms, int(rate * 15), 0, SocketErrors(), 1.0)


TIMED_OUT = {"timed out after 5 s": 50}


def measurements() -> mrep.MonitorMeasurements:
    schedule = mrep.ScheduleCase(
        checks=1000,
        interval_s=30,
        concurrency=100,
        hanging=50,
        timeout_s=5,
        warm_up=mrep.WarmUp(
            define_s=0.6,
            first_cycle_s=20.0,
            caught_up_s=24.0,
            first_runs=mrep.Runs(mrep.Lateness(1000, 900, 9.0, 18.0, 18.5)),
            cpu=cpu(24.0, 22.0),
        ),
        cpu=cpu(),
        clean=runs(),
        while_hanging=runs(),
        hanging_clean=runs(50),
        hanging_hung=runs(50, 50, TIMED_OUT),
        measured=runs(2000, 50, TIMED_OUT),
        stats={"total_runs": "3600", "total_late": "900", "total_late_max_ms": "18500"},
    )
    load = mrep.LoadCase(
        duration_s=15,
        connections=8,
        delay_ms=5,
        checks=1000,
        interval_s=6,
        api_cpus="0",
        worker_cpus="1",
        baseline=mrep.LoadRun(wrk_result(5.0), cpu(15.0, 0.0)),
        loaded=mrep.LoadRun(
            wrk_result(5.5), cpu(15.0, 12.0), 10_000.0, lateness(runs=2500), 2500, 2500
        ),
        shared=mrep.LoadRun(
            wrk_result(9.0), cpu(15.0, 12.0), 9_800.0, lateness(runs=2450), 2450, 2450
        ),
    )
    flips = mrep.FlipCase(
        interval_s=1,
        timeout_s=0.5,
        poll_ms=20,
        flips=[mrep.Flip(2 if n % 2 == 0 else 1, 0.03 + n / 1000, 0.6) for n in range(20)],
        cpu=cpu(20.0, 0.0),
    )
    machine = rep.Machine(2, "AMD EPYC", "6.1.0", "3.11.7", "2.8.9", "1.22.1", "4.1.0", 0)
    return mrep.MonitorMeasurements(machine, "2026-12-01 08:00 UTC", schedule, load, flips)


# --- figures -----------------------------------------------------------------------------------


def test_percentiles_are_nearest_rank_as_the_workers_own() -> None:
    values = [float(n) for n in range(1, 101)]

    assert mrep.percentile(values, 0.99) == 100.0
    assert mrep.percentile(values, 0.50) == 51.0
    assert mrep.percentile([], 0.99) == 0.0


def test_lateness_counts_starts_past_one_second_and_early_starts_as_on_time() -> None:
    late = mrep.Lateness.of([-0.01, 0.2, 1.0, 1.01, 3.0])

    assert late == mrep.Lateness(runs=5, late=2, p50_s=1.0, p99_s=3.0, max_s=3.0)


def test_a_workers_stats_line_is_read_as_key_value_pairs() -> None:
    pairs = mrep.parse_stats_line(STATS_LINE)

    assert pairs is not None
    assert pairs["event"] == "monitor_stats"
    assert pairs["total_late"] == "905"
    assert pairs["late_p99_ms"] == "212"


def test_only_the_stats_and_stopped_lines_of_a_log_are_kept() -> None:
    log = "\n".join(
        [
            "ts=... level=info logger=x event=monitor_started worker=w concurrency=100",
            STATS_LINE,
            "ts=... level=info logger=httpx HTTP Request: GET http://127.0.0.1/health",
            STATS_LINE.replace("monitor_stats", "monitor_stopped"),
        ]
    )

    assert [pairs["event"] for pairs in mrep.stats_lines(log)] == [
        "monitor_stats",
        "monitor_stopped",
    ]


def test_the_timed_out_reason_is_the_probes_own_wording() -> None:
    assert mrep.timed_out_reason(5.0) == reason_for(TimeoutError(), 5.0)
    assert mrep.timed_out_reason(0.5) == reason_for(TimeoutError(), 0.5)


def stored(check_id: int = 7, interval_s: float = 30) -> StoredCheck:
    schedule = CheckSchedule(interval_s=interval_s, timeout_s=5)
    return StoredCheck(
        check_id, "item", "prod", "check-00", HttpCheck("http://127.0.0.1/"), schedule,
        CheckState(), NOW,
    )  # fmt: skip


@pytest.mark.parametrize("late_s", [0.0, 0.25, 1.5, 29.9])
def test_a_run_is_late_by_its_start_minus_the_grid_point_before_it(late_s: float) -> None:
    check = stored()
    due = next_due(check.id, check.schedule, NOW)

    assert bm.grid_due(check, due + timedelta(seconds=late_s)) == due


def test_the_runs_due_in_a_window_are_its_grid_points() -> None:
    check = stored()
    first = next_due(check.id, check.schedule, NOW)
    interval = check.schedule.interval

    assert bm.runs_due(check, first, first + 3 * interval) == 3
    assert bm.runs_due(check, first + timedelta(microseconds=1), first + 3 * interval) == 2
    assert bm.runs_due(check, first, first + 3 * interval + timedelta(microseconds=1)) == 4
    assert bm.runs_due(check, first, first) == 0


def test_runs_gathered_count_failures_by_reason() -> None:
    bucket = bm.Bucket()
    due = NOW
    bucket.add(CheckResult(True, "HTTP 200", due + timedelta(seconds=0.1), 3.0), due)
    bucket.add(CheckResult(False, "timed out after 5 s", due + timedelta(seconds=2), 5001.0), due)

    gathered = bucket.runs()

    assert gathered.count == 2
    assert gathered.failed == 1
    assert gathered.reasons == {"timed out after 5 s": 1}
    assert gathered.lateness.late == 1
    assert gathered.max_duration_ms == 5001.0


# --- the bench's own target --------------------------------------------------------------------


def ask(url: str, timeout_s: float = 2.0) -> int:
    host, _, port = url.removeprefix("http://").partition("/")[0].partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
    try:
        conn.request("GET", "/target")
        return conn.getresponse().status
    finally:
        conn.close()


def test_the_target_answers_200_503_or_nothing_as_told() -> None:
    with bm.serving_target() as target:
        assert ask(target.url) == 200
        target.mode = bm.FAILING
        assert ask(target.url) == 503
        target.mode = bm.HANGING
        with pytest.raises(socket.timeout):
            ask(target.url, timeout_s=0.2)


# --- verdicts ----------------------------------------------------------------------------------


def test_figures_within_every_target_all_pass() -> None:
    assert mrep.failed(measurements()) == []


def _schedule(m: mrep.MonitorMeasurements, **changes: object) -> mrep.MonitorMeasurements:
    return replace(m, schedule=replace(m.schedule, **changes))


def _load(m: mrep.MonitorMeasurements, **changes: object) -> mrep.MonitorMeasurements:
    return replace(m, load=replace(m.load, **changes))


M = measurements()
LOADED = M.load.loaded


@pytest.mark.parametrize(
    ("m", "missed"),
    [
        (_schedule(M, cpu=cpu(worker_s=30.0)), "worker CPU < 50% of one core"),
        (
            _schedule(M, measured=replace(M.schedule.measured, lateness=lateness(late=1))),
            "no check started more than 1 s late",
        ),
        (
            _schedule(M, measured=runs(1990, 50, TIMED_OUT)),
            "no check started more than 1 s late",
        ),
        (
            _schedule(M, hanging_hung=runs(50, 50, {"Connection reset": 50})),
            "a hanging target's checks end at their 5 s timeout",
        ),
        (
            _schedule(M, while_hanging=mrep.Runs(lateness(p99_s=0.45))),
            "the other checks' lateness unchanged while 50 hang",
        ),
        (
            _load(M, loaded=replace(LOADED, results_per_min=9_000.0)),
            "10,000 results/min stored",
        ),
        (
            _load(M, loaded=replace(LOADED, stored_runs=2499)),
            "10,000 results/min stored: every run due in the window",
        ),
        (
            _load(M, loaded=replace(LOADED, due_runs=0, stored_runs=0)),
            "10,000 results/min stored",
        ),
        (
            _load(M, loaded=replace(LOADED, result=wrk_result(6.1))),
            "the API's p99 at most max(1 ms, 20%) above the baseline",
        ),
        (
            replace(M, flips=replace(M.flips, flips=[mrep.Flip(2, 1.0, 1.5)] * 20)),
            "reaches the API within 1 s",
        ),
        (
            replace(M, flips=replace(M.flips, flips=[mrep.Flip(2, None, None)] * 20)),
            "reaches the API within 1 s",
        ),
    ],
)
def test_a_missed_target_fails_alone(m: mrep.MonitorMeasurements, missed: str) -> None:
    failed = mrep.failed(m)

    assert len(failed) == 1
    assert missed in failed[0].target
    assert f"**FAIL** {failed[0].target}" in mrep.report(m)


def test_the_p99_may_rise_by_a_fifth_of_a_slow_baseline() -> None:
    m = _load(
        M,
        baseline=replace(M.load.baseline, result=wrk_result(10.0)),
        loaded=replace(LOADED, result=wrk_result(11.9)),
    )

    assert mrep.failed(m) == []
    assert m.load.allowed_rise_ms == pytest.approx(2.0)


def test_a_lateness_that_falls_while_the_target_hangs_is_no_change() -> None:
    m = _schedule(M, clean=mrep.Runs(lateness(p99_s=0.6)))

    assert mrep.failed(m) == []


# --- the report --------------------------------------------------------------------------------


def test_the_report_has_a_table_per_case_and_the_verdicts() -> None:
    text = mrep.report(M)

    for heading in (
        "#### 1. 1,000 HTTP checks",
        "#### 2. A hanging",
        "#### 3. 10,000",
        "#### 4. A",
    ):
        assert heading in text
    assert "| warm-up: first runs, from definition | 1,000 | 0 | 9,000 ms |" in text
    assert "| hanging | the 50 on the target | 50 | 50 | 40 ms |" in text
    assert "| with the worker (on CPU 1) | 1,500 | 0.80 | 5.50 | +0.50 ms | 10,000 |" in text
    assert "| the end of the deciding result | status_code | 40 ms | 49 ms | 49 ms |" in text
    assert text.count("**PASS**") == len(mrep.verdicts(M))
    assert "Note:" not in text


def test_a_busy_machine_is_noted() -> None:
    m = _schedule(M, cpu=cpu(other_s=30.0))

    assert "other processes were busy during case 1/2 (50%)" in mrep.report(m)


def test_a_missed_flip_is_said() -> None:
    flips = [*M.flips.flips[:19], mrep.Flip(1, None, None)]

    assert "1 flip(s) never showed on the API" in mrep.report(
        replace(M, flips=replace(M.flips, flips=flips))
    )


# --- docs/performance.md -----------------------------------------------------------------------


def test_a_new_document_is_the_section_with_the_block() -> None:
    doc = mrep.insert(None, "table\n")

    assert doc.startswith("## Monitoring (issue 4)\n")
    assert doc.endswith(f"{mrep.BEGIN}\ntable\n{mrep.END}\n")


def test_a_document_without_the_monitor_markers_gains_the_section_at_its_end() -> None:
    api = rep.insert(None, "api table\n")

    doc = mrep.insert(api, "monitor table\n")

    assert doc.startswith(api.rstrip())
    assert "\n\n## Monitoring (issue 4)\n" in doc
    assert doc.endswith(f"{mrep.BEGIN}\nmonitor table\n{mrep.END}\n")


def test_only_the_monitor_block_is_replaced_and_the_api_block_stays() -> None:
    doc = (
        f"intro\n{rep.BEGIN}\napi\n{rep.END}\n## Monitoring\n{mrep.BEGIN}\nold\n{mrep.END}\nafter\n"
    )

    new = mrep.insert(doc, "new\n")

    assert new == doc.replace("\nold\n", "\nnew\n")
    assert rep.insert(new, "api 2\n") == new.replace("\napi\n", "\napi 2\n")


def test_the_sections_targets_are_the_ones_judged() -> None:
    for stated in (
        f"< {mrep.MAX_WORKER_CPU_SHARE:.0%} of one core",
        f"more than {mrep.LATE_S:g} s",
        f"at most {mrep.MAX_P99_RISE_MS:g} ms or {mrep.MAX_P99_RISE_SHARE:.0%} above",
        f"within {mrep.MAX_FLIP_S:g} s",
        f"the worker's {mrep.TICK_S:g} s tick",
    ):
        assert stated in " ".join(mrep.SECTION.split())


def test_the_workers_own_totals_are_reported_beside() -> None:
    assert "warm-up included: 3,600 runs, 900 late, latest 18,500 ms." in mrep.report(M)
