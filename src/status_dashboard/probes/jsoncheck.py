"""Evaluate a parsed JSON condition (domain.checks) against a decoded body.

The path is compiled once, when the probe is built; a path the domain's parser let through but
python-jsonpath refuses is an `InvalidCheck` then, never a failing result on every run.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import jsonpath

from status_dashboard.domain.checks import (
    ConditionOp,
    InvalidCheck,
    JsonCondition,
    JsonConditionError,
    JsonValue,
    parse_json_condition,
)
from status_dashboard.probes import wording

_ORDERING: dict[ConditionOp, Callable[[float, float], bool]] = {
    ConditionOp.LT: operator.lt,
    ConditionOp.LE: operator.le,
    ConditionOp.GT: operator.gt,
    ConditionOp.GE: operator.ge,
}


class CompiledCondition:
    def __init__(self, condition: JsonCondition) -> None:
        self.condition = condition
        try:
            self._path = jsonpath.compile(condition.path)
        except jsonpath.JSONPathError as exc:
            raise InvalidCheck("json_condition", f"invalid JSON path: {exc}") from None

    @classmethod
    def parse(cls, text: str) -> CompiledCondition:
        try:
            return cls(parse_json_condition(text))
        except JsonConditionError as exc:
            raise InvalidCheck("json_condition", str(exc)) from None

    def failure(self, document: object) -> str | None:
        """Why `document` fails the condition, e.g. "$.status is 'DOWN', expected 'UP'";
        None when it holds. The path's first match is the value judged."""
        condition = self.condition
        match = self._path.match(document)  # type: ignore[arg-type]
        if match is None:
            # Even for `!=`: a health document without the field is broken, not healthy.
            return f"{condition.path} is missing"
        actual: object = match.obj
        if _holds(condition, actual):
            return None
        return f"{condition.path} is {wording.value(actual)}, expected {_expectation(condition)}"


def _holds(condition: JsonCondition, actual: object) -> bool:
    op, expected = condition.op, condition.expected
    if op is ConditionOp.EXISTS:
        return True
    if op is ConditionOp.TRUTHY:
        return bool(actual)
    if op is ConditionOp.EQ:
        return _same(actual, expected)
    if op is ConditionOp.NE:
        return not _same(actual, expected)
    if op is ConditionOp.CONTAINS:
        return _contains(actual, expected)
    if not _is_number(actual) or not _is_number(expected):
        return False
    return _ORDERING[op](actual, expected)  # type: ignore[arg-type]


def _same(actual: object, expected: JsonValue) -> bool:
    # JSON's true is not 1, though Python's True == 1.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    return actual == expected


def _contains(actual: object, expected: JsonValue) -> bool:
    if isinstance(actual, str):
        return isinstance(expected, str) and expected in actual
    if isinstance(actual, list):
        return any(_same(item, expected) for item in actual)
    if isinstance(actual, dict):
        return isinstance(expected, str) and expected in actual
    return False


def _is_number(data: object) -> bool:
    return isinstance(data, int | float) and not isinstance(data, bool)


def _expectation(condition: JsonCondition) -> str:
    shown = wording.value(condition.expected)
    if condition.op is ConditionOp.EQ:
        return shown
    if condition.op is ConditionOp.NE:
        return f"anything but {shown}"
    if condition.op is ConditionOp.CONTAINS:
        return f"to contain {shown}"
    if condition.op is ConditionOp.TRUTHY:
        return "a true value"
    return f"{condition.op} {shown}"
