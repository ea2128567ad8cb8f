"""Checks as people write them, in the catalog file and in the admin API alike.

Both spell a check the same way (docs/catalog.md, "Checks"): `key`, `type`, the fields of its
type, and its schedule in seconds:

    key: health            type: http | tcp | tls | push
    url, method, headers, expect_status, body_contains, body_matches, json_condition,
    max_response_ms, max_redirects, verify_tls           (http)
    host, port                                           (tcp)
    host, port, min_days_valid, server_name              (tls)
    token                                                (push)
    interval, timeout, fail_threshold, recover_threshold, stale_after   (any type)

This module knows those names: it turns values already checked for their type into the domain's
definition and schedule, validates them in full (`probes.factory.validate_definition`) with each
problem named by the field as written here, and describes a stored check back with its secrets
masked. Where a value is read (YAML nodes, JSON bodies) and how a problem is reported is the
caller's business.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from status_dashboard.domain.checks import (
    CheckDefinition,
    CheckSchedule,
    ExpectedStatus,
    HttpCheck,
    InvalidCheck,
    PushCheck,
    TcpCheck,
    TlsCheck,
    parse_status_codes,
)
from status_dashboard.probes.factory import validate_definition

TYPE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "http": (
        "url",
        "method",
        "headers",
        "expect_status",
        "body_contains",
        "body_matches",
        "json_condition",
        "max_response_ms",
        "max_redirects",
        "verify_tls",
    ),
    "tcp": ("host", "port"),
    "tls": ("host", "port", "min_days_valid", "server_name"),
    "push": ("token",),
}
REQUIRED: Mapping[str, tuple[str, ...]] = {
    "http": ("url",),
    "tcp": ("host", "port"),
    "tls": ("host",),
    "push": ("token",),
}
SCHEDULE_FIELDS = ("interval", "timeout", "fail_threshold", "recover_threshold", "stale_after")
SECONDS_FIELDS = frozenset({"interval", "timeout", "stale_after"})
MASK = "***"
"""What a secret (a header value, a push token) reads as when a check is shown."""

_CLASSES: Mapping[str, type[CheckDefinition]] = {
    "http": HttpCheck,
    "tcp": TcpCheck,
    "tls": TlsCheck,
    "push": PushCheck,
}
_SCHEDULE_ATTRIBUTES = {
    "interval": "interval_s",
    "timeout": "timeout_s",
    "fail_threshold": "fail_threshold",
    "recover_threshold": "recover_threshold",
    "stale_after": "stale_after_s",
}
# Moments are computed from these (next run, staleness, certificate expiry): bounded so that
# they always fit a datetime, and generously, since no real check comes near.
_UPPER_BOUNDS = {"interval": 7 * 86400, "timeout": 86400, "stale_after": 30 * 86400}
_MAX_DAYS_VALID = 3650


def allowed_fields(kind: str | None) -> tuple[str, ...]:
    """The fields a check of `kind` may have; of any type when the type is not known."""
    own = _ALL_TYPE_FIELDS if kind is None else TYPE_FIELDS.get(kind, _ALL_TYPE_FIELDS)
    return ("key", "type", *own, *SCHEDULE_FIELDS)


_ALL_TYPE_FIELDS = tuple(dict.fromkeys(f for fields in TYPE_FIELDS.values() for f in fields))


def build_check(kind: str, values: Mapping[str, Any]) -> tuple[CheckDefinition, CheckSchedule]:
    """The definition and schedule that `values` describe, with the defaults for what they
    leave out.

    `values` are keyed by the field names above (neither `key` nor `type`) and already of the
    right types: text as str, `headers` a mapping of str, `expect_status` a string such as
    "200-299, 301", a status code or a list of either, numbers as int or float. Raises
    InvalidCheck naming a field as written here.
    """
    own = {name: value for name, value in values.items() if name in TYPE_FIELDS[kind]}
    if "headers" in own:
        own["headers"] = dict(own["headers"])
    if "expect_status" in own:
        own["expect_status"] = expected_statuses(own["expect_status"])
    schedule = _schedule({n: v for n, v in values.items() if n in _SCHEDULE_ATTRIBUTES})
    definition = _CLASSES[kind](**own)
    if isinstance(definition, TlsCheck) and definition.min_days_valid > _MAX_DAYS_VALID:
        raise InvalidCheck("min_days_valid", f"must be at most {_MAX_DAYS_VALID}")
    try:
        validate_definition(definition, schedule)
    except InvalidCheck as exc:
        raise _as_written(exc) from None
    return definition, schedule


def expected_statuses(value: str | int | Sequence[int | str]) -> tuple[ExpectedStatus, ...]:
    """`expect_status` as the domain has it: "200-299, 301", 200, or [200, "300-303"]."""
    if isinstance(value, str):
        return parse_status_codes(value)
    if isinstance(value, int):
        return (value,)
    found: list[ExpectedStatus] = []
    for entry in value:
        found.extend(expected_statuses(entry))
    return tuple(found)


def describe(key: str, definition: CheckDefinition, schedule: CheckSchedule) -> dict[str, Any]:
    """The check as this module spells it, every field given and secrets masked: what the admin
    API shows and the audit log keeps (neither may hold a secret)."""
    described: dict[str, Any] = {"key": key, "type": definition.kind}
    for spec in dataclasses.fields(definition):
        value = getattr(definition, spec.name)
        if spec.name == "headers":
            value = dict.fromkeys(sorted(value), MASK)
        elif spec.name == "token":
            value = MASK
        elif spec.name == "expect_status":
            value = ", ".join(str(entry) for entry in value)
        described[spec.name] = value
    for name, attribute in _SCHEDULE_ATTRIBUTES.items():
        described[name] = getattr(schedule, attribute)
    return described


def _schedule(values: Mapping[str, Any]) -> CheckSchedule:
    given: dict[str, Any] = {}
    for name, value in values.items():
        if name in SECONDS_FIELDS:
            if not math.isfinite(value) or value > _UPPER_BOUNDS[name]:
                bound = f"{_UPPER_BOUNDS[name]:,}"
                raise InvalidCheck(name, f"must be a finite number of seconds, at most {bound}")
            value = float(value)
        given[_SCHEDULE_ATTRIBUTES[name]] = value
    return CheckSchedule(**given)


def _as_written(exc: InvalidCheck) -> InvalidCheck:
    """The domain's problem with the schedule's field names as people write them
    (`interval`, not `interval_s`), on one line: a JSON path's parser draws a picture of where
    the path breaks below its message, which a problem list of one line each cannot hold."""
    problem = exc.problem.strip().splitlines()[0] if exc.problem.strip() else exc.problem
    for name, attribute in _SCHEDULE_ATTRIBUTES.items():
        problem = problem.replace(attribute, name) if attribute != name else problem
    field = next((n for n, a in _SCHEDULE_ATTRIBUTES.items() if a == exc.field), exc.field)
    return InvalidCheck(field, problem)
