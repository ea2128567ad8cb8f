"""The bench's report: reading wrk's output, judging the targets, and the Markdown it writes."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

# The bench helpers are scripts beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_report as rep
from bench_wrk import SocketErrors, WrkError, WrkResult, duration_to_ms, parse_report

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:40000/api/v1/dashboard
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.78ms    1.99ms  29.68ms   96.71%
    Req/Sec    12.49k   153.93    13.62k    90.00%
  Latency Distribution
     50%  812.00us
     75%    2.93ms
     90%    3.47ms
     99%    1.20s
  249821 requests in 10.00s, 1.86GB read
  Socket errors: connect 0, read 2, write 0, timeout 7
  Non-2xx or 3xx responses: 13
Requests/sec:  24981.28
Transfer/sec:    190.21MB
"""


def result(rate: float, p99_ms: float = 1.0) -> WrkResult:
    return WrkResult(
        requests_per_s=rate,
        p50_ms=0.5,
        p99_ms=p99_ms,
        requests=int(rate * 10),
        non_2xx_3xx=0,
        socket_errors=SocketErrors(),
        cpu_s=5.0,
    )


def measurements(
    service_200: float = 20_000, service_304: float = 20_000, p99_ms: float = 3.0
) -> rep.Measurements:
    return rep.Measurements(
        machine=rep.Machine(2, "AMD EPYC", "6.1.0", "3.11.7", "2.8.9", "1.22.1", "4.1.0", 7866),
        when="2026-12-01 08:00 UTC",
        duration_s=10,
        connections=64,
        threads=2,
        runs=[
            rep.Run("200", rep.SERVICE, result(service_200, p99_ms), 10.0),
            rep.Run("304", rep.SERVICE, result(service_304), 10.0),
            rep.Run("200", rep.NGINX, result(40_000), 6.0),
            rep.Run("304", rep.NGINX, result(50_000), 6.0),
        ],
        rss_peak_kb=80_000,
        rss_sampled_max_kb=79_000,
        start_s=1.2,
    )


@pytest.mark.parametrize(
    ("value", "unit", "ms"),
    [("812.00", "us", 0.812), ("2.93", "ms", 2.93), ("1.20", "s", 1200.0), ("1.5", "m", 90_000.0)],
)
def test_wrk_durations_are_read_in_milliseconds(value: str, unit: str, ms: float) -> None:
    assert duration_to_ms(value, unit) == pytest.approx(ms)


def test_wrk_report_gives_rate_percentiles_and_errors() -> None:
    parsed = parse_report(WRK_OUTPUT, cpu_s=3.0)

    assert parsed.requests_per_s == pytest.approx(24981.28)
    assert parsed.p50_ms == pytest.approx(0.812)
    assert parsed.p99_ms == pytest.approx(1200.0)
    assert parsed.requests == 249821
    assert parsed.non_2xx_3xx == 13
    assert parsed.socket_errors == SocketErrors(connect=0, read=2, write=0, timeout=7)
    assert parsed.socket_errors.beyond_connect == 9


def test_wrk_report_without_error_lines_has_no_errors() -> None:
    quiet = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line
    )

    parsed = parse_report(quiet)

    assert parsed.non_2xx_3xx == 0
    assert parsed.socket_errors == SocketErrors()


def test_wrk_report_without_latency_distribution_is_refused() -> None:
    with pytest.raises(WrkError):
        parse_report(WRK_OUTPUT.replace("     99%    1.20s\n", ""))


def test_table_compares_each_case_with_nginx() -> None:
    table = rep.results_table(measurements().runs)

    assert table[0] == "| case | server | req/s | p50 ms | p99 ms | vs nginx |"
    assert "| status-dashboard | 20,000 | 0.50 | 3.00 | 50% |" in table[2]
    assert "| nginx | 40,000 | 0.50 | 1.00 | 100% |" in table[3]
    assert "| status-dashboard | 20,000 | 0.50 | 1.00 | 40% |" in table[4]


def test_figures_within_every_target_all_pass() -> None:
    assert rep.failed(measurements()) == []


@pytest.mark.parametrize(
    ("m", "missed"),
    [
        (measurements(service_200=15_000), "200 path ≥ 40% of nginx req/s"),
        (measurements(p99_ms=5.0), "200 path p99 < 5 ms at 64 connections"),
        (measurements(service_304=12_000), "304 path ≥ 25% of nginx's 304 rate"),
        (replace(measurements(), rss_peak_kb=120_000), "RSS peak < 120 MB"),
        (replace(measurements(), start_s=2.0), "start < 2 s"),
    ],
)
def test_a_missed_target_fails_alone(m: rep.Measurements, missed: str) -> None:
    assert [v.target for v in rep.failed(m)] == [missed]
    assert f"**FAIL** {missed}" in rep.report(m)


def test_a_run_with_error_responses_fails_and_is_listed() -> None:
    m = measurements()
    dirty = replace(m.runs[0], result=replace(m.runs[0].result, non_2xx_3xx=3))
    m = replace(m, runs=[dirty, *m.runs[1:]])

    assert [v.observed for v in rep.failed(m)] == ["errors in 200/status-dashboard"]
    assert "- 200/status-dashboard: 3 non-2xx/3xx of 200,000;" in rep.report(m)


def test_a_busy_machine_is_noted() -> None:
    m = measurements()
    m = replace(m, runs=[replace(m.runs[0], other_cpu_s=3.0), *m.runs[1:]])

    assert "other processes were busy during 200/status-dashboard" in rep.report(m)


def test_the_first_start_is_reported_beside_the_measured_one() -> None:
    m = replace(measurements(), first_start_s=3.5)

    assert "1.20 s (the first start before it: 3.50 s;" in rep.report(m)
    assert rep.failed(m) == []


def test_a_new_document_gets_the_intro_and_the_block_between_markers() -> None:
    doc = rep.insert(None, "table\n")

    assert doc.startswith("# Performance\n")
    assert doc.endswith(f"{rep.BEGIN}\ntable\n{rep.END}\n")


def test_only_the_block_between_markers_is_replaced() -> None:
    doc = f"intro\n{rep.BEGIN}\nold\n{rep.END}\nafter\n"

    assert rep.insert(doc, "new\n") == f"intro\n{rep.BEGIN}\nnew\n{rep.END}\nafter\n"


def test_a_document_without_markers_keeps_its_text_and_gains_the_block() -> None:
    assert rep.insert("# Notes\n", "new\n") == f"# Notes\n\n{rep.BEGIN}\nnew\n{rep.END}\n"
