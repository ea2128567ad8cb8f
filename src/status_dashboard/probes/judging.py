"""Judging an HTTP answer's body: bounded work, off the event loop.

The event loop that runs checks also serves the public API (`serve` runs the monitor in
process), so a body is never decoded, parsed or matched on it: `off_loop` hands the work to a
small pool of threads, and the probe waits for it within the check's timeout. The work itself
is bounded whatever the target sends: at most `http.BODY_LIMIT` bytes, a linear-time pattern
engine (probes/patterns.py), and orjson, which refuses JSON nested deeper than 1,024 levels at
once instead of recursing into it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import orjson

from status_dashboard.domain.checks import HttpCheck
from status_dashboard.probes import wording
from status_dashboard.probes.errors import CheckFailed
from status_dashboard.probes.jsoncheck import CompiledCondition
from status_dashboard.probes.patterns import compile_pattern

_EXCERPT_CHARS = 200
_THREADS = 4
"""Enough for judgments that take a millisecond or two each, few enough that a burst of them
cannot take the cores from the threads that serve requests."""

_POOL = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="probe-judge")
_Result = TypeVar("_Result")


async def off_loop(work: Callable[..., _Result], *args: object) -> _Result:
    """`work(*args)` on the judging threads. Cancelling the wait (the check timed out) leaves
    the loop at once; the work itself is bounded, and ends shortly after."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, work, *args)


class BodyJudge:
    """What an `HttpCheck` asks of an answer, compiled once; `judge` raises `CheckFailed`."""

    def __init__(self, check: HttpCheck) -> None:
        self.check = check
        self._pattern = compile_pattern(check.body_matches) if check.body_matches else None
        self._condition = (
            CompiledCondition.parse(check.json_condition) if check.json_condition else None
        )

    @property
    def examines_body(self) -> bool:
        return bool(self.check.body_contains or self._pattern or self._condition)

    def judge(self, status: int, body: bytes, charset: str | None) -> None:
        """Raise `CheckFailed` with the first condition the answer breaks, in the order a
        person would look: status, body, then JSON. Reasons never quote the body (they are
        public); the excerpt and what was found go to the detail."""
        check = self.check
        text = _decode(body, charset)
        excerpt = text[:_EXCERPT_CHARS] or None
        if not check.accepts_status(status):
            raise CheckFailed(f"HTTP {status}", excerpt)
        if check.body_contains is not None and check.body_contains not in text:
            raise CheckFailed(f"body lacks {wording.value(check.body_contains)}", excerpt)
        if self._pattern is not None and not self._pattern.search(text):
            raise CheckFailed(
                f"body does not match {wording.value(self._pattern.pattern)}", excerpt
            )
        if self._condition is not None:
            self._judge_json(self._condition, text, excerpt)

    @staticmethod
    def _judge_json(condition: CompiledCondition, text: str, excerpt: str | None) -> None:
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise CheckFailed("body is not JSON", _with_excerpt(str(exc), excerpt)) from None
        try:
            failure = condition.failure(document)
        except RecursionError:  # a path that descends (`$..x`) into a document ~1,000 deep
            failure = f"{condition.condition.path}: the document is nested too deep to search"
        if failure is not None:
            raise CheckFailed("JSON condition not met", _with_excerpt(failure, excerpt))


def _with_excerpt(finding: str, excerpt: str | None) -> str:
    return finding if excerpt is None else f"{finding}; body: {excerpt}"


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")
