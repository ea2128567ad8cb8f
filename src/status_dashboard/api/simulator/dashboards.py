"""The simulator's dashboard paths, as a plain ASGI callable, like the real server's.

Every request is judged before it is answered (the verdict is the answer's
`X-Simulator-Conformance`) and its answer reported to the book once complete, or when the
simulator or the client gave up on it; 404s, 406s and faults included. In between, the request
is in flight. The answer then follows from the request, in this order:

1. an unknown scenario: 404, naming it and listing the known ones;
2. a path that names no environment: 404;
3. a method other than GET and HEAD: 405;
4. a fault parameter out of range (`delay`, `retry_after`): 400 naming it;
5. an Accept that excludes JSON: 406;
6. the fault's play, or the scenario's dashboard (with 304 to a conditional request).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from status_dashboard.api.asgi import Receive, Scope, Send
from status_dashboard.api.negotiation import accepts_json
from status_dashboard.api.problems import Problem
from status_dashboard.api.simulator import faults
from status_dashboard.api.simulator.exchange import Asked, Exchange, Outcome, text
from status_dashboard.api.simulator.selection import (
    Selection,
    environment_of,
    seconds_parameter,
    select,
)
from status_dashboard.api.tracing import new_trace_id, trace_headers
from status_dashboard.domain.conformance import AnswerFacts, RequestFacts, Verdict
from status_dashboard.service.simulator.scenarios import (
    RETRY_AFTER_429_S,
    RETRY_AFTER_503_S,
    RETRY_AFTER_LIMIT_S,
    SLOW_DELAY_LIMIT_S,
    TIMEOUT_HOLD_S,
    scenario_named,
)
from status_dashboard.service.simulator.simulator import Simulator
from status_dashboard.service.snapshot import RenderedDashboard

ALLOW = b"GET, HEAD"
_NOT_JSON = Problem(406, "This resource is only available as application/json")


class ConformanceJudge(Protocol):
    """What the dashboards need of the conformance book (service.simulator.conformance)."""

    def judge(self, request: RequestFacts) -> Verdict: ...

    def answered(self, request: RequestFacts, answer: AnswerFacts) -> None: ...


class SimulatedDashboards:
    def __init__(
        self,
        simulator: Simulator,
        book: ConformanceJudge,
        *,
        slow_delay_s: float,
        retry_after_s: int | None = None,
        timeout_hold_s: float = TIMEOUT_HOLD_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`retry_after_s`: the Retry-After of both 429 and 503 (None: each its own default)."""
        self._simulator = simulator
        self._book = book
        self._slow_delay_s = slow_delay_s
        self._retry_after = {
            "unavailable-503": RETRY_AFTER_503_S if retry_after_s is None else retry_after_s,
            "rate-limited-429": RETRY_AFTER_429_S if retry_after_s is None else retry_after_s,
        }
        self._timeout_hold_s = timeout_hold_s
        self._clock = clock
        self._environments = frozenset(simulator.environment_keys)
        self._release = asyncio.Event()

    def release_held(self) -> None:
        """Answer every request a fault holds now, and every later one without holding it: the
        server is stopping, and waits for open answers to finish."""
        self._release.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = Asked.read(scope["headers"])
        selection = select(
            scope["path"], scope["query_string"], (text(asked.scenario) or "").strip()
        )
        request = RequestFacts(
            at=self._clock(),
            method=scope["method"],
            path=selection.path,
            scenario=selection.scenario,
            user_agent=text(asked.user_agent),
            accept=text(asked.accept),
            if_none_match=text(asked.if_none_match),
            if_modified_since=text(asked.if_modified_since),
        )
        verdict = self._book.judge(request)
        trace_id = new_trace_id()
        exchange = Exchange(
            send,
            receive,
            asked,
            head_only=scope["method"] == "HEAD",
            trace_id=trace_id,
            stamps=[
                *trace_headers(trace_id, asked.trace_id),
                (b"x-simulator-scenario", selection.header_value()),
                (b"x-simulator-conformance", verdict.header_value().encode("ascii")),
            ],
        )
        outcome = Outcome(500)  # what the guard around this answers should anything escape
        try:
            outcome = await self._answer(exchange, selection, request)
        finally:
            self._book.answered(request, outcome.facts(self._clock()))

    async def _answer(
        self, exchange: Exchange, selection: Selection, request: RequestFacts
    ) -> Outcome:
        name = selection.scenario
        if scenario_named(name) is None:
            return await exchange.problem(selection.unknown())
        environment, missing = environment_of(selection.path, self._environments)
        if missing is not None:
            return await exchange.problem(missing)
        if request.method not in ("GET", "HEAD"):
            return await exchange.problem(
                Problem(
                    405,
                    f"Method {request.method[:16]} is not allowed here; use GET",
                    headers=((b"allow", ALLOW),),
                )
            )
        seconds = self._fault_seconds(name, selection)
        if isinstance(seconds, Problem):
            return await exchange.problem(seconds)
        if not accepts_json(exchange.asked.accept or b""):
            return await exchange.problem(_NOT_JSON)

        def dashboard() -> RenderedDashboard:
            at = self._clock()
            found = self._simulator.dashboard(name, environment, request.user_agent, at)
            assert found is not None  # the environment was checked above
            return found

        play = faults.PLAYS.get(name)
        if play is not None:
            stage = faults.Stage(dashboard, self._simulator.max_age, seconds, self._release)
            return await play(exchange, stage)
        return await exchange.dashboard(dashboard(), self._simulator.max_age)

    def _fault_seconds(self, name: str, selection: Selection) -> float | Problem:
        """The duration the fault `name` plays for, from its query parameter or its default."""
        query = selection.query
        if name == "slow":
            return seconds_parameter(query, "delay", self._slow_delay_s, SLOW_DELAY_LIMIT_S)
        if name in self._retry_after:
            default = self._retry_after[name]
            return seconds_parameter(query, "retry_after", default, RETRY_AFTER_LIMIT_S, whole=True)
        if name == "timeout":
            return self._timeout_hold_s
        return 0.0
