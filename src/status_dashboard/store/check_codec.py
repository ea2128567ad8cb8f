"""Check definitions and schedules as JSON, the same way for the SQL and the memory stores.

A definition is an object tagged with its `kind`; every field is written, defaults included, so
that a stored check does not change meaning when a default does. Status ranges are written as
"200-399" (always with both ends, so that a range of one code is not read back as the code):

    {"kind": "http", "url": "https://example.org/health", "method": "GET", "headers": {},
     "expect_status": ["200-399", 418], ...}

Decoding refuses what it does not know (a kind, a field) with ValueError: a stored check that
cannot be read is a bug, never something to run half-understood.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from status_dashboard.domain.checks import (
    CheckDefinition,
    CheckSchedule,
    ExpectedStatus,
    HttpCheck,
    PushCheck,
    StatusRange,
    TcpCheck,
    TlsCheck,
)

KINDS: dict[str, type[CheckDefinition]] = {
    kind.kind: kind for kind in (HttpCheck, TcpCheck, TlsCheck, PushCheck)
}


def encode_definition(definition: CheckDefinition) -> dict[str, Any]:
    """`definition` as a JSON-ready object with a "kind" tag."""
    encoded: dict[str, Any] = {"kind": definition.kind}
    for spec in fields(definition):
        value = getattr(definition, spec.name)
        if spec.name == "headers":
            value = dict(value)
        elif spec.name == "expect_status":
            value = [_encode_status(entry) for entry in value]
        encoded[spec.name] = value
    return encoded


def decode_definition(encoded: dict[str, Any]) -> CheckDefinition:
    """The definition `encode_definition` wrote."""
    values = dict(encoded)
    kind = values.pop("kind", None)
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown check kind {kind!r}")
    _refuse_unknown(cls, values)
    if "headers" in values:
        values["headers"] = dict(values["headers"])
    if "expect_status" in values:
        values["expect_status"] = tuple(_decode_status(entry) for entry in values["expect_status"])
    definition: CheckDefinition = cls(**values)
    return definition


def encode_schedule(schedule: CheckSchedule) -> dict[str, Any]:
    return {spec.name: getattr(schedule, spec.name) for spec in fields(schedule)}


def decode_schedule(encoded: dict[str, Any]) -> CheckSchedule:
    _refuse_unknown(CheckSchedule, encoded)
    return CheckSchedule(**encoded)


def definition_text(definition: CheckDefinition) -> str:
    return _dumps(encode_definition(definition))


def definition_of(text: str) -> CheckDefinition:
    return decode_definition(_object(text))


def schedule_text(schedule: CheckSchedule) -> str:
    return _dumps(encode_schedule(schedule))


def schedule_of(text: str) -> CheckSchedule:
    return decode_schedule(_object(text))


def push_token(definition: CheckDefinition) -> str | None:
    """The token a push check is reached by; None for every other kind."""
    return definition.token if isinstance(definition, PushCheck) else None


def _encode_status(entry: ExpectedStatus) -> int | str:
    return entry if isinstance(entry, int) else f"{entry.first}-{entry.last}"


def _decode_status(entry: object) -> ExpectedStatus:
    if isinstance(entry, bool):
        raise ValueError(f"{entry!r} is not a status code")
    if isinstance(entry, int):
        return entry
    if isinstance(entry, str):
        first, sep, last = entry.partition("-")
        if sep and (first + last).isascii() and first.isdigit() and last.isdigit():
            return StatusRange(int(first), int(last))
    raise ValueError(f"{entry!r} is not a status code or range")


def _refuse_unknown(cls: type[Any], values: dict[str, Any]) -> None:
    unknown = set(values) - {spec.name for spec in fields(cls)}
    if unknown:
        raise ValueError(f"unknown fields for {cls.__name__}: {', '.join(sorted(unknown))}")


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, sort_keys=True)


def _object(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a stored check field is not a JSON object")
    return value
