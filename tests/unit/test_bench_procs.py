"""What every bench's command shares: its exit status and what it says when it cannot run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The bench is a set of scripts beside scripts/bench.py, not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_procs as procs


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
