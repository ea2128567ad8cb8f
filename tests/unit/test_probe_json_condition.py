"""The JSON condition mini-language: `<jsonpath> <op> <literal>`, parsed once, judged often."""

from __future__ import annotations

import pytest

from status_dashboard.domain.checks import (
    ConditionOp,
    JsonCondition,
    JsonConditionError,
    parse_json_condition,
)
from status_dashboard.probes.jsoncheck import CompiledCondition

PARSED = {
    '$.status == "UP"': JsonCondition("$.status", ConditionOp.EQ, "UP"),
    '$.status=="UP"': JsonCondition("$.status", ConditionOp.EQ, "UP"),
    "$.count != 0": JsonCondition("$.count", ConditionOp.NE, 0),
    "$.queue.depth < 100": JsonCondition("$.queue.depth", ConditionOp.LT, 100),
    "$.load <= 0.75": JsonCondition("$.load", ConditionOp.LE, 0.75),
    "$.free > 1e9": JsonCondition("$.free", ConditionOp.GT, 1e9),
    "$.workers >= 2": JsonCondition("$.workers", ConditionOp.GE, 2),
    '$.tags contains "db"': JsonCondition("$.tags", ConditionOp.CONTAINS, "db"),
    "$.version exists": JsonCondition("$.version", ConditionOp.EXISTS),
    "$.healthy": JsonCondition("$.healthy", ConditionOp.TRUTHY),
    "  $.maintenance == false  ": JsonCondition("$.maintenance", ConditionOp.EQ, False),
    "$.error == null": JsonCondition("$.error", ConditionOp.EQ, None),
    "$['odd key'] == 1": JsonCondition("$['odd key']", ConditionOp.EQ, 1),
    '$.checks[?@.name == "db"].up == true': JsonCondition(
        '$.checks[?@.name == "db"].up', ConditionOp.EQ, True
    ),
}


@pytest.mark.parametrize(("text", "expected"), PARSED.items(), ids=PARSED.keys())
def test_valid_expressions_parse(text: str, expected: JsonCondition) -> None:
    assert parse_json_condition(text) == expected


REFUSED = {
    "status == 'UP'": "must start with a JSON path",
    "": "must start with a JSON path",
    "$.status = 'UP'": "unknown operator '='",
    "$.status is 'UP'": "unknown operator 'is'",
    "$.status == UP": "'UP' is not a JSON value (quote strings with \"",
    "$.status == 'UP'": "is not a JSON value",
    "$.status ==": "'==' needs a JSON value",
    '$.count < "ten"': "'<' compares numbers",
    "$.count > true": "'>' compares numbers",
    "$.version exists 1": "nothing may follow 'exists'",
    "$.items[0 == 1": "unclosed '[' in the path",
    "$.items] == 1": "unexpected ']' at position 8",
    "$['key == 1": "unclosed ' in the path",
}


@pytest.mark.parametrize(("text", "message"), REFUSED.items(), ids=REFUSED.keys())
def test_invalid_expressions_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(JsonConditionError) as raised:
        parse_json_condition(text)
    assert message in str(raised.value)


def test_a_condition_reads_back_as_written() -> None:
    for text in ('$.status == "UP"', "$.version exists", "$.healthy", "$.n >= 2"):
        assert str(parse_json_condition(text)) == text


DOCUMENT = {
    "status": "UP",
    "healthy": True,
    "maintenance": False,
    "workers": 3,
    "load": 0.5,
    "tags": ["db", "cache"],
    "components": {"db": "UP"},
    "message": "all systems go",
    "checks": [{"name": "db", "up": False}, {"name": "cache", "up": True}],
}

JUDGED = {
    # expression: None when it holds, else the failure reason
    '$.status == "UP"': None,
    '$.status == "DOWN"': "$.status is 'UP', expected 'DOWN'",
    '$.status != "DOWN"': None,
    '$.status != "UP"': "$.status is 'UP', expected anything but 'UP'",
    "$.workers >= 2": None,
    "$.workers < 2": "$.workers is 3, expected < 2",
    "$.load <= 0.75": None,
    "$.status > 1": "$.status is 'UP', expected > 1",
    '$.tags contains "db"': None,
    '$.tags contains "queue"': '$.tags is ["db", "cache"], expected to contain \'queue\'',
    '$.message contains "go"': None,
    '$.components contains "db"': None,
    "$.healthy": None,
    "$.maintenance": "$.maintenance is false, expected a true value",
    "$.maintenance == false": None,
    "$.healthy == 1": "$.healthy is true, expected 1",
    "$.status exists": None,
    "$.version exists": "$.version is missing",
    '$.version != "1.0"': "$.version is missing",
    "$.checks[?@.name == 'db'].up": "$.checks[?@.name == 'db'].up is false, expected a true value",
    "$.checks[*].up": "$.checks[*].up is false, expected a true value",
}


@pytest.mark.parametrize(("text", "failure"), JUDGED.items(), ids=JUDGED.keys())
def test_a_compiled_condition_judges_the_first_match(text: str, failure: str | None) -> None:
    assert CompiledCondition.parse(text).failure(DOCUMENT) == failure


def test_a_long_value_is_cut_short_in_the_reason() -> None:
    reason = CompiledCondition.parse('$.text == "short"').failure({"text": "x" * 500})
    assert reason is not None
    assert len(reason) < 100
    assert "…" in reason
