"""The simulator's conformance rules (pure) and the book that keeps each client's memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from status_dashboard.domain.conformance import (
    USER_AGENT_EXAMPLE,
    AnswerFacts,
    Backoff,
    ClientMemory,
    Finding,
    FreshAnswer,
    RequestFacts,
    Rule,
    Verdict,
    jitter_allowance,
    judge,
    seconds,
)
from status_dashboard.domain.conformance import user_agent_conforms as domain_conforms
from status_dashboard.service.simulator.conformance import (
    IN_FLIGHT_LIMIT_S,
    MAX_RESOURCES_PER_CLIENT,
    RECENT_REQUESTS,
    ConformanceBook,
)
from status_dashboard.service.tracing import user_agent_conforms as service_conforms

AGENT = "myProduct/62.310.4 Technical/3.19.0"
ETAG = '"3f2a9c1b0d"'
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def facts(at: float = 100.0, **changes: Any) -> RequestFacts:
    request = RequestFacts(
        at=at,
        method="GET",
        path="/api/v1/dashboard",
        scenario="timeline",
        user_agent=AGENT,
        accept="application/json",
        if_none_match=None,
        if_modified_since=None,
    )
    return replace(request, **changes)


def ok(at: float, etag: str | None = ETAG, max_age_s: float | None = 15.0) -> AnswerFacts:
    return AnswerFacts(at=at, status=200, etag=etag, max_age_s=max_age_s)


def broken_rules(request: RequestFacts, memory: ClientMemory | None = None) -> set[Rule]:
    return {f.rule for f in judge(request, memory or ClientMemory()).verdict.findings}


class WallClock:
    """A wall clock that moves only when told to, so that first and last seen are exact."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


# -- the rules, one table each ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "kept"),
    [
        (AGENT, True),
        ("Topaz-XXXX/123.23.X freeconnector/XXXXX.XXX", True),
        ("MyCompany/myProduct/62.310.4 eHealth/Technical/3.19.0", True),
        (None, False),
        ("", False),
        ("curl/8.5.0", False),
        ("python-httpx/0.28.1", False),
        ("Mozilla/5.0 (X11; Linux x86_64)", False),
        ("myProduct/62.310.4  Technical/3.19.0", False),
    ],
)
def test_the_user_agent_rule_asks_for_the_cookbooks_pattern(
    user_agent: str | None, kept: bool
) -> None:
    assert (Rule.USER_AGENT not in broken_rules(facts(user_agent=user_agent))) is kept


@pytest.mark.parametrize(
    "agent",
    [
        AGENT,
        "Topaz-XXXX/123.23.X freeconnector/XXXXX.XXX",
        "MyCompany/myProduct/62.310.4 eHealth/Technical/3.19.0",
        "Topaz/1.0.0-beta eHealthConnector/4.0.0",
        "a/1 b/2 c/3",
        "",
        "curl/8.5.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        "myProduct/62.310.4  Technical/3.19.0",
        "myProduct/ Technical/3.19.0",
        " myProduct/1 Technical/2",
        "myProduct/1 Technical/2 ",
        "my_product/1 Technical/2",
    ],
)
def test_the_domain_and_the_tracing_service_read_the_pattern_alike(agent: str) -> None:
    assert domain_conforms(agent) is service_conforms(agent)


def test_a_user_agent_breach_says_what_was_sent_and_gives_the_cookbooks_example() -> None:
    [finding] = judge(facts(user_agent="curl/8.5.0"), ClientMemory()).verdict.findings
    assert "'curl/8.5.0'" in finding.detail
    assert USER_AGENT_EXAMPLE in finding.detail
    [missing] = judge(facts(user_agent=None), ClientMemory()).verdict.findings
    assert "No User-Agent" in missing.detail
    assert USER_AGENT_EXAMPLE in missing.detail


