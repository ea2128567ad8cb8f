"""What a partner's client must do, judged request by request (cookbook §5.1, docs/design.md §3).

The simulator hands every request it receives to these rules, with what it answered the same
client before, and tells the client the verdict (`X-Simulator-Conformance`). The rules are pure:
facts in, findings out, the time given as a number of seconds on one monotonic clock.

Rules and their severity:

| rule                  | severity | broken when                                                    |
|-----------------------|----------|----------------------------------------------------------------|
| `user-agent`          | error    | no User-Agent, or one outside the cookbook's pattern           |
| `accept`              | error    | no `Accept: application/json`                                  |
| `retry-after`         | error    | a request before the `Retry-After` of a 429 or 503 has passed  |
| `no-parallel-bursts`  | error    | a request while another of the same client is still in flight  |
| `poll-interval`       | warning  | a request before the `max-age` of the last 200 or 304 passed   |
| `conditional-requests`| warning  | no `If-None-Match` although an ETag was given for that path    |

What a rule remembers is kept per resource, the pair (scenario, path): each scenario is a server
of its own to the client (a path prefix even makes it another URL), so a test kit that walks
through the scenarios one after the other is not blamed for polling too fast or for ignoring an
ETag another scenario gave. A `Retry-After` holds for every path of the scenario that said it.

A rule that has nothing to judge (no ETag given yet, no 429 or 503 to wait out) is not checked:
`judge` says which rules it checked, so a report can tell "kept" from "not tested yet".

Waits are allowed a little jitter (`jitter_allowance`): a client that waits exactly `max-age`
seconds from when it read the answer arrives a few milliseconds early by our clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Rule(StrEnum):
    USER_AGENT = "user-agent"
    ACCEPT = "accept"
    RETRY_AFTER = "retry-after"
    NO_PARALLEL_BURSTS = "no-parallel-bursts"
    POLL_INTERVAL = "poll-interval"
    CONDITIONAL_REQUESTS = "conditional-requests"


class Severity(StrEnum):
    ERROR = "error"
    """A rule of the cookbook, or one whose breach harms the service (bursts, Retry-After)."""
    WARNING = "warning"
    """Etiquette a good client follows: it costs the service, but nothing breaks."""


SEVERITY: dict[Rule, Severity] = {
    Rule.USER_AGENT: Severity.ERROR,
    Rule.ACCEPT: Severity.ERROR,
    Rule.RETRY_AFTER: Severity.ERROR,
    Rule.NO_PARALLEL_BURSTS: Severity.ERROR,
    Rule.POLL_INTERVAL: Severity.WARNING,
    Rule.CONDITIONAL_REQUESTS: Severity.WARNING,
}


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the simulator saw of one request, before answering it."""

    at: float
    """Seconds on the simulator's monotonic clock."""
    method: str
    path: str
    """The dashboard path asked for, without a scenario prefix or query, e.g. `/api/v1/dashboard/int`."""
    scenario: str
    user_agent: str | None
    accept: str | None
    if_none_match: str | None
    if_modified_since: str | None


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    """What the simulator answered that request."""

    at: float
    """When the answer was complete (for a request it never answered: when it gave up)."""
    status: int
    etag: str | None = None
    max_age_s: float | None = None
    """The `Cache-Control: max-age` sent with a 200 or 304."""
    retry_after_s: float | None = None
    """The `Retry-After` sent with a 429 or 503."""


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    detail: str
    """In plain words, what the request did and what it should have done."""

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.rule]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The findings on one request; no findings is a pass."""

    findings: tuple[Finding, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def failed(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def header_value(self) -> str:
        """`pass`, `warn; poll-interval` or `fail; user-agent, accept`: the value of
        `X-Simulator-Conformance`, rules in the order of `Rule`."""
        if self.passed:
            return "pass"
        rules = sorted({f.rule for f in self.findings}, key=list(Rule).index)
        word = "fail" if self.failed else "warn"
        return f"{word}; {', '.join(rules)}"


ADVICE: dict[Rule, str] = {
    Rule.USER_AGENT: (
        "Send a User-Agent that names your software and its connector, each as name/version, "
        "separated by a space, e.g. myProduct/62.310.4 Technical/3.19.0 (cookbook §5.1.1)."
    ),
    Rule.ACCEPT: "Send Accept: application/json with every request (cookbook §5.1.1).",
    Rule.RETRY_AFTER: (
        "After a 429 or 503, wait at least the number of seconds its Retry-After header gives "
        "before you ask again."
    ),
    Rule.NO_PARALLEL_BURSTS: (
        "Send one request at a time: wait for the answer (or give up on it) before the next one."
    ),
    Rule.POLL_INTERVAL: (
        "Ask for the same dashboard no more often than the max-age of the last answer's "
        "Cache-Control header."
    ),
    Rule.CONDITIONAL_REQUESTS: (
        "Keep the ETag of the last answer and send it back as If-None-Match; a 304 then tells you "
        "nothing changed, with no body to download."
    ),
}
"""What to do to keep each rule, in plain words, for the report's readers."""


