"""The SDK's parsing bench: the document it times is a valid 1,000-item dashboard with the
mix of states it claims, and its report says what was measured and judges it."""

from __future__ import annotations

import sys
from pathlib import Path

from status_dashboard.sdk import Dashboard

# The bench is a script beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_sdk


def test_the_benched_document_is_a_valid_dashboard_of_fifty_groups_of_twenty() -> None:
    dashboard = Dashboard.parse(bench_sdk.dashboard_body())
    assert len(dashboard.groups) == 50
    assert {len(group.items) for group in dashboard.groups} == {20}
    assert len(dashboard.disrupted()) == 100
    assert len(dashboard.unknown()) == 40
    assert all(item.description for item in dashboard.disrupted())
    assert len({item.last_updated for item in dashboard.items()}) == 1000


def test_the_report_gives_median_and_p99_against_the_target() -> None:
    markdown, passed = bench_sdk.measure(runs=20)
    rows = [line for line in markdown.splitlines() if line.startswith(("| median", "| p99"))]
    assert len(rows) == 2
    assert all("< 5 ms" in row for row in rows)
    assert passed == all(row.endswith("| PASS |") for row in rows)
    assert "over 20 runs" in markdown