@pytest.mark.parametrize(
    ("accept", "kept"),
    [
        ("application/json", True),
        ("APPLICATION/JSON", True),
        ("application/json; charset=utf-8", True),
        ("text/html, application/json;q=0.9", True),
        ("application/problem+json, application/json", True),
        (None, False),
        ("", False),
        ("*/*", False),
        ("application/*", False),
        ("text/html", False),
        ("application/json;q=0", False),
        ("application/json;q=nonsense", False),
    ],
)
def test_the_accept_rule_asks_that_application_json_be_named(
    accept: str | None, kept: bool
) -> None:
    assert (Rule.ACCEPT not in broken_rules(facts(accept=accept))) is kept


@pytest.mark.parametrize(
    ("asked_at", "kept"),
    [
        (110.0, False),  # 20 s early
        (126.9, False),  # 3.1 s early: past the 3 s allowed for a 30 s wait
        (127.0, True),
        (130.0, True),
        (400.0, True),
    ],
)
def test_the_retry_after_rule_holds_a_client_back_until_the_wait_is_over(
    asked_at: float, kept: bool
) -> None:
    memory = ClientMemory(backoff=Backoff(at=100.0, status=429, retry_after_s=30.0))
    assert (Rule.RETRY_AFTER not in broken_rules(facts(asked_at), memory)) is kept


def test_a_retry_after_breach_says_how_early_the_request_came() -> None:
    memory = ClientMemory(backoff=Backoff(at=100.0, status=503, retry_after_s=30.0))
    [finding] = judge(facts(110.0), memory).verdict.findings
    assert finding.detail == "Asked again 10 s after a 503 whose Retry-After was 30 s: 20 s early."


@pytest.mark.parametrize(("in_flight", "kept"), [(0, True), (1, False), (5, False)])
def test_the_burst_rule_refuses_a_request_while_another_is_in_flight(
    in_flight: int, kept: bool
) -> None:
    memory = ClientMemory(in_flight=in_flight)
    assert (Rule.NO_PARALLEL_BURSTS not in broken_rules(facts(), memory)) is kept


@pytest.mark.parametrize(
    ("asked_at", "kept"),
    [
        (103.0, False),
        (113.4, False),  # 1.6 s early: past the 1.5 s allowed for a max-age of 15 s
        (113.5, True),
        (115.0, True),
        (200.0, True),
    ],
)
def test_the_poll_interval_rule_waits_for_the_max_age_of_the_last_answer(
    asked_at: float, kept: bool
) -> None:
    memory = ClientMemory(last_fresh=FreshAnswer(at=100.0, max_age_s=15.0, etag=None))
    assert (Rule.POLL_INTERVAL not in broken_rules(facts(asked_at), memory)) is kept


def test_a_poll_interval_breach_names_the_path_the_wait_and_the_max_age() -> None:
    memory = ClientMemory(last_fresh=FreshAnswer(at=100.0, max_age_s=15.0, etag=None))
    [finding] = judge(facts(103.2, path="/api/v1/dashboard/int"), memory).verdict.findings
    assert finding.detail == (
        "Asked for /api/v1/dashboard/int again after 3.2 s; the last answer's max-age was 15 s."
    )


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "kept"),
    [
        (ETAG, None, True),
        ('"an-older-one"', None, True),  # stale, but still a conditional request
        (f'W/{ETAG}, "another"', None, True),
        (None, None, False),
        ("", None, False),
        (None, "Sat, 09 May 2025 06:55:00 GMT", False),
    ],
)
def test_the_conditional_rule_asks_for_if_none_match_once_an_etag_was_given(
    if_none_match: str | None, if_modified_since: str | None, kept: bool
) -> None:
    memory = ClientMemory(last_fresh=FreshAnswer(at=100.0, max_age_s=None, etag=ETAG))
    request = facts(200.0, if_none_match=if_none_match, if_modified_since=if_modified_since)
    assert (Rule.CONDITIONAL_REQUESTS not in broken_rules(request, memory)) is kept


