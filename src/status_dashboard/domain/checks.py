"""What a check is, when it runs, and what one run of it found (docs/design.md §4).

Definitions are plain values. The catalog and the admin API build them and call
`validate_check` and `validate_schedule`, which raise `InvalidCheck` naming the field in plain
words; the probes run them. The JSON condition mini-language of HTTP checks is parsed here, once,
so an invalid expression is refused when the check is defined, not when it first runs:

    <jsonpath> <op> <JSON literal>     $.status == "UP", $.queue.depth < 100
    <jsonpath> exists                  $.version exists
    <jsonpath>                         $.healthy   (exists and is truthy)

ops: ==  !=  <  <=  >  >=  contains  exists. Evaluating the path is the probes' job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar, TypeAlias
from urllib.parse import urlsplit

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


class InvalidCheck(ValueError):
    """A check definition or schedule that cannot run; `field` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# -- definitions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusRange:
    """An inclusive range of HTTP status codes, such as 200-399."""

    first: int
    last: int

    def __contains__(self, code: object) -> bool:
        return isinstance(code, int) and self.first <= code <= self.last

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


ExpectedStatus: TypeAlias = "int | StatusRange"

SUCCESS_STATUSES: tuple[ExpectedStatus, ...] = (StatusRange(200, 399),)
"""What an HTTP check accepts unless told otherwise: any success, redirects not followed count."""


def parse_status_codes(spec: str) -> tuple[ExpectedStatus, ...]:
    """`"200-299, 301"` as check values; the catalog's spelling of `expect_status`."""
    parts: list[ExpectedStatus] = []
    for raw in spec.split(","):
        text = raw.strip()
        low, sep, high = text.partition("-")
        if not text.isascii() or not (
            low.strip().isdigit() and (not sep or high.strip().isdigit())
        ):
            raise InvalidCheck("expect_status", f"'{text}' is not a status code or range")
        parts.append(StatusRange(int(low), int(high)) if sep else int(low))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class HttpCheck:
    """Ask a URL and judge the answer: status, body, a JSON condition, response time.

    `headers` may carry credentials, so they stay out of `repr`.
    """

    kind: ClassVar[str] = "http"

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    expect_status: tuple[ExpectedStatus, ...] = SUCCESS_STATUSES
    body_contains: str | None = None
    body_matches: str | None = None
    json_condition: str | None = None
    max_response_ms: int | None = None
    max_redirects: int = 5
    verify_tls: bool = True

    def accepts_status(self, code: int) -> bool:
        return any(code == e if isinstance(e, int) else code in e for e in self.expect_status)


@dataclass(frozen=True, slots=True)
class TcpCheck:
    """Something listens on host:port."""

    kind: ClassVar[str] = "tcp"

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class TlsCheck:
    """The certificate on host:port is trusted and valid for at least `min_days_valid` days.

    `server_name` is the name sent in SNI and checked against the certificate, when it is not
    `host` (a check that connects to an IP address, say).
    """

    kind: ClassVar[str] = "tls"

    host: str
    port: int = 443
    min_days_valid: int = 14
    server_name: str | None = None


@dataclass(frozen=True, slots=True)
class PushCheck:
    """The service itself calls `POST /api/v1/push/{token}` at least once per interval.

    The token is a secret in a URL, so it stays out of `repr`.
    """

    kind: ClassVar[str] = "push"

    token: str = field(repr=False)


CheckDefinition: TypeAlias = "HttpCheck | TcpCheck | TlsCheck | PushCheck"


