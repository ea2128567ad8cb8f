"""What a worker did lately: runs, failures, and how late checks started, for its log line and
for the benchmark that holds it to "no check started more than 1 s late"."""

from __future__ import annotations

from dataclasses import dataclass, field

LATE = 1.0
"""Seconds after its due time past which a start counts as late."""

_KEPT = 20_000
"""Start delays kept per period for the percentile; beyond it only max and counts move."""


@dataclass
class RunStats:
    runs: int = 0
    failures: int = 0
    late: int = 0
    worst_lateness: float = 0.0
    period_runs: int = 0
    period_failures: int = 0
    period_late: int = 0
    period_worst: float = 0.0
    _delays: list[float] = field(default_factory=list)

    def started(self, lateness: float) -> None:
        # A check claimed a little early (clocks, rounding) is on time, not early.
        lateness = max(0.0, lateness)
        self.runs += 1
        self.period_runs += 1
        if lateness > LATE:
            self.late += 1
            self.period_late += 1
        self.worst_lateness = max(self.worst_lateness, lateness)
        self.period_worst = max(self.period_worst, lateness)
        if len(self._delays) < _KEPT:
            self._delays.append(lateness)

    def finished(self, ok: bool) -> None:
        if not ok:
            self.failures += 1
            self.period_failures += 1

    def p99(self) -> float:
        if not self._delays:
            return 0.0
        ordered = sorted(self._delays)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

    def line(self) -> str:
        """The period's figures then the totals, as key=value pairs for the log."""
        return (
            f"runs={self.period_runs} failed={self.period_failures} late={self.period_late} "
            f"late_p99_ms={self.p99() * 1000:.0f} late_max_ms={self.period_worst * 1000:.0f} "
            f"total_runs={self.runs} total_failed={self.failures} total_late={self.late} "
            f"total_late_max_ms={self.worst_lateness * 1000:.0f}"
        )

    def next_period(self) -> None:
        self.period_runs = self.period_failures = self.period_late = 0
        self.period_worst = 0.0
        self._delays = []
