"""What every bench's command shares: its exit status and what it says when it cannot run."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

# The bench is a set of scripts beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_hostile
import bench_pages
import bench_procs as procs
import bench_scale
import bench_sse


def test_a_bench_that_measured_prints_its_block_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert procs.report_or_fail("bench_x", lambda: "- **FAIL** a target: missed") == 0
    assert capsys.readouterr().out == "- **FAIL** a target: missed\n"


def test_a_bench_that_cannot_run_says_why_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    def measure() -> str:
        raise procs.BenchSetupError("nginx is missing")

    assert procs.report_or_fail("bench_x", measure) == 1
    assert capsys.readouterr().err == "bench_x: cannot run: nginx is missing\n"


def test_only_the_errors_named_are_a_bench_that_cannot_run() -> None:
    def measure() -> str:
        raise OSError("no such file")

    assert procs.report_or_fail("bench_x", measure, errors=(OSError,)) == 1
    with pytest.raises(OSError, match="no such file"):
        procs.report_or_fail("bench_x", measure)


def test_an_interrupted_bench_exits_130() -> None:
    def measure() -> str:
        raise KeyboardInterrupt

    assert procs.report_or_fail("bench_x", measure) == 130


@pytest.mark.parametrize(
    "bench", [bench_hostile, bench_pages, bench_scale, bench_sse], ids=lambda m: m.__name__
)
def test_a_benchs_block_replaces_its_markers_or_comes_as_a_new_last_section(
    bench: ModuleType, tmp_path: Path
) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Other\n\ntext\n")
    bench.write("first figures", doc)
    once = doc.read_text()
    assert once.startswith(f"# Performance\n\n## Other\n\ntext\n\n{bench.SECTION}\n")
    assert once.endswith(f"{bench.BEGIN}\nfirst figures\n{bench.END}\n")
    # What follows the block, prose or another block written by hand, stays where it is.
    after = "\n<!-- capacity:begin -->\nhand-written\n<!-- capacity:end -->\n"
    doc.write_text(once + after)
    bench.write("second figures", doc)
    twice = doc.read_text()
    assert "first figures" not in twice
    assert twice.count(bench.SECTION) == 1
    assert twice.endswith(f"{bench.BEGIN}\nsecond figures\n{bench.END}\n{after}")
