"""How an HTTP answer's body is judged (probes/judging.py): public reasons that never quote the
body, and bounded work on whatever the target sends."""

from __future__ import annotations

import pytest

from status_dashboard.domain.checks import HttpCheck
from status_dashboard.probes.errors import CheckFailed
from status_dashboard.probes.judging import BodyJudge


def failure(check: HttpCheck, body: bytes, status: int = 200) -> CheckFailed:
    with pytest.raises(CheckFailed) as raised:
        BodyJudge(check).judge(status, body, "utf-8")
    return raised.value


def test_a_json_condition_that_fails_keeps_what_it_found_out_of_the_reason() -> None:
    check = HttpCheck("http://a.test/", json_condition='$.SecretAccessKey == "x"')
    found = failure(check, b'{"SecretAccessKey": "wJalrXUtnFEMI"}')
    assert found.reason == "JSON condition not met"
    assert found.detail is not None
    assert found.detail.startswith("$.SecretAccessKey is 'wJalrXUtnFEMI', expected 'x'; body: ")


def test_a_search_deeper_than_python_recurses_fails_the_condition_instead_of_crashing() -> None:
    # orjson parses up to 1,024 levels; descending 1,000 of them (`$..x`) in Python recurses
    # past its limit, which must be a failed condition, not a probe error.
    check = HttpCheck("http://a.test/", json_condition="$..x exists")
    found = failure(check, b'{"a": ' * 1000 + b"1" + b"}" * 1000)
    assert found.reason == "JSON condition not met"
    assert found.detail is not None
    assert found.detail.startswith("$..x: the document is nested too deep to search")


def test_json_nested_past_1024_levels_is_not_json_and_says_why() -> None:
    check = HttpCheck("http://a.test/", json_condition="$.status")
    found = failure(check, b"[" * 100_000 + b"]" * 100_000)
    assert found.reason == "body is not JSON"
    assert found.detail is not None
    assert found.detail.startswith("depth limit exceeded")


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    # A backtracking engine takes seconds here (~2^25 steps), RE2 microseconds.
    check = HttpCheck("http://a.test/", body_matches="^(a+)+$")
    found = failure(check, b"a" * 25 + b"!")
    assert found.reason == "body does not match '^(a+)+$'"


def test_only_the_status_is_judged_when_the_body_is_not_examined() -> None:
    judge = BodyJudge(HttpCheck("http://a.test/"))
    assert not judge.examines_body
    judge.judge(200, b"anything", None)
    assert BodyJudge(HttpCheck("http://a.test/", body_contains="UP")).examines_body
