"""The certification kit's frame: cases, their outcomes, and running each within its time.

A case is one claim about a client ("on a 429 it waits out Retry-After") with the simulator
scenario that puts it to the test. Every case runs on a thread of its own with a limit: a client
that hangs fails its case and the kit goes on, so a certification run always ends.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class Result(StrEnum):
    PASS = "pass"  # noqa: S105 (a verdict, not a secret)
    WARN = "warn"
    """The client works, but breaks etiquette the simulator reported as a warning."""
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Outcome:
    result: Result
    observed: str
    """What the client did, in a few words: what it raised, how long it took, what it sent."""


class CaseFailed(Exception):
    """Raised inside a case to end it with a failure and the reason."""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    scenario: str
    expectation: str
    """What a correct client does, as docs/simulator.md says it."""
    run: Callable[[], Outcome]
    limit_s: float


@dataclass(frozen=True, slots=True)
class CaseReport:
    case: Case
    outcome: Outcome
    seconds: float


def run_case(case: Case) -> CaseReport:
    """Run one case on a daemon thread; past its limit it fails, and the thread is abandoned
    (a daemon, so a hung client cannot keep the process alive)."""
    answers: queue.Queue[Outcome] = queue.Queue(maxsize=1)

    def body() -> None:
        try:
            answers.put(case.run())
        except CaseFailed as failure:
            answers.put(Outcome(Result.FAIL, str(failure)))
        except Exception as exc:  # the kit reports what a client under test threw, and goes on
            answers.put(Outcome(Result.FAIL, f"unexpected {type(exc).__name__}: {exc}"))

    started = time.monotonic()
    threading.Thread(target=body, name=f"certify-{case.name}", daemon=True).start()
    try:
        outcome = answers.get(timeout=case.limit_s)
    except queue.Empty:
        outcome = Outcome(Result.FAIL, f"did not finish within {case.limit_s:g} s")
    return CaseReport(case, outcome, time.monotonic() - started)


def run_all(cases: Iterable[Case]) -> Iterator[CaseReport]:
    for case in cases:
        yield run_case(case)


def overall(reports: Iterable[CaseReport]) -> Result:
    results = {report.outcome.result for report in reports}
    if Result.FAIL in results:
        return Result.FAIL
    return Result.WARN if Result.WARN in results else Result.PASS