USER_AGENT_EXAMPLE = "myProduct/62.310.4 Technical/3.19.0"

# The same reading of the cookbook's garbled expression as `service.tracing` (whose docstring
# tells the story); the domain may not import the service layer, and a unit test holds the two
# to the same answers.
_PRODUCT = r"[A-Za-z0-9\-/]+/[0-9A-Za-z\-_.]+"
USER_AGENT_PATTERN = re.compile(rf"{_PRODUCT}(?: {_PRODUCT})+")

_QUOTED_LIMIT = 120
"""Longer header values are cut when a detail quotes them back."""


@dataclass(frozen=True, slots=True)
class FreshAnswer:
    """The last 200 or 304 a client had for one resource: when it was complete, its max-age and
    the newest ETag given for the resource."""

    at: float
    max_age_s: float | None
    etag: str | None


@dataclass(frozen=True, slots=True)
class Backoff:
    """The last 429 or 503 of a scenario, and the Retry-After it gave."""

    at: float
    status: int
    retry_after_s: float

    @property
    def until(self) -> float:
        return self.at + self.retry_after_s


@dataclass(frozen=True, slots=True)
class ClientMemory:
    """What the rules need of what the client did and was told before this request."""

    in_flight: int = 0
    """Other requests of the same client that have no answer yet."""
    last_fresh: FreshAnswer | None = None
    """For the request's resource (scenario and path)."""
    backoff: Backoff | None = None
    """For the request's scenario, until a request waits it out."""


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    checked: tuple[Rule, ...]
    """The rules that had something to judge, in the order of `Rule`; each is kept or broken."""

    def broke(self, rule: Rule) -> bool:
        return any(f.rule is rule for f in self.verdict.findings)


def jitter_allowance(wait_s: float) -> float:
    """How early a request may come for a wait of `wait_s` seconds: 10 %, and at least 0.5 s."""
    return max(0.5, 0.1 * wait_s)


def user_agent_conforms(user_agent: str) -> bool:
    """True when `user_agent` follows the cookbook's pattern, e.g. `myProduct/62.310.4 Technical/3.19.0`."""
    return USER_AGENT_PATTERN.fullmatch(user_agent) is not None


def accept_names_json(accept: str) -> bool:
    """True when one of the media ranges of `accept` is application/json with a non-zero q.

    Wildcards do not count: the cookbook asks that Accept "be specified with the value
    application/json", so `*/*` alone (what many HTTP libraries send) is a breach."""
    for part in accept.split(","):
        media_type, *parameters = part.split(";")
        if media_type.strip().lower() != "application/json":
            continue
        if _quality(parameters) > 0:
            return True
    return False


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def check_user_agent(request: RequestFacts, memory: ClientMemory) -> str | None:
    if not request.user_agent:
        return f"No User-Agent header. Send one such as '{USER_AGENT_EXAMPLE}'."
    if user_agent_conforms(request.user_agent):
        return None
    return (
        f"User-Agent '{_quoted(request.user_agent)}' is not the cookbook's pattern "
        f"{{software}}/{{version}} {{connector}}/{{version}}, e.g. '{USER_AGENT_EXAMPLE}'."
    )