@dataclass(frozen=True, slots=True)
class CheckSchedule:
    """When a check runs and how its results turn into a status (docs/design.md §4).

    `stale_after_s` None means three intervals: a result older than that says nothing about now.
    """

    interval_s: float = 60.0
    timeout_s: float = 10.0
    fail_threshold: int = 2
    recover_threshold: int = 1
    stale_after_s: float | None = None

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.interval_s)

    @property
    def timeout(self) -> timedelta:
        return timedelta(seconds=self.timeout_s)

    @property
    def stale_after(self) -> timedelta:
        seconds = self.stale_after_s if self.stale_after_s is not None else 3 * self.interval_s
        return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One run of one check. `reason` is short and human ("HTTP 503", "Connection refused");
    `detail` holds what an operator may want besides (the exception, a body excerpt)."""

    ok: bool
    reason: str
    at: datetime
    duration_ms: float
    detail: str | None = None


# -- validation ----------------------------------------------------------------------------------

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_REDIRECTS = 20
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HOST = re.compile(r"^[A-Za-z0-9._:\-\[\]]{1,253}$")
# Long enough not to be guessed, and safe in a URL path without escaping.
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,128}$")


def validate_check(check: CheckDefinition) -> None:
    """Raise `InvalidCheck` for the first field that would keep `check` from running."""
    if isinstance(check, HttpCheck):
        _validate_http(check)
    elif isinstance(check, TcpCheck):
        _validate_endpoint(check.host, check.port)
    elif isinstance(check, TlsCheck):
        _validate_endpoint(check.host, check.port)
        if check.min_days_valid < 0:
            raise InvalidCheck("min_days_valid", "must be 0 or more")
        if check.server_name is not None and not _HOST.match(check.server_name):
            raise InvalidCheck("server_name", f"'{check.server_name}' is not a host name")
    elif not _TOKEN.match(check.token):
        raise InvalidCheck("token", "must be 16 to 128 letters, digits, '-' or '_'")


def validate_schedule(schedule: CheckSchedule) -> None:
    """Raise `InvalidCheck` unless the schedule can run without overlapping itself."""
    if schedule.interval_s < 1:
        raise InvalidCheck("interval_s", "must be at least 1 second")
    if not 0 < schedule.timeout_s < schedule.interval_s:
        # A run that may outlast its interval would overlap the next one.
        raise InvalidCheck("timeout_s", "must be more than 0 and less than interval_s")
    if schedule.fail_threshold < 1:
        raise InvalidCheck("fail_threshold", "must be at least 1")
    if schedule.recover_threshold < 1:
        raise InvalidCheck("recover_threshold", "must be at least 1")
    if schedule.stale_after_s is not None and schedule.stale_after_s < schedule.interval_s:
        # Shorter than an interval, every item would turn Unknown between two runs.
        raise InvalidCheck("stale_after_s", "must be at least interval_s")


def _validate_http(check: HttpCheck) -> None:
    parts = urlsplit(check.url)
    if parts.scheme not in ("http", "https"):
        raise InvalidCheck("url", "must start with http:// or https://")
    if not parts.hostname:
        raise InvalidCheck("url", "has no host")
    if check.method not in HTTP_METHODS:
        raise InvalidCheck("method", f"must be one of {', '.join(sorted(HTTP_METHODS))}")
    for name, value in check.headers.items():
        if not _HEADER_NAME.match(name):
            raise InvalidCheck("headers", f"'{name}' is not a header name")
        if "\r" in value or "\n" in value:
            raise InvalidCheck("headers", f"the value of '{name}' spans lines")
    _validate_statuses(check.expect_status)
    if check.method == "HEAD" and (
        check.body_contains or check.body_matches or check.json_condition
    ):
        raise InvalidCheck("method", "a HEAD answer has no body to check")
    if check.body_contains == "":
        raise InvalidCheck("body_contains", "must not be empty")
    # body_matches is RE2's syntax, judged by probes.factory.validate_definition.
    if check.json_condition is not None:
        try:
            parse_json_condition(check.json_condition)
        except JsonConditionError as exc:
            raise InvalidCheck("json_condition", str(exc)) from None
    if check.max_response_ms is not None and check.max_response_ms <= 0:
        raise InvalidCheck("max_response_ms", "must be more than 0")
    if not 0 <= check.max_redirects <= MAX_REDIRECTS:
        raise InvalidCheck("max_redirects", f"must be from 0 to {MAX_REDIRECTS}")


def _validate_statuses(expected: tuple[ExpectedStatus, ...]) -> None:
    if not expected:
        raise InvalidCheck("expect_status", "must name at least one status code")
    for entry in expected:
        first, last = (entry, entry) if isinstance(entry, int) else (entry.first, entry.last)
        if not 100 <= first <= last <= 599:
            raise InvalidCheck("expect_status", f"'{entry}' is not within 100-599")


def _validate_endpoint(host: str, port: int) -> None:
    if not _HOST.match(host):
        raise InvalidCheck("host", f"'{host}' is not a host name or address")
    if not 1 <= port <= 65535:
        raise InvalidCheck("port", "must be from 1 to 65535")


# -- JSON conditions -----------------------------------------------------------------------------


class JsonConditionError(ValueError):
    """An expression that is not `<jsonpath> [<op> [<literal>]]`; says where and why."""


class ConditionOp(StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CONTAINS = "contains"
    EXISTS = "exists"
    TRUTHY = "truthy"
    """A bare path: the value exists and is truthy."""


ORDERING_OPS = frozenset({ConditionOp.LT, ConditionOp.LE, ConditionOp.GT, ConditionOp.GE})
_SYMBOL_OPS = ("==", "!=", "<=", ">=", "<", ">")  # two-character ones first
_WORD_OPS = ("contains", "exists")
_CLOSERS = {"[": "]", "(": ")"}
_OPENERS = {closer: opener for opener, closer in _CLOSERS.items()}


@dataclass(frozen=True, slots=True)
class JsonCondition:
    path: str
    op: ConditionOp
    expected: JsonValue = None

    def __str__(self) -> str:
        if self.op is ConditionOp.TRUTHY:
            return self.path
        if self.op is ConditionOp.EXISTS:
            return f"{self.path} exists"
        return f"{self.path} {self.op} {json.dumps(self.expected)}"


def parse_json_condition(text: str) -> JsonCondition:
    """Parse `$.status == "UP"` and friends (module docstring), or raise `JsonConditionError`."""
    source = text.strip()
    if not source.startswith("$"):
        raise JsonConditionError("must start with a JSON path such as $.status")
    end = _path_end(source)
    path, rest = source[:end], source[end:].strip()
    if not rest:
        return JsonCondition(path, ConditionOp.TRUTHY)
    op, literal = _split_operator(rest)
    if op is ConditionOp.EXISTS:
        if literal:
            raise JsonConditionError(f"nothing may follow 'exists', found '{literal}'")
        return JsonCondition(path, op)
    if not literal:
        raise JsonConditionError(f"'{op}' needs a JSON value after it")
    try:
        expected: JsonValue = json.loads(literal)
    except ValueError:
        raise JsonConditionError(
            f'\'{literal}\' is not a JSON value (quote strings with ", e.g. "UP")'
        ) from None
    if op in ORDERING_OPS and (isinstance(expected, bool) or not isinstance(expected, int | float)):
        raise JsonConditionError(f"'{op}' compares numbers, found {literal}")
    return JsonCondition(path, op, expected)


def _path_end(source: str) -> int:
    """Where the path stops: the first space or operator outside brackets and quotes, so that
    filters such as `$.items[?@.name == "db"]` stay part of the path."""
    stack: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(source):
        char = source[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif char in "])":
            if not stack or stack.pop() != char:
                raise JsonConditionError(f"unexpected '{char}' at position {index + 1}")
        elif not stack and (char.isspace() or char in "=!<>"):
            return index
        index += 1
    if quote:
        raise JsonConditionError(f"unclosed {quote} in the path")
    if stack:
        raise JsonConditionError(f"unclosed '{_OPENERS[stack[-1]]}' in the path")
    return index


def _split_operator(rest: str) -> tuple[ConditionOp, str]:
    for symbol in _SYMBOL_OPS:
        if rest.startswith(symbol):
            return ConditionOp(symbol), rest[len(symbol) :].strip()
    word, _, literal = rest.partition(" ")
    if word in _WORD_OPS:
        return ConditionOp(word), literal.strip()
    expected = ", ".join([*_SYMBOL_OPS, *_WORD_OPS])
    raise JsonConditionError(f"unknown operator '{word}'; expected one of {expected}")