def test_a_conditional_breach_quotes_the_etag_and_says_if_modified_since_is_not_enough() -> None:
    memory = ClientMemory(last_fresh=FreshAnswer(at=100.0, max_age_s=None, etag=ETAG))
    request = facts(200.0, if_modified_since="Sat, 09 May 2025 06:55:00 GMT")
    [finding] = judge(request, memory).verdict.findings
    assert ETAG in finding.detail
    assert "If-Modified-Since alone does not count" in finding.detail


@pytest.mark.parametrize(
    ("memory", "checked"),
    [
        (ClientMemory(), {Rule.USER_AGENT, Rule.ACCEPT, Rule.NO_PARALLEL_BURSTS}),
        (
            ClientMemory(backoff=Backoff(100.0, 429, 5.0)),
            {Rule.USER_AGENT, Rule.ACCEPT, Rule.NO_PARALLEL_BURSTS, Rule.RETRY_AFTER},
        ),
        (
            ClientMemory(last_fresh=FreshAnswer(100.0, 15.0, None)),
            {Rule.USER_AGENT, Rule.ACCEPT, Rule.NO_PARALLEL_BURSTS, Rule.POLL_INTERVAL},
        ),
        (
            ClientMemory(last_fresh=FreshAnswer(100.0, None, ETAG)),
            set(Rule) - {Rule.RETRY_AFTER, Rule.POLL_INTERVAL},
        ),
    ],
)
def test_a_rule_with_nothing_to_judge_is_not_checked(
    memory: ClientMemory, checked: set[Rule]
) -> None:
    judgement = judge(facts(), memory)
    assert set(judgement.checked) == checked
    assert list(judgement.checked) == sorted(judgement.checked, key=list(Rule).index)


def test_a_request_that_keeps_every_rule_passes() -> None:
    memory = ClientMemory(
        last_fresh=FreshAnswer(100.0, 15.0, ETAG), backoff=Backoff(90.0, 429, 10.0)
    )
    judgement = judge(facts(120.0, if_none_match=ETAG), memory)
    assert judgement.verdict.passed
    assert set(judgement.checked) == set(Rule)


@pytest.mark.parametrize(
    ("wait_s", "allowance"), [(0.0, 0.5), (1.0, 0.5), (5.0, 0.5), (15.0, 1.5), (120.0, 12.0)]
)
def test_a_wait_allows_ten_percent_and_at_least_half_a_second_of_jitter(
    wait_s: float, allowance: float
) -> None:
    assert jitter_allowance(wait_s) == pytest.approx(allowance)


@pytest.mark.parametrize(
    ("value", "text"), [(15.0, "15 s"), (3.24, "3.2 s"), (0.04, "0 s"), (-2.0, "0 s")]
)
def test_durations_read_to_a_tenth_of_a_second(value: float, text: str) -> None:
    assert seconds(value) == text


# -- the verdict header -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "header"),
    [
        ((), "pass"),
        ((Rule.POLL_INTERVAL,), "warn; poll-interval"),
        (
            (Rule.CONDITIONAL_REQUESTS, Rule.POLL_INTERVAL),
            "warn; poll-interval, conditional-requests",
        ),
        ((Rule.ACCEPT, Rule.USER_AGENT), "fail; user-agent, accept"),
        (
            (Rule.POLL_INTERVAL, Rule.NO_PARALLEL_BURSTS, Rule.POLL_INTERVAL),
            "fail; no-parallel-bursts, poll-interval",
        ),
    ],
)
def test_the_verdict_header_names_each_broken_rule_once_in_the_order_of_the_rules(
    rules: tuple[Rule, ...], header: str
) -> None:
    verdict = Verdict(tuple(Finding(rule, "why") for rule in rules))
    assert verdict.header_value() == header


def test_a_request_breaking_two_rules_gets_both_in_its_header() -> None:
    verdict = judge(facts(user_agent=None, accept="*/*"), ClientMemory()).verdict
    assert verdict.header_value() == "fail; user-agent, accept"


# -- the book ----------------------------------------------------------------------------------


