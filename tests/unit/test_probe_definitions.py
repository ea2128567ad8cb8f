"""Check definitions and schedules are refused in plain words, naming the field at fault."""

from __future__ import annotations

from datetime import timedelta

import pytest

from status_dashboard.domain.checks import (
    CheckDefinition,
    CheckSchedule,
    HttpCheck,
    InvalidCheck,
    PushCheck,
    StatusRange,
    TcpCheck,
    TlsCheck,
    parse_status_codes,
    validate_check,
    validate_schedule,
)
from status_dashboard.probes import validate_definition

TOKEN = "a" * 32

VALID: list[CheckDefinition] = [
    HttpCheck("https://idp.example.test/health"),
    HttpCheck(
        "http://10.0.0.5:8080/ready",
        method="POST",
        headers={"Authorization": "Bearer x"},
        expect_status=(200, StatusRange(300, 302)),
        body_contains="UP",
        body_matches=r"version \d+",
        json_condition='$.status == "UP"',
        max_response_ms=500,
        max_redirects=0,
        verify_tls=False,
    ),
    TcpCheck("db.internal", 5432),
    TlsCheck("127.0.0.1", server_name="idp.example.test"),
    PushCheck(TOKEN),
]

INVALID: dict[str, tuple[CheckDefinition, str]] = {
    "ftp url": (HttpCheck("ftp://example.test/"), "url"),
    "url without host": (HttpCheck("http:///health"), "url"),
    "lower-case method": (HttpCheck("http://a.test/", method="get"), "method"),
    "header name with a space": (HttpCheck("http://a.test/", headers={"X Y": "1"}), "headers"),
    "header value over two lines": (
        HttpCheck("http://a.test/", headers={"X": "1\r\nEvil: 2"}),
        "headers",
    ),
    "no expected status": (HttpCheck("http://a.test/", expect_status=()), "expect_status"),
    "status 600": (HttpCheck("http://a.test/", expect_status=(600,)), "expect_status"),
    "range backwards": (
        HttpCheck("http://a.test/", expect_status=(StatusRange(299, 200),)),
        "expect_status",
    ),
    "HEAD with a body keyword": (
        HttpCheck("http://a.test/", method="HEAD", body_contains="UP"),
        "method",
    ),
    "empty keyword": (HttpCheck("http://a.test/", body_contains=""), "body_contains"),
    "broken JSON condition": (
        HttpCheck("http://a.test/", json_condition="$.status = 'UP'"),
        "json_condition",
    ),
    "zero response time": (HttpCheck("http://a.test/", max_response_ms=0), "max_response_ms"),
    "too many redirects allowed": (HttpCheck("http://a.test/", max_redirects=50), "max_redirects"),
    "port 0": (TcpCheck("db", 0), "port"),
    "port 70000": (TcpCheck("db", 70000), "port"),
    "host with a space": (TcpCheck("db internal", 5432), "host"),
    "empty host": (TlsCheck(""), "host"),
    "negative days": (TlsCheck("a.test", min_days_valid=-1), "min_days_valid"),
    "short token": (PushCheck("abc"), "token"),
    "token with a slash": (PushCheck("a" * 20 + "/x"), "token"),
}


@pytest.mark.parametrize("check", VALID, ids=lambda c: type(c).__name__)
def test_valid_definitions_pass(check: CheckDefinition) -> None:
    validate_check(check)


@pytest.mark.parametrize(("check", "field"), INVALID.values(), ids=INVALID.keys())
def test_invalid_definitions_name_the_field(check: CheckDefinition, field: str) -> None:
    with pytest.raises(InvalidCheck) as raised:
        validate_check(check)
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")


def test_an_invalid_definition_is_a_value_error_for_callers_that_know_no_more() -> None:
    with pytest.raises(ValueError, match=r"^port: must be from 1 to 65535$"):
        validate_check(TcpCheck("db", 0))


SCHEDULES: dict[str, tuple[CheckSchedule, str]] = {
    "sub-second interval": (CheckSchedule(interval_s=0.5, timeout_s=0.1), "interval_s"),
    "timeout as long as the interval": (CheckSchedule(interval_s=10, timeout_s=10), "timeout_s"),
    "zero timeout": (CheckSchedule(timeout_s=0), "timeout_s"),
    "zero fail threshold": (CheckSchedule(fail_threshold=0), "fail_threshold"),
    "zero recover threshold": (CheckSchedule(recover_threshold=0), "recover_threshold"),
    "stale before the next run": (CheckSchedule(stale_after_s=30), "stale_after_s"),
}


@pytest.mark.parametrize(("schedule", "field"), SCHEDULES.values(), ids=SCHEDULES.keys())
def test_invalid_schedules_name_the_field(schedule: CheckSchedule, field: str) -> None:
    with pytest.raises(InvalidCheck) as raised:
        validate_schedule(schedule)
    assert raised.value.field == field


def test_the_default_schedule_follows_design_section_4() -> None:
    schedule = CheckSchedule()
    validate_schedule(schedule)
    assert (schedule.fail_threshold, schedule.recover_threshold) == (2, 1)
    assert schedule.stale_after == timedelta(seconds=180)  # three intervals


def test_an_explicit_staleness_replaces_three_intervals() -> None:
    assert CheckSchedule(stale_after_s=600).stale_after == timedelta(minutes=10)


def test_by_default_any_success_or_redirect_status_is_accepted() -> None:
    check = HttpCheck("http://a.test/")
    assert [check.accepts_status(code) for code in (199, 200, 302, 399, 400, 503)] == [
        False,
        True,
        True,
        True,
        False,
        False,
    ]


def test_status_codes_are_spelled_as_ranges_and_codes() -> None:
    assert parse_status_codes("200-299, 301") == (StatusRange(200, 299), 301)
    assert str(StatusRange(200, 299)) == "200-299"
    with pytest.raises(InvalidCheck, match="'2xx' is not a status code or range"):
        parse_status_codes("2xx")
    with pytest.raises(InvalidCheck, match="is not a status code or range"):
        parse_status_codes("20\u00b2")  # a superscript two is a digit to str.isdigit, not to int


def test_secrets_stay_out_of_repr() -> None:
    assert "Bearer" not in repr(HttpCheck("http://a.test/", headers={"Authorization": "Bearer s"}))
    assert TOKEN not in repr(PushCheck(TOKEN))


def test_full_validation_also_compiles_the_json_path() -> None:
    # The domain parser sees a well-formed path; only python-jsonpath knows `$.a..` is not.
    check = HttpCheck("http://a.test/", json_condition="$.a.. == 1")
    validate_check(check)
    with pytest.raises(InvalidCheck) as raised:
        validate_definition(check, CheckSchedule())
    assert raised.value.field == "json_condition"


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(unclosed", "missing )"),
        (r"(a)\1", "invalid escape sequence"),  # a backreference: Python's re takes it
        ("(?<=a)b", "invalid perl operator"),  # lookbehind: Python's re takes it too
    ],
)
def test_full_validation_refuses_a_pattern_re2_cannot_run(pattern: str, why: str) -> None:
    with pytest.raises(InvalidCheck) as raised:
        validate_definition(HttpCheck("http://a.test/", body_matches=pattern), CheckSchedule())
    assert raised.value.field == "body_matches"
    assert raised.value.problem.startswith("not a regular expression RE2 accepts: " + why)


def test_full_validation_takes_a_pattern_that_only_a_backtracking_engine_finds_slow() -> None:
    validate_definition(HttpCheck("http://a.test/", body_matches="^(a+)+$"), CheckSchedule())
