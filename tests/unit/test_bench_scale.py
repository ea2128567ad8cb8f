"""The scale bench's report: its percentiles, its verdicts, and where its block goes."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

# The bench is a set of scripts beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_scale_report as report
import bench_wrk as wrk
from bench_scale_operator import Change

# --- percentiles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        (list(range(1, 101)), 0.99, 99),  # nearest rank: the 99th of 100, not the largest
        (list(range(1, 101)), 0.50, 50),
        (list(range(1, 201)), 0.99, 198),
        (list(range(1, 111)), 0.99, 109),  # 108.9 rounds up to a rank
        ([3.0, 1.0, 2.0], 0.50, 2.0),  # unordered input is ranked
        ([7.0], 0.99, 7.0),
        ([7.0], 0.0, 7.0),  # rank 0 means the smallest
        ([1.0, 2.0], 1.0, 2.0),
    ],
)
def test_a_percentile_is_the_value_at_its_nearest_rank(
    values: list[float], share: float, expected: float
) -> None:
    assert report.percentile(values, share) == expected


def test_the_percentile_of_no_values_is_not_a_number() -> None:
    assert math.isnan(report.percentile([], 0.99))


def test_a_spread_ranks_the_seen_delays_and_counts_the_missing_ones() -> None:
    spread = report.spread([0.3, None, 0.1, 0.2, None])
    assert (spread.seen, spread.missing) == (3, 2)
    assert (spread.p50_s, spread.p99_s, spread.max_s) == (0.2, 0.3, 0.3)


# --- which delays count --------------------------------------------------------------------


def _change(
    number: int, writer: int, seen: tuple[float | None, ...], write_s: float = 0.5
) -> Change:
    return Change(number, writer, write_s, seen)


def test_a_replica_serving_its_own_write_is_told_apart_from_serving_the_others() -> None:
    changes = [_change(1, 0, (0.01, 0.2)), _change(2, 1, (0.3, 0.02))]
    assert report.delays_on(changes, 0, as_writer=True) == [0.01]
    assert report.delays_on(changes, 0, as_writer=False) == [0.3]
    assert report.cross_replica(changes) == [0.2, 0.3]


def test_from_sending_the_write_adds_the_writes_own_time() -> None:
    changes = [_change(1, 0, (0.01, 0.2), write_s=0.5), _change(2, 1, (None, 0.0), write_s=0.4)]
    assert report.from_sending(changes) == pytest.approx([0.7, None])


# --- the verdicts --------------------------------------------------------------------------


def _changes(count: int, cross_s: float = 0.05, own_s: float = 0.01) -> list[Change]:
    """`count` changes on A and B in turn, each seen by the other replica after `cross_s`."""
    return [
        _change(n, (n - 1) % 2, (own_s, cross_s) if (n - 1) % 2 == 0 else (cross_s, own_s))
        for n in range(1, count + 1)
    ]


def _with_cross(changes: list[Change], index: int, delay: float | None) -> list[Change]:
    change = changes[index]
    seen = list(change.seen_s)
    seen[1 - change.writer] = delay
    return [
        *changes[:index],
        Change(change.number, change.writer, change.write_s, tuple(seen)),
        *changes[index + 1 :],
    ]


def _slow_own(changes: list[Change]) -> list[Change]:
    return [
        Change(
            c.number,
            c.writer,
            c.write_s,
            tuple(5.0 if i == c.writer else s for i, s in enumerate(c.seen_s)),
        )
        for c in changes
    ]


@pytest.mark.parametrize(
    ("changes", "passed"),
    [
        (_changes(100), True),
        (_changes(120, cross_s=0.999), True),
        (_changes(100, cross_s=1.0), False),  # "under 1 s"
        (_changes(99), False),  # fewer than 100 changes
        (_with_cross(_changes(100), 7, None), False),  # one never seen on the other replica
        (_with_cross(_changes(100), 7, 3.0), True),  # one slow in 100 is past the p99
        (_with_cross(_with_cross(_changes(100), 7, 3.0), 8, 3.0), False),  # two are not
        (_slow_own(_changes(100)), True),  # the writer's own delays are not what is judged
        ([], False),
    ],
)
def test_the_visibility_verdict_judges_the_other_replicas_p99_over_enough_changes(
    changes: list[Change], passed: bool
) -> None:
    assert report.visibility_verdict(changes).passed is passed


def test_the_visibility_verdict_says_what_it_saw() -> None:
    observed = report.visibility_verdict(_with_cross(_changes(50), 3, None)).observed
    assert "over 50 changes" in observed
    assert "1 not seen" in observed
    assert "fewer than 100 changes" in observed


def _result(requests_per_s: float, non_2xx: int = 0, read_errors: int = 0) -> wrk.WrkResult:
    return wrk.WrkResult(
        requests_per_s=requests_per_s,
        p50_ms=1.0,
        p99_ms=2.0,
        requests=int(requests_per_s * 10),
        non_2xx_3xx=non_2xx,
        socket_errors=wrk.SocketErrors(connect=3, read=read_errors),
        cpu_s=1.0,
    )


_CPU = report.Cpu(10.0, {"replica A": 5.0})


def _runs(one_200: float, two_200: float, one_304: float, two_304: float) -> list[report.LoadRun]:
    return [
        report.LoadRun(report.DIRECT, report.PLAIN, _result(99_999), _CPU),
        report.LoadRun(report.ONE, report.PLAIN, _result(one_200), _CPU),
        report.LoadRun(report.ONE, report.CONDITIONAL, _result(one_304), _CPU),
        report.LoadRun(report.TWO, report.PLAIN, _result(two_200), _CPU),
        report.LoadRun(report.TWO, report.CONDITIONAL, _result(two_304), _CPU),
    ]


@pytest.mark.parametrize(
    ("runs", "passed"),
    [
        (_runs(10_000, 12_000, 11_000, 13_000), True),
        (_runs(10_000, 10_000, 11_000, 11_000), True),  # equal is not lower
        (_runs(10_000, 9_600, 11_000, 13_000), True),  # 4% lower: within the noise
        (_runs(10_000, 9_400, 11_000, 13_000), False),  # 200 lower with two, past the noise
        (_runs(10_000, 12_000, 11_000, 10_000), False),  # 304 lower with two
        (_runs(10_000, 12_000, 11_000, 13_000)[:4], False),  # a run missing
    ],
)
def test_the_throughput_verdict_compares_two_replicas_with_one_behind_the_same_nginx(
    runs: list[report.LoadRun], passed: bool
) -> None:
    # The direct run (99,999 req/s) is shown beside, never the one compared with.
    assert report.throughput_verdict(runs).passed is passed


def test_the_throughput_verdict_gives_each_ratio() -> None:
    observed = report.throughput_verdict(_runs(10_000, 12_000, 10_000, 9_000)).observed
    assert observed == "200: 120% of one, 304: 90% of one"


def test_the_throughput_verdict_sets_the_median_of_each_setups_turns_against_the_other() -> None:
    def turns(setup: str, rates: tuple[float, ...]) -> list[report.LoadRun]:
        return [
            report.LoadRun(setup, case, _result(rate), _CPU)
            for case in (report.PLAIN, report.CONDITIONAL)
            for rate in rates
        ]

    # One replica's lucky 15,000 and two replicas' unlucky 6,000 are outliers a median leaves
    # aside; the pinned pair is shown beside, never compared.
    runs = [
        *turns(report.ONE, (10_000, 15_000, 10_500)),
        *turns(report.TWO, (11_000, 6_000, 10_400)),
        *turns(report.TWO_PINNED, (1_000,)),
    ]
    verdict = report.throughput_verdict(runs)
    assert verdict.passed
    assert verdict.observed == "200: 99% of one, 304: 99% of one"
    assert "median of 3 runs" in verdict.target


@pytest.mark.parametrize(
    ("result", "passed"),
    [
        (_result(1_000), True),  # connect errors are wrk retrying at start-up
        (_result(1_000, non_2xx=1), False),
        (_result(1_000, read_errors=1), False),
    ],
)
def test_a_failed_request_in_any_run_fails_the_clean_verdict(
    result: wrk.WrkResult, passed: bool
) -> None:
    runs = [report.LoadRun(report.TWO, report.PLAIN, result, _CPU)]
    assert report.clean_verdict(runs).passed is passed


def test_no_runs_at_all_is_not_clean() -> None:
    assert not report.clean_verdict([]).passed


# --- the block -----------------------------------------------------------------------------


def test_the_block_shows_every_verdict_the_load_average_and_each_replicas_delays() -> None:
    figures = report.Figures(
        machine="2 CPUs",
        compare_s=10,
        operator_s=20,
        load_before=(0.5, 1.0, 1.5),
        load_after=(2.0, 2.5, 3.0),
        comparison=_runs(10_000, 12_000, 11_000, 10_000),
        operator_runs=[report.LoadRun("run 1", report.TRACKING, _result(9_000), _CPU)],
        operator_cpu=_CPU,
        changes=_changes(100),
        notes=["the change listener of replica B was DOWN at the start, UP at the end"],
    )
    block = report.render(figures)
    assert "0.50 / 1.00 / 1.50 before, 2.00 / 2.50 / 3.00 after" in block
    assert "- **PASS** from an admin write on replica A to the new body on replica B" in block
    assert "- **FAIL** throughput of 2 replicas not lower than one" in block
    assert "- **PASS** no non-2xx/3xx responses" in block
    assert "| B | the other's writes | 50 | 0 | 50 ms | 50 ms | 50 ms |" in block
    assert "| under writes, all runs | 10 s | 50% |" in block
    assert "- Note: the change listener of replica B was DOWN" in block
