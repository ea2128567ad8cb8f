"""What a client's conformance report says: each rule's status and advice, the verdict, and the
JSON document the simulator serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from status_dashboard.domain.conformance import (
    ADVICE,
    AnswerFacts,
    Finding,
    RequestFacts,
    Rule,
)
from status_dashboard.service.simulator.conformance import ConformanceBook
from status_dashboard.service.simulator.report import (
    UNTESTED_HINT,
    ClientReport,
    RecentRequest,
    RuleReport,
    RuleStatus,
)

SEEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
AGENT = "myProduct/62.310.4 Technical/3.19.0"


def report_with(*rules: RuleReport, recent: tuple[RecentRequest, ...] = ()) -> ClientReport:
    given = {r.rule: r for r in rules}
    return ClientReport(
        identity=AGENT,
        requests=3,
        first_seen=SEEN,
        last_seen=SEEN + timedelta(minutes=1),
        rules=tuple(given.get(rule, RuleReport(rule, 3, 0)) for rule in Rule),
        recent=recent,
    )


@pytest.mark.parametrize(
    ("rule", "checked", "broken", "status"),
    [
        (Rule.USER_AGENT, 3, 1, RuleStatus.FAILING),
        (Rule.NO_PARALLEL_BURSTS, 3, 3, RuleStatus.FAILING),
        (Rule.POLL_INTERVAL, 3, 1, RuleStatus.WARNING),
        (Rule.CONDITIONAL_REQUESTS, 5, 2, RuleStatus.WARNING),
        (Rule.ACCEPT, 3, 0, RuleStatus.PASSING),
        (Rule.POLL_INTERVAL, 1, 0, RuleStatus.PASSING),
        (Rule.RETRY_AFTER, 0, 0, RuleStatus.UNTESTED),
    ],
)
def test_a_rules_status_follows_its_severity_and_its_counts(
    rule: Rule, checked: int, broken: int, status: RuleStatus
) -> None:
    assert RuleReport(rule, checked, broken).status is status


@pytest.mark.parametrize(
    ("checked", "broken", "advice"),
    [
        (4, 1, ADVICE[Rule.CONDITIONAL_REQUESTS]),
        (4, 0, "Nothing to fix."),
        (0, 0, f"Not tested yet. {UNTESTED_HINT[Rule.CONDITIONAL_REQUESTS]}"),
    ],
)
def test_a_rule_says_what_to_do_in_plain_words(checked: int, broken: int, advice: str) -> None:
    assert RuleReport(Rule.CONDITIONAL_REQUESTS, checked, broken).advice == advice


def test_every_rule_has_advice_and_a_hint_for_when_it_is_untested() -> None:
    assert set(ADVICE) == set(Rule) == set(UNTESTED_HINT)
    assert "myProduct/62.310.4 Technical/3.19.0" in ADVICE[Rule.USER_AGENT]


@pytest.mark.parametrize(
    ("broken", "conforms", "verdict"),
    [
        ((), True, RuleStatus.PASSING),
        ((Rule.POLL_INTERVAL,), True, RuleStatus.WARNING),
        ((Rule.POLL_INTERVAL, Rule.CONDITIONAL_REQUESTS), True, RuleStatus.WARNING),
        ((Rule.ACCEPT,), False, RuleStatus.FAILING),
        ((Rule.POLL_INTERVAL, Rule.RETRY_AFTER), False, RuleStatus.FAILING),
    ],
)
def test_a_client_conforms_unless_it_broke_an_error_rule(
    broken: tuple[Rule, ...], conforms: bool, verdict: RuleStatus
) -> None:
    report = report_with(*(RuleReport(rule, 3, 1, "why", SEEN) for rule in broken))
    assert report.conforms is conforms
    assert report.verdict is verdict
    assert set(report.broken_rules) == set(broken)


def test_an_untested_rule_does_not_spoil_the_verdict() -> None:
    report = report_with(RuleReport(Rule.RETRY_AFTER, 0, 0))
    assert (report.conforms, report.verdict) == (True, RuleStatus.PASSING)


def test_the_document_holds_the_summary_every_rule_and_the_recent_requests() -> None:
    recent = RecentRequest(
        at=SEEN,
        method="GET",
        path="/api/v1/dashboard",
        scenario="timeline",
        status=200,
        verdict="warn; poll-interval",
        findings=(Finding(Rule.POLL_INTERVAL, "Asked again after 3 s"),),
    )
    breach = RuleReport(Rule.POLL_INTERVAL, 3, 1, "Asked again after 3 s", SEEN)
    document = orjson.loads(orjson.dumps(report_with(breach, recent=(recent,)).document()))
    assert document == {
        "user_agent": AGENT,
        "requests": 3,
        "first_seen": "2026-03-01T09:00:00+00:00",
        "last_seen": "2026-03-01T09:01:00+00:00",
        "conforms": True,
        "verdict": "warn",
        "broken_rules": ["poll-interval"],
        "rules": [
            {
                "rule": rule.value,
                "severity": "warning"
                if rule in (Rule.POLL_INTERVAL, Rule.CONDITIONAL_REQUESTS)
                else "error",
                "status": "warn" if rule is Rule.POLL_INTERVAL else "pass",
                "checked": 3,
                "passed": 2 if rule is Rule.POLL_INTERVAL else 3,
                "broken": 1 if rule is Rule.POLL_INTERVAL else 0,
                "last_breach": "Asked again after 3 s" if rule is Rule.POLL_INTERVAL else None,
                "last_breach_at": "2026-03-01T09:00:00+00:00"
                if rule is Rule.POLL_INTERVAL
                else None,
                "advice": ADVICE[rule] if rule is Rule.POLL_INTERVAL else "Nothing to fix.",
            }
            for rule in Rule
        ],
        "recent_requests": [
            {
                "at": "2026-03-01T09:00:00+00:00",
                "method": "GET",
                "path": "/api/v1/dashboard",
                "scenario": "timeline",
                "status": 200,
                "conformance": "warn; poll-interval",
                "findings": [
                    {
                        "rule": "poll-interval",
                        "severity": "warning",
                        "detail": "Asked again after 3 s",
                    }
                ],
            }
        ],
    }


def test_the_summary_is_the_documents_head() -> None:
    report = report_with()
    summary = report.summary()
    assert list(summary) == [
        "user_agent",
        "requests",
        "first_seen",
        "last_seen",
        "conforms",
        "verdict",
        "broken_rules",
    ]
    assert report.document().items() >= summary.items()


def test_the_book_reports_what_a_client_did_request_by_request() -> None:
    moments = iter(SEEN + timedelta(seconds=s) for s in range(100))
    book = ConformanceBook(wall_clock=lambda: next(moments))

    def call(at: float, answer: AnswerFacts | None, **headers: str | None) -> None:
        request = RequestFacts(
            at=at,
            method="GET",
            path="/api/v1/dashboard/int",
            scenario="timeline",
            user_agent=headers.get("user_agent", "curl/8.5.0"),
            accept=headers.get("accept", "*/*"),
            if_none_match=headers.get("if_none_match"),
            if_modified_since=None,
        )
        book.judge(request)
        if answer is not None:
            book.answered(request, answer)

    call(100.0, AnswerFacts(100.1, 200, '"e1"', 15.0))
    call(103.0, AnswerFacts(103.1, 304, '"e1"', 15.0), if_none_match='"e1"')
    call(120.0, None)

    report = book.report("curl/8.5.0")
    assert report is not None
    rules = {r.rule: r for r in report.rules}
    assert (rules[Rule.USER_AGENT].checked, rules[Rule.USER_AGENT].broken) == (3, 3)
    assert (rules[Rule.POLL_INTERVAL].checked, rules[Rule.POLL_INTERVAL].broken) == (2, 1)
    assert (rules[Rule.CONDITIONAL_REQUESTS].checked, rules[Rule.CONDITIONAL_REQUESTS].broken) == (
        2,
        1,
    )
    assert rules[Rule.RETRY_AFTER].status is RuleStatus.UNTESTED
    assert rules[Rule.POLL_INTERVAL].last_breach_at == SEEN + timedelta(seconds=1)
    assert "after 2.9 s" in (rules[Rule.POLL_INTERVAL].last_breach or "")
    assert not report.conforms
    assert [r.status for r in report.recent] == [None, 304, 200]
    assert report.recent[1].verdict == "fail; user-agent, accept, poll-interval"
    assert (report.first_seen, report.last_seen) == (SEEN, SEEN + timedelta(seconds=2))
    assert [c.identity for c in book.clients()] == ["curl/8.5.0"]
