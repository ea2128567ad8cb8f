"""Wire models of an item's checks in the admin API: strict on the way in, masked on the way out.

A check is spelt as in the catalog file (`service.check_fields`): `key`, `type`, the fields of
its type and its schedule in seconds, all at one level. A field left out or null takes its
default. The models check types and sizes; what the values mean is the service's to judge.

Problems name the field as a person would point at it, `checks[0].timeout`: pydantic's own
locations also hold the type of the check (`checks.0.http.timeout`), which says nothing to the
author of the body.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from status_dashboard.api.problems import InputIssue, Problem
from status_dashboard.domain.ports import StoredCheck
from status_dashboard.service.check_admin import CheckInput, ItemChecks
from status_dashboard.service.check_fields import describe

MAX_CHECKS = 50
_MAX_STATUSES = 100

CheckKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Seconds = Annotated[float, Field(allow_inf_nan=False)]
Short = Annotated[str, StringConstraints(max_length=255)]
Long = Annotated[str, StringConstraints(max_length=2000)]
HeaderName = Annotated[str, StringConstraints(min_length=1, max_length=255)]


def _status_spec(value: object) -> str | list[int]:
    """`"200-299, 301"` or `[200, 301]`; one message for both, where a union would give two."""
    if isinstance(value, str) and len(value) <= 200:
        return value
    if (
        isinstance(value, list)
        and len(value) <= _MAX_STATUSES
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return value
    raise ValueError('must be text such as "200-299, 301" or a list of status codes')


StatusSpec = Annotated[
    str | list[int],
    PlainValidator(_status_spec),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "maxLength": 200, "examples": ["200-299, 301"]},
                {"type": "array", "items": {"type": "integer"}, "maxItems": _MAX_STATUSES},
            ]
        }
    ),
]


class _Check(BaseModel):
    """What every check has: its key, and its schedule (seconds; null or left out: default)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    key: CheckKey
    interval: Seconds | None = None
    timeout: Seconds | None = None
    fail_threshold: int | None = None
    recover_threshold: int | None = None
    stale_after: Seconds | None = None


class HttpCheckBody(_Check):
    type: Literal["http"]
    url: Long
    method: Short | None = None
    headers: Annotated[dict[HeaderName, Long], Field(max_length=50)] | None = None
    expect_status: StatusSpec | None = None
    body_contains: Long | None = None
    body_matches: Long | None = None
    json_condition: Long | None = None
    max_response_ms: int | None = None
    max_redirects: int | None = None
    verify_tls: bool | None = None


class TcpCheckBody(_Check):
    type: Literal["tcp"]
    host: Short
    port: int


class TlsCheckBody(_Check):
    type: Literal["tls"]
    host: Short
    port: int | None = None
    min_days_valid: int | None = None
    server_name: Short | None = None


class PushCheckBody(_Check):
    type: Literal["push"]
    token: Short


CheckBody = Annotated[
    HttpCheckBody | TcpCheckBody | TlsCheckBody | PushCheckBody, Field(discriminator="type")
]


class ChecksReplace(BaseModel):
    """The body of `PUT .../checks`: every check the item is to have, none left out."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    checks: Annotated[list[CheckBody], Field(max_length=MAX_CHECKS)]


class ChecksEnvelope(BaseModel):
    """The same body, read before its checks are: so that their problems get readable names."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    checks: Annotated[list[Any], Field(max_length=MAX_CHECKS)]


def check_inputs(raw: Sequence[Any]) -> list[CheckInput] | Problem:
    """The checks of a body, or the 400 problem naming each bad field."""
    try:
        body = ChecksReplace.model_validate({"checks": list(raw)})
    except ValidationError as exc:
        return _problem(exc)
    return [
        CheckInput(
            key=check.key,
            type=check.type,
            values=check.model_dump(exclude_none=True, exclude={"key", "type"}),
        )
        for check in body.checks
    ]


def _problem(exc: ValidationError) -> Problem:
    issues = tuple(
        InputIssue("body", _field(error["loc"], error["type"]), error["msg"])
        for error in exc.errors(include_url=False)
    )
    names = ", ".join(issue.name for issue in issues[:5])
    return Problem(400, f"invalid body: {names}", issues)


_TAG_ERRORS = frozenset({"union_tag_not_found", "union_tag_invalid"})
_TAGS = frozenset({"http", "tcp", "tls", "push"})


def _field(loc: tuple[int | str, ...], kind: str) -> str:
    """("checks", 0, "http", "headers", "X-Key") -> "checks[0].headers.X-Key"."""
    parts = list(loc)
    if len(parts) > 2 and parts[2] in _TAGS:
        del parts[2]  # the union member pydantic tried, which is the check's own `type`
    if kind in _TAG_ERRORS:
        parts.append("type")
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def checks_json(view: ItemChecks) -> dict[str, Any]:
    return {
        "environment": view.environment_key,
        "item_id": view.item_id,
        "checks": [check_json(check, view.details.get(check.key)) for check in view.checks],
    }


def check_json(check: StoredCheck, last_detail: str | None = None) -> dict[str, Any]:
    """A check as `PUT` takes it (its secrets masked), and `state`, what it has established;
    `last_detail` is for admins only (it may quote the target's answer)."""
    state = check.state
    return {
        **describe(check.key, check.definition, check.schedule),
        "state": {
            "failing": state.failing,
            "consecutive_failures": state.consecutive_failures,
            "consecutive_successes": state.consecutive_successes,
            "settled": state.settled,
            "last_result_at": _moment(state.last_result_at),
            "last_reason": state.last_reason,
            "last_detail": last_detail,
            "next_due": check.next_due.isoformat(),
        },
    }


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