def test_a_request_is_in_flight_from_judged_until_answered() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    first = facts(100.0)
    assert book.judge(first).passed
    second = facts(100.2, path="/api/v1/dashboard/int")
    assert book.judge(second).header_value() == "fail; no-parallel-bursts"
    book.answered(first, ok(100.3))
    book.answered(second, ok(100.4))
    assert book.judge(facts(100.5, path="/api/v1/dashboard/acc")).passed


def test_two_identical_requests_in_flight_are_two() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    twin = facts(100.0)
    book.judge(twin)
    book.judge(twin)
    book.answered(twin, ok(100.1))
    later = facts(100.2, path="/api/v1/dashboard/int")
    assert Rule.NO_PARALLEL_BURSTS in {f.rule for f in book.judge(later).findings}


def test_a_request_never_answered_stops_counting_as_in_flight_after_the_limit() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    book.judge(facts(100.0))
    just_before = facts(100.0 + IN_FLIGHT_LIMIT_S - 1, path="/api/v1/dashboard/int")
    assert not book.judge(just_before).passed
    book.answered(just_before, ok(100.0 + IN_FLIGHT_LIMIT_S))
    after = facts(101.0 + IN_FLIGHT_LIMIT_S, path="/api/v1/dashboard/acc")
    assert book.judge(after).passed


def test_a_fresh_answer_sets_the_poll_interval_and_the_etag_for_its_path_and_scenario() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    first = facts(100.0)
    book.judge(first)
    book.answered(first, ok(100.5))
    too_soon = book.judge(facts(102.0))
    assert too_soon.header_value() == "warn; poll-interval, conditional-requests"
    book.answered(facts(102.0), AnswerFacts(102.1, 304, ETAG, 15.0))
    assert book.judge(facts(103.0, path="/api/v1/dashboard/int")).passed
    book.answered(facts(103.0, path="/api/v1/dashboard/int"), AnswerFacts(103.1, 404))
    assert book.judge(facts(104.0, scenario="mixed")).passed


def test_a_304_without_an_etag_keeps_the_etag_given_before() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    for at, answer in ((100.0, ok(100.1)), (120.0, AnswerFacts(120.1, 304, None, 15.0))):
        request = facts(at, if_none_match=ETAG)
        book.judge(request)
        book.answered(request, answer)
    assert book.judge(facts(140.0)).header_value() == "warn; conditional-requests"


def test_an_error_answer_sets_no_poll_interval() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    book.judge(facts(100.0))
    book.answered(facts(100.0), AnswerFacts(100.1, 500))
    assert book.judge(facts(100.5)).passed


def test_a_429_holds_the_scenario_back_until_its_retry_after_is_waited_out() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    rate_limited = facts(100.0, scenario="rate-limited-429")
    book.judge(rate_limited)
    book.answered(rate_limited, AnswerFacts(100.1, 429, retry_after_s=30.0))
    early = facts(110.0, scenario="rate-limited-429", path="/api/v1/dashboard/int")
    assert book.judge(early).header_value() == "fail; retry-after"
    book.answered(early, AnswerFacts(110.1, 429, retry_after_s=30.0))
    assert book.judge(facts(111.0)).passed  # another scenario is another server
    book.answered(facts(111.0), AnswerFacts(111.1, 500))
    waited = facts(141.0, scenario="rate-limited-429")
    assert book.judge(waited).passed
    book.answered(waited, AnswerFacts(141.1, 200))
    book.judge(facts(142.0, scenario="rate-limited-429"))
    report = book.report(AGENT)
    assert report is not None
    [retry_after] = [r for r in report.rules if r.rule is Rule.RETRY_AFTER]
    assert (retry_after.checked, retry_after.broken) == (2, 1)  # the last was free again


def test_memory_stays_bounded_however_many_identities_come() -> None:
    book = ConformanceBook(wall_clock=WallClock(), max_clients=100)
    for number in range(10_000):
        request = facts(float(number), user_agent=f"client{number}/1.0 connector/2.0")
        book.judge(request)
        book.answered(request, ok(number + 0.1))
    clients = book.clients()
    assert len(clients) == 100
    assert clients[0].identity == "client9999/1.0 connector/2.0"
    assert book.report("client0/1.0 connector/2.0") is None


