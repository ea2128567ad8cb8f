"""The conformance book: what each client of the simulator did, judged by `domain.conformance`.

The simulator calls `judge` before it answers a request (the verdict goes into the answer's
`X-Simulator-Conformance`) and `answered` when the answer is complete, or when it gave up on it.
In between, the request is in flight: another request of the same client then is a burst.

One client is one exact User-Agent string; requests without one (or with an empty one) are one
client together. Memory stays flat however many clients come: at most `max_clients` of them,
the least recently seen dropped first, and per client only counters per rule, the last
`RECENT_REQUESTS` requests and what the rules must remember (bounded too).

Everything runs on the server's one event loop, so nothing here locks. An answer may never be
reported (a bug, a cancelled task): an in-flight mark then expires after `IN_FLIGHT_LIMIT_S`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from status_dashboard.domain.conformance import (
    AnswerFacts,
    Backoff,
    ClientMemory,
    FreshAnswer,
    RequestFacts,
    Rule,
    Verdict,
    judge,
)
from status_dashboard.service.simulator.report import ClientReport, RecentRequest, RuleReport
from status_dashboard.service.tracing import MAX_USER_AGENT_LENGTH

RECENT_REQUESTS = 20
IN_FLIGHT_LIMIT_S = 150.0
"""Longer than any answer the simulator holds on purpose (`slow` at most 120 s, `timeout` 65 s)."""
MAX_RESOURCES_PER_CLIENT = 64
"""(scenario, path) pairs remembered per client; the simulator serves far fewer that answer 200."""
MAX_IN_FLIGHT_PER_CLIENT = 64
"""In-flight marks kept per client; past this many, the oldest go (one is enough for a burst)."""
MAX_PATH_LENGTH = 200
"""Paths and scenario names are cut to this where the book keeps them: they come from the client."""

_FRESH_STATUSES = frozenset({200, 304})
_BACKOFF_STATUSES = frozenset({429, 503})


@dataclass(slots=True)
class _Tally:
    checked: int = 0
    broken: int = 0
    last_breach: str | None = None
    last_breach_at: datetime | None = None


_Key = tuple[float, str, str, str]
"""A request as the book keeps it: when, method, path and scenario, cut short. The book never
keeps a whole `RequestFacts`, whose headers may be as long as the client likes."""


def _key(request: RequestFacts) -> _Key:
    return (
        request.at,
        request.method[:16],
        request.path[:MAX_PATH_LENGTH],
        request.scenario[:MAX_PATH_LENGTH],
    )


@dataclass(slots=True)
class _Recent:
    key: _Key
    at: datetime
    verdict: Verdict
    status: int | None = None


@dataclass(slots=True)
class _Client:
    identity: str | None
    first_seen: datetime
    last_seen: datetime
    requests: int = 0
    tallies: dict[Rule, _Tally] = field(default_factory=lambda: {rule: _Tally() for rule in Rule})
    recent: deque[_Recent] = field(default_factory=lambda: deque(maxlen=RECENT_REQUESTS))
    in_flight: dict[_Key, int] = field(default_factory=dict)
    """Requests without an answer yet, counted: two requests may look exactly alike."""
    fresh: OrderedDict[tuple[str, str], FreshAnswer] = field(default_factory=OrderedDict)
    backoffs: OrderedDict[str, Backoff] = field(default_factory=OrderedDict)

    def memory_for(self, request: RequestFacts) -> ClientMemory:
        return ClientMemory(
            in_flight=sum(self.in_flight.values()),
            last_fresh=self.fresh.get(_resource(request)),
            backoff=self.backoffs.get(_resource(request)[0]),
        )

    def expire_in_flight(self, now: float) -> None:
        for key in [k for k in self.in_flight if k[0] < now - IN_FLIGHT_LIMIT_S]:
            del self.in_flight[key]

    def take_off(self, key: _Key) -> None:
        self.in_flight[key] = self.in_flight.get(key, 0) + 1
        while len(self.in_flight) > MAX_IN_FLIGHT_PER_CLIENT:
            del self.in_flight[next(iter(self.in_flight))]

    def land(self, key: _Key) -> None:
        count = self.in_flight.get(key, 0)
        if count > 1:
            self.in_flight[key] = count - 1
        elif count == 1:
            del self.in_flight[key]

    def remember(self, request: RequestFacts, answer: AnswerFacts) -> None:
        """Keep what the answer told the client that a later request must respect."""
        if answer.status in _FRESH_STATUSES:
            key = _resource(request)
            before = self.fresh.pop(key, None)
            etag = answer.etag or (before.etag if before is not None else None)
            self.fresh[key] = FreshAnswer(answer.at, answer.max_age_s, etag)
            _bound(self.fresh)
        elif answer.status in _BACKOFF_STATUSES and answer.retry_after_s is not None:
            scenario = _resource(request)[0]
            self.backoffs.pop(scenario, None)
            self.backoffs[scenario] = Backoff(answer.at, answer.status, answer.retry_after_s)
            _bound(self.backoffs)


class ConformanceBook:
    def __init__(self, *, wall_clock: Callable[[], datetime], max_clients: int = 1000) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self._wall_clock = wall_clock
        self._max_clients = max_clients
        self._clients: OrderedDict[str | None, _Client] = OrderedDict()

    def judge(self, request: RequestFacts) -> Verdict:
        """The verdict on `request`, counted in its client's report; the request is then in
        flight until `answered`."""
        now = self._wall_clock().astimezone(UTC)
        client = self._client(request.user_agent, now)
        client.expire_in_flight(request.at)
        judgement = judge(request, client.memory_for(request))
        client.requests += 1
        client.last_seen = now
        for rule in judgement.checked:
            tally = client.tallies[rule]
            tally.checked += 1
        for finding in judgement.verdict.findings:
            tally = client.tallies[finding.rule]
            tally.broken += 1
            tally.last_breach = finding.detail
            tally.last_breach_at = now
        if Rule.RETRY_AFTER in judgement.checked and not judgement.broke(Rule.RETRY_AFTER):
            # The client waited it out: the next request of this scenario is free again.
            client.backoffs.pop(_resource(request)[0], None)
        key = _key(request)
        client.take_off(key)
        client.recent.append(_Recent(key, now, judgement.verdict))
        return judgement.verdict

    def answered(self, request: RequestFacts, answer: AnswerFacts) -> None:
        """`request` was answered (or given up on) as `answer` says."""
        client = self._clients.get(_identity(request.user_agent))
        if client is None:  # forgotten, or dropped for newer clients, while in flight
            return
        key = _key(request)
        client.land(key)
        for recent in reversed(client.recent):
            if recent.key == key and recent.status is None:
                recent.status = answer.status
                break
        client.remember(request, answer)

    def report(self, user_agent: str | None) -> ClientReport | None:
        client = self._clients.get(_identity(user_agent))
        return None if client is None else _report(client)

    def clients(self) -> list[ClientReport]:
        """Every client the book holds, the most recently seen first."""
        return [_report(client) for client in reversed(self._clients.values())]

    def forget(self, user_agent: str | None) -> bool:
        """Start `user_agent` afresh; False when the book did not know it."""
        return self._clients.pop(_identity(user_agent), None) is not None

    def _client(self, user_agent: str | None, now: datetime) -> _Client:
        identity = _identity(user_agent)
        client = self._clients.get(identity)
        if client is None:
            client = _Client(identity, first_seen=now, last_seen=now)
            self._clients[identity] = client
            while len(self._clients) > self._max_clients:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(identity)
        return client


def _identity(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    return user_agent[:MAX_USER_AGENT_LENGTH]


def _resource(request: RequestFacts) -> tuple[str, str]:
    """What poll-interval and conditional-requests remember per (see `domain.conformance`)."""
    return (request.scenario[:MAX_PATH_LENGTH], request.path[:MAX_PATH_LENGTH])


def _bound(memory: OrderedDict[str, Backoff] | OrderedDict[tuple[str, str], FreshAnswer]) -> None:
    while len(memory) > MAX_RESOURCES_PER_CLIENT:
        memory.popitem(last=False)


def _report(client: _Client) -> ClientReport:
    rules = tuple(
        RuleReport(rule, t.checked, t.broken, t.last_breach, t.last_breach_at)
        for rule, t in client.tallies.items()
    )
    recent = tuple(
        RecentRequest(
            at=r.at,
            method=r.key[1],
            path=r.key[2],
            scenario=r.key[3],
            status=r.status,
            verdict=r.verdict.header_value(),
            findings=r.verdict.findings,
        )
        for r in reversed(client.recent)
    )
    return ClientReport(
        identity=client.identity,
        requests=client.requests,
        first_seen=client.first_seen,
        last_seen=client.last_seen,
        rules=rules,
        recent=recent,
    )
