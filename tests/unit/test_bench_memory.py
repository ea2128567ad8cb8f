"""The memory bench: its verdict on the RSS of each minute, and where its block goes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The bench is a script beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_memory

MB = 1024


def _figures(*rss_mb: int) -> bench_memory.Figures:
    return bench_memory.Figures(rss_kb=[mb * MB for mb in rss_mb], rss_start_kb=100 * MB)


@pytest.mark.parametrize(
    ("rss_mb", "passed"),
    [
        ((150, 170, 175, 180, 185, 190, 190, 192, 194, 195), True),  # +14.7%
        ((150, 170, 175, 180, 185, 190, 190, 192, 194, 196), False),  # +15.3%
        ((130, 160, 190, 220, 250, 280, 310, 340, 370, 396), False),  # steady growth
        ((200, 200, 190, 180, 170, 160, 150, 140, 130, 120), True),  # shrinking is fine
    ],
)
def test_the_last_minute_is_judged_against_the_second(
    rss_mb: tuple[int, ...], passed: bool
) -> None:
    assert bench_memory.verdict(_figures(*rss_mb))[0] is passed


def test_a_run_too_short_to_judge_fails() -> None:
    passed, seen = bench_memory.verdict(_figures(150))
    assert not passed
    assert seen == "too few minutes measured"


def test_the_block_has_a_row_a_minute_and_goes_between_its_marks(tmp_path: Path) -> None:
    block = bench_memory.render(_figures(150, 170, 180))
    assert "| 0 (started, before the load) | 100 MB |" in block
    assert "| 3 | 180 MB |" in block
    assert "**PASS**" in block

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n")
    bench_memory.write(block, doc)
    bench_memory.write(block.replace("180 MB", "181 MB"), doc)

    text = doc.read_text()
    assert text.count(bench_memory.SECTION) == 1
    assert "| 3 | 181 MB |" in text
    assert "| 3 | 180 MB |" not in text