def test_the_least_recently_seen_client_is_the_one_dropped() -> None:
    book = ConformanceBook(wall_clock=WallClock(), max_clients=2)
    book.judge(facts(1.0, user_agent="old/1 a/1"))
    book.judge(facts(2.0, user_agent="other/1 a/1"))
    book.judge(facts(3.0, user_agent="old/1 a/1"))
    book.judge(facts(4.0, user_agent="new/1 a/1"))
    assert [c.identity for c in book.clients()] == ["new/1 a/1", "old/1 a/1"]


def test_a_client_keeps_only_its_last_requests_newest_first() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    for number in range(RECENT_REQUESTS + 5):
        request = facts(number * 20.0, path=f"/api/v1/dashboard/e{number}")
        book.judge(request)
        book.answered(request, ok(number * 20.0 + 0.1))
    report = book.report(AGENT)
    assert report is not None
    assert report.requests == RECENT_REQUESTS + 5
    assert len(report.recent) == RECENT_REQUESTS
    assert report.recent[0].path == f"/api/v1/dashboard/e{RECENT_REQUESTS + 4}"
    assert all(r.status == 200 for r in report.recent)


def test_a_client_remembers_a_bounded_number_of_paths() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    for number in range(MAX_RESOURCES_PER_CLIENT + 1):
        request = facts(float(number), path=f"/api/v1/dashboard/e{number}")
        book.judge(request)
        book.answered(request, ok(number + 0.1))
    # The first path's ETag is forgotten, the second's is not.
    assert book.judge(facts(1000.0, path="/api/v1/dashboard/e0")).passed
    book.answered(facts(1000.0, path="/api/v1/dashboard/e0"), AnswerFacts(1000.1, 500))
    later = book.judge(facts(1001.0, path="/api/v1/dashboard/e2"))
    assert later.header_value() == "warn; conditional-requests"


def test_requests_without_a_user_agent_are_one_client_with_an_empty_one() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    book.judge(facts(1.0, user_agent=None))
    book.judge(facts(2.0, user_agent=""))
    report = book.report(None)
    assert report is not None
    assert (report.identity, report.requests) == (None, 2)
    assert book.report("") == report


def test_a_very_long_user_agent_is_kept_cut_and_found_by_the_whole() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    agent = "a/1 " + "b" * 5000
    book.judge(facts(user_agent=agent))
    report = book.report(agent)
    assert report is not None
    assert report.identity == agent[:512]
    [finding] = [f for f in report.recent[0].findings if f.rule is Rule.USER_AGENT]
    assert len(finding.detail) < 400


def test_a_forgotten_client_starts_afresh_and_a_late_answer_is_ignored() -> None:
    book = ConformanceBook(wall_clock=WallClock())
    request = facts(100.0, user_agent="curl/8.5.0")
    book.judge(request)
    assert book.forget("curl/8.5.0")
    assert not book.forget("curl/8.5.0")
    book.answered(request, ok(100.1))
    assert book.report("curl/8.5.0") is None
    assert book.judge(facts(100.2, user_agent="curl/8.5.0")).header_value() == "fail; user-agent"


def test_first_and_last_seen_come_from_the_wall_clock_in_utc() -> None:
    clock = WallClock()
    book = ConformanceBook(wall_clock=clock)
    book.judge(facts(1.0))
    clock.now = (START + timedelta(minutes=5)).astimezone(ZoneInfo("Europe/Brussels"))
    book.judge(facts(301.0))
    report = book.report(AGENT)
    assert report is not None
    assert (report.first_seen, report.last_seen) == (START, START + timedelta(minutes=5))
    assert report.last_seen.tzinfo is UTC


def test_a_book_needs_room_for_one_client() -> None:
    with pytest.raises(ValueError, match="max_clients"):
        ConformanceBook(wall_clock=WallClock(), max_clients=0)
