"""The simulator bench's verdicts: what counts as holding 1,000 clients and as flat memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_simulator as bs


def polling(**changes: int) -> bs.PollFigures:
    figures = bs.PollFigures(
        clients=1000, connected=1000, polls=20_000, answered_200=1000, answered_304=19_000
    )
    figures.latencies_s = [0.001] * 100
    for name, value in changes.items():
        setattr(figures, name, value)
    return figures


def soak(kb_by_second: list[tuple[float, int]], seconds: float = 600) -> bs.SoakFigures:
    return bs.SoakFigures(seconds=seconds, clients=200, samples=kb_by_second)


def test_every_poll_answered_by_every_client_holds() -> None:
    assert bs.polling_passed(polling())


@pytest.mark.parametrize(
    "changes",
    [{"connected": 999}, {"failed": 1, "answered_304": 18_999}, {"polls": 0, "answered_200": 0,
     "answered_304": 0}],
)  # fmt: skip
def test_a_missing_client_or_a_failed_poll_does_not_hold(changes: dict[str, int]) -> None:
    assert not bs.polling_passed(polling(**changes))


def test_memory_that_settles_after_the_warm_up_is_flat() -> None:
    samples = [(t, 120_000 + min(t, 120) * 50) for t in range(0, 601, 5)]
    assert soak(samples).flat


def test_memory_that_keeps_growing_is_not_flat() -> None:
    samples = [(t, 120_000 + t * 50) for t in range(0, 601, 5)]  # 3 MB a minute
    figures = soak(samples)
    assert not figures.flat
    assert "**FAIL** memory flat" in bs.render(
        bs.Figures(polling(), figures, started_s=1.0, measured_at="now")
    )


def test_no_samples_is_no_verdict_of_flat() -> None:
    assert not soak([]).flat
