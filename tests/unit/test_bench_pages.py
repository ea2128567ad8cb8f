"""The status pages' bench: its percentiles, what it counts as a page's files, its verdicts, and
where its block goes."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

# The bench is a script beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_pages
import bench_pages_report as report
from bench_pages_report import Cpu, Figures, Page, PageFigures, Weight

PAGE_URL = "http://127.0.0.1:8000/items/abc"

# --- percentiles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        (list(range(1, 101)), 0.50, 50),  # nearest rank: one of the values, never between two
        (list(range(1, 102)), 0.50, 51),
        (list(range(1, 102)), 0.99, 100),
        (list(range(0, 201)), 0.99, 198),  # p99 of 201 is the 199th smallest
        ([3.0, 1.0, 2.0], 0.50, 2.0),  # unordered input is ranked
        ([1.0, 2.0], 0.99, 2.0),
        ([7.0], 0.99, 7.0),
    ],
)
def test_a_percentile_is_the_value_at_its_nearest_rank(
    values: list[float], share: float, expected: float
) -> None:
    assert report.percentile(values, share) == expected


def test_the_percentile_of_no_values_is_not_a_number() -> None:
    assert math.isnan(report.percentile([], 0.50))


# --- what a page links ---------------------------------------------------------------------


def test_the_stylesheet_script_and_images_are_the_pages_files_in_order() -> None:
    html = """<!doctype html><html><head>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/static/status.1.css">
    <link rel="alternate" type="application/atom+xml" href="/prod.atom">
    <link rel="canonical" href="/">
    <script src="/static/status.2.js" defer></script>
    <script type="application/json" id="status-i18n">{"a": "<img src=x>"}</script>
    </head><body><a href="/history">History</a><img src="logo.png" alt="">
    <img src="/static/status.1.css"></body></html>"""
    links = bench_pages.linked_subresources(html, PAGE_URL)
    assert links.same_origin == ["/static/status.1.css", "/static/status.2.js", "/items/logo.png"]
    assert links.foreign == []


def test_a_page_without_an_icon_costs_the_favicon_a_browser_asks_for() -> None:
    links = bench_pages.linked_subresources('<link rel="stylesheet" href="/s.css">', PAGE_URL)
    assert links.same_origin == ["/s.css", "/favicon.ico"]


@pytest.mark.parametrize(
    "tag",
    [
        '<link rel="shortcut icon" href="/static/icon.png">',
        '<link rel="apple-touch-icon icon" href="/static/icon.png">',
        '<link rel="ICON" href="/static/icon.png">',
    ],
)
def test_an_icon_is_known_by_any_of_its_rel_words(tag: str) -> None:
    assert bench_pages.linked_subresources(tag, PAGE_URL).same_origin == ["/static/icon.png"]


def test_files_on_other_hosts_are_reported_apart_and_the_query_is_kept() -> None:
    html = (
        '<link rel="icon" href="data:,">'
        '<script src="https://cdn.example/lib.js"></script>'
        '<script src="//127.0.0.1:8000/static/a.js?v=2"></script>'
        '<img src="http://127.0.0.1:9999/other-port.png">'
    )
    links = bench_pages.linked_subresources(html, PAGE_URL)
    assert links.same_origin == ["/static/a.js?v=2"]
    assert links.foreign == ["https://cdn.example/lib.js", "http://127.0.0.1:9999/other-port.png"]


def test_the_head_counts_the_status_line_each_header_and_the_blank_line() -> None:
    headers = [("content-type", "text/html"), ("content-length", "5")]
    expected = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\n\r\n"
    assert bench_pages.head_size(11, 200, "OK", headers) == len(expected)


# --- verdicts and the block ----------------------------------------------------------------


def _page(path: str, cached_ms: float, changed_ms: float, total: int) -> PageFigures:
    files = {"/static/status.css": 3_000}
    return PageFigures(
        Page(path.strip("/") or "PROD", path),
        first_s=0.05,
        cached_s=[cached_ms / 1000] * 3,
        changed_s=[changed_ms / 1000] * 3,
        weight=Weight(total - 3_000, 400_000, files),
    )


def _verdict_lines(figures: Figures) -> list[str]:
    return [line for line in report.render(figures).splitlines() if line.startswith("- **")]


def test_every_target_met_reads_pass_with_the_slowest_and_heaviest_page() -> None:
    figures = Figures(pages=[_page("/", 0.4, 21.0, 14_000), _page("/acc", 0.5, 20.0, 13_000)])
    assert _verdict_lines(figures) == [
        "- **PASS** first HTML response p50 < 50 ms on every page, served from memory: "
        "slowest `/acc` at 0.5 ms",
        "- **PASS** first HTML response p50 < 50 ms on every page, right after a change: "
        "slowest `/` at 21.0 ms",
        "- **PASS** weight of a first visit < 150 KB on every page: heaviest `/` at 13.7 KB",
    ]


def test_a_page_over_a_target_fails_it_and_is_named() -> None:
    figures = Figures(pages=[_page("/", 0.4, 50.0, 150 * 1024), _page("/history", 0.5, 8.0, 9_000)])
    lines = _verdict_lines(figures)
    assert lines[0].startswith("- **PASS**")
    assert lines[1] == (
        "- **FAIL** first HTML response p50 < 50 ms on every page, right after a change: "
        "slowest `/` at 50.0 ms; over the target: `/`"
    )
    assert lines[2] == (
        "- **FAIL** weight of a first visit < 150 KB on every page: heaviest `/` at 150.0 KB; "
        "over the target: `/`"
    )


def test_no_pages_measured_is_no_pass() -> None:
    assert all(not verdict.passed for verdict in report.verdicts(Figures()))


def test_a_phase_with_other_processes_busy_is_noted() -> None:
    figures = Figures(pages=[_page("/", 0.4, 21.0, 14_000)])
    figures.cpu["changes, then the pages"] = Cpu(10.0, 8.0, 0.1, 0.0, 2.0)
    figures.cpu["pages served from memory"] = Cpu(1.0, 0.5, 0.3, 0.0, 0.05)
    block = report.render(figures)
    assert '- Note: other processes used 20% of a core during "changes, then the pages"' in block
    assert 'served from memory"; ' not in block
    assert "| changes, then the pages | 10.0 s | 80% | 1% | 0% | 20% |" in block