def check_accept(request: RequestFacts, memory: ClientMemory) -> str | None:
    if not request.accept:
        return "No Accept header. Send Accept: application/json."
    if accept_names_json(request.accept):
        return None
    return (
        f"Accept '{_quoted(request.accept)}' does not name application/json. "
        "Send Accept: application/json."
    )


def check_retry_after(request: RequestFacts, memory: ClientMemory) -> str | None:
    backoff = memory.backoff
    if backoff is None:
        return None
    early = backoff.until - request.at
    if early <= jitter_allowance(backoff.retry_after_s):
        return None
    return (
        f"Asked again {seconds(request.at - backoff.at)} after a {backoff.status} whose "
        f"Retry-After was {seconds(backoff.retry_after_s)}: {seconds(early)} early."
    )


def check_parallel_bursts(request: RequestFacts, memory: ClientMemory) -> str | None:
    if memory.in_flight <= 0:
        return None
    others = "1 other request" if memory.in_flight == 1 else f"{memory.in_flight} other requests"
    return (
        f"Sent while {others} of this client had no answer yet. "
        "Wait for each answer before the next request."
    )


def check_poll_interval(request: RequestFacts, memory: ClientMemory) -> str | None:
    fresh = memory.last_fresh
    if fresh is None or fresh.max_age_s is None:
        return None
    elapsed = request.at - fresh.at
    if elapsed >= fresh.max_age_s - jitter_allowance(fresh.max_age_s):
        return None
    return (
        f"Asked for {_quoted(request.path)} again after {seconds(elapsed)}; "
        f"the last answer's max-age was {seconds(fresh.max_age_s)}."
    )


def check_conditional(request: RequestFacts, memory: ClientMemory) -> str | None:
    fresh = memory.last_fresh
    if fresh is None or fresh.etag is None or request.if_none_match:
        return None
    also = " If-Modified-Since alone does not count." if request.if_modified_since else ""
    return (
        f"No If-None-Match, although the last answer for {_quoted(request.path)} gave "
        f"ETag {_quoted(fresh.etag)}. Send it back to get a 304 when nothing changed.{also}"
    )


def _always(memory: ClientMemory) -> bool:
    return True


_Check = Callable[[RequestFacts, ClientMemory], str | None]
_RULES: tuple[tuple[Rule, Callable[[ClientMemory], bool], _Check], ...] = (
    (Rule.USER_AGENT, _always, check_user_agent),
    (Rule.ACCEPT, _always, check_accept),
    (Rule.RETRY_AFTER, lambda m: m.backoff is not None, check_retry_after),
    (Rule.NO_PARALLEL_BURSTS, _always, check_parallel_bursts),
    (
        Rule.POLL_INTERVAL,
        lambda m: m.last_fresh is not None and m.last_fresh.max_age_s is not None,
        check_poll_interval,
    ),
    (
        Rule.CONDITIONAL_REQUESTS,
        lambda m: m.last_fresh is not None and m.last_fresh.etag is not None,
        check_conditional,
    ),
)
"""Each rule: whether the memory gives it something to judge, and its check (a breach's detail,
or None when the request keeps it)."""


def judge(request: RequestFacts, memory: ClientMemory) -> Judgement:
    """Every rule that has something to judge, applied to `request`."""
    checked: list[Rule] = []
    findings: list[Finding] = []
    for rule, applies, check in _RULES:
        if not applies(memory):
            continue
        checked.append(rule)
        detail = check(request, memory)
        if detail is not None:
            findings.append(Finding(rule, detail))
    return Judgement(Verdict(tuple(findings)), tuple(checked))


def seconds(value: float) -> str:
    """`15 s`, `3.2 s`: a duration as a person reads it, to a tenth of a second."""
    text = f"{max(value, 0.0):.1f}".removesuffix(".0")
    return f"{text} s"


def _quoted(value: str) -> str:
    if len(value) <= _QUOTED_LIMIT:
        return value
    return value[: _QUOTED_LIMIT - 1] + "…"
