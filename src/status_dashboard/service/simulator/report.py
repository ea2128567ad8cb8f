"""What the simulator tells a partner about their client: per rule of `domain.conformance`, how
often it was kept and broken, the last breach, and what to fix; then the client's last requests.

A report is a snapshot, frozen when it is asked for; `document()` is its JSON form for
`GET /api/v1/simulator/report`, `summary()` the line of the list of clients.

A rule's status:

| status     | when                                                       |
|------------|------------------------------------------------------------|
| `fail`     | an error rule broken at least once                         |
| `warn`     | a warning rule broken at least once                        |
| `pass`     | checked at least once, never broken                        |
| `untested` | never had anything to judge (e.g. no ETag was given yet)   |

The client conforms when no error rule failed; its verdict is the worst status of its rules
(`untested` counts as `pass`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from status_dashboard.domain.conformance import ADVICE, SEVERITY, Finding, Rule, Severity


class RuleStatus(StrEnum):
    PASSING = "pass"
    WARNING = "warn"
    FAILING = "fail"
    UNTESTED = "untested"


UNTESTED_HINT: dict[Rule, str] = {
    Rule.USER_AGENT: "Make a request.",
    Rule.ACCEPT: "Make a request.",
    Rule.NO_PARALLEL_BURSTS: "Make a request.",
    Rule.RETRY_AFTER: (
        "Call the scenario rate-limited-429 or unavailable-503, then call it again once its "
        "Retry-After has passed."
    ),
    Rule.POLL_INTERVAL: "Ask for the same dashboard twice.",
    Rule.CONDITIONAL_REQUESTS: "Ask for the same dashboard twice.",
}
"""How a client gives a rule something to judge, for rules it has not met yet."""


@dataclass(frozen=True, slots=True)
class RuleReport:
    rule: Rule
    checked: int
    broken: int
    last_breach: str | None = None
    last_breach_at: datetime | None = None

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.rule]

    @property
    def passed(self) -> int:
        return self.checked - self.broken

    @property
    def status(self) -> RuleStatus:
        if self.broken:
            return RuleStatus.FAILING if self.severity is Severity.ERROR else RuleStatus.WARNING
        return RuleStatus.PASSING if self.checked else RuleStatus.UNTESTED

    @property
    def advice(self) -> str:
        """What to do, in plain words: the fix for a broken rule, how to test an untested one."""
        if self.status is RuleStatus.UNTESTED:
            return f"Not tested yet. {UNTESTED_HINT[self.rule]}"
        if self.broken:
            return ADVICE[self.rule]
        return "Nothing to fix."

    def document(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "severity": self.severity.value,
            "status": self.status.value,
            "checked": self.checked,
            "passed": self.passed,
            "broken": self.broken,
            "last_breach": self.last_breach,
            "last_breach_at": _moment(self.last_breach_at),
            "advice": self.advice,
        }


@dataclass(frozen=True, slots=True)
class RecentRequest:
    at: datetime
    method: str
    path: str
    scenario: str
    status: int | None
    """The answer's status; None while it is still in flight (or was never answered)."""
    verdict: str
    """The `X-Simulator-Conformance` value the request was given."""
    findings: tuple[Finding, ...] = ()

    def document(self) -> dict[str, Any]:
        return {
            "at": _moment(self.at),
            "method": self.method,
            "path": self.path,
            "scenario": self.scenario,
            "status": self.status,
            "conformance": self.verdict,
            "findings": [
                {"rule": f.rule.value, "severity": f.severity.value, "detail": f.detail}
                for f in self.findings
            ],
        }


@dataclass(frozen=True, slots=True)
class ClientReport:
    identity: str | None
    """The exact User-Agent of the client (cut at 512 characters); None for requests without one."""
    requests: int
    first_seen: datetime
    last_seen: datetime
    rules: tuple[RuleReport, ...]
    """One per rule, in the order of `Rule`."""
    recent: tuple[RecentRequest, ...] = ()
    """The last requests, newest first."""

    @property
    def conforms(self) -> bool:
        return all(r.status is not RuleStatus.FAILING for r in self.rules)

    @property
    def verdict(self) -> RuleStatus:
        """`fail`, `warn` or `pass`: the worst status of the client's rules."""
        statuses = {r.status for r in self.rules}
        for worst in (RuleStatus.FAILING, RuleStatus.WARNING):
            if worst in statuses:
                return worst
        return RuleStatus.PASSING

    @property
    def broken_rules(self) -> tuple[Rule, ...]:
        return tuple(r.rule for r in self.rules if r.broken)

    def summary(self) -> dict[str, Any]:
        return {
            "user_agent": self.identity,
            "requests": self.requests,
            "first_seen": _moment(self.first_seen),
            "last_seen": _moment(self.last_seen),
            "conforms": self.conforms,
            "verdict": self.verdict.value,
            "broken_rules": [rule.value for rule in self.broken_rules],
        }

    def document(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "rules": [r.document() for r in self.rules],
            "recent_requests": [r.document() for r in self.recent],
        }


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
