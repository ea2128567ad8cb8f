"""An item's `checks:` in a catalog file (docs/catalog.md, "Checks"), read field by field.

Part of the format's reader (`catalog_format`): every problem is reported at its place and the
reading carries on, so a file shows all of its problems in one run. A value is checked for its
type here, where its place is known; what it means (a URL, a JSON condition, a timeout shorter
than the interval) is the domain's to judge, through `check_fields.build_check`, and a problem
found there is placed at the field it names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Protocol

from status_dashboard.domain import ids
from status_dashboard.domain.catalog import CheckSpec
from status_dashboard.domain.checks import InvalidCheck, PushCheck
from status_dashboard.service.catalog_problems import CatalogProblem
from status_dashboard.service.catalog_yaml import (
    Entry,
    Node,
    elements,
    entries,
    is_boolean,
    join,
    kind_of,
)
from status_dashboard.service.check_fields import (
    REQUIRED,
    SECONDS_FIELDS,
    TYPE_FIELDS,
    allowed_fields,
    build_check,
)

_TEXT = frozenset(
    {"url", "method", "body_contains", "body_matches", "json_condition", "host", "server_name"}
)
_WHOLE = frozenset(
    {
        "port",
        "max_response_ms",
        "max_redirects",
        "min_days_valid",
        "fail_threshold",
        "recover_threshold",
    }
)
_TYPES = ", ".join(TYPE_FIELDS)
_KEY_HINT = (
    "use 1 to 64 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit"
)


class _Reporter(Protocol):
    """What the format's reader lends to this one: its problems and its shared rules."""

    problems: list[CatalogProblem]

    def report(self, node: Node, message: str) -> None: ...

    def fields(
        self, node: Node, allowed: tuple[str, ...], what: str
    ) -> dict[str, Entry] | None: ...

    def text(self, node: Node) -> str | None: ...

    def flag(self, declared: Entry | None) -> bool | None: ...


class _Bad:
    """A value that was refused (and reported); the check it belongs to is void."""


_BAD = _Bad()


class CheckReader:
    """Reads the checks of every item of one file; push tokens must be unique in the file."""

    def __init__(self, reporter: _Reporter) -> None:
        self._r = reporter
        self._tokens: dict[str, str] = {}  # push token -> path of the check that has it

    def checks(self, declared: Entry | None) -> tuple[CheckSpec, ...] | None:
        """The item's checks; None when the file says nothing (or nothing readable) of them."""
        if declared is None or declared.value.value is None:
            return None
        node = declared.value
        if not isinstance(node.value, list):
            self._r.report(node, f"must be a list of checks, not {kind_of(node)}")
            return None
        keys: set[str] = set()
        found = [self._check(element, keys) for element in elements(node)]
        return tuple(check for check in found if check is not None)

    def _check(self, node: Node, keys: set[str]) -> CheckSpec | None:
        before = len(self._r.problems)
        if not isinstance(node.value, Mapping):
            self._r.report(node, f"a check must be a mapping of fields, not {kind_of(node)}")
            return None
        kind = self._kind(node)
        fields = self._r.fields(node, allowed_fields(kind), "a check")
        if fields is None:
            return None
        key = self._key(fields, node, keys)
        values: dict[str, Any] = {}
        for name, entry in fields.items():
            if name not in ("key", "type") and entry.value.value is not None:
                value = self._value(name, entry)
                if value is not _BAD:
                    values[name] = value
        for name in REQUIRED.get(kind or "", ()):
            if name not in fields or fields[name].value.value is None:
                self._r.report(node.at(join(node.path, name)), f"is required for a {kind} check")
        if kind is None or key is None or len(self._r.problems) > before:
            return None
        try:
            definition, schedule = build_check(kind, values)
        except InvalidCheck as exc:
            given = fields.get(exc.field)
            at = given.value if given is not None else node.at(join(node.path, exc.field))
            self._r.report(at, exc.problem)
            return None
        if isinstance(definition, PushCheck):
            self._claim_token(definition.token, fields["token"].value, node.path)
        return key, definition, schedule

    def _kind(self, node: Node) -> str | None:
        declared = next((e for e in entries(node) if e.key.value == "type"), None)
        if declared is None or declared.value.value is None:
            self._r.report(node.at(join(node.path, "type")), f"is required: one of {_TYPES}")
            return None
        # A list or a mapping cannot even be looked up (unhashable): it is just another wrong type.
        if not isinstance(declared.value.value, str) or declared.value.value not in TYPE_FIELDS:
            self._r.report(
                declared.value, f"must be one of {_TYPES}, not {kind_of(declared.value)}"
            )
            return None
        return str(declared.value.value)

    def _key(self, fields: dict[str, Entry], node: Node, keys: set[str]) -> str | None:
        declared = fields.get("key")
        if declared is None or declared.value.value is None:
            self._r.report(node.at(join(node.path, "key")), "is required")
            return None
        key = self._r.text(declared.value)
        if key is None:
            return None
        if not ids.KEY_PATTERN.fullmatch(key):
            self._r.report(declared.value, f"{key!r} is not a valid check key: {_KEY_HINT}")
            return None
        if key in keys:
            self._r.report(
                declared.value,
                f"check key {key!r} is used twice; check keys are unique within an item",
            )
            return None
        keys.add(key)
        return key

    def _value(self, name: str, entry: Entry) -> object:
        """The value of one field, checked for its type; `_BAD` (reported) when it is not."""
        node = entry.value
        if name in _TEXT or name == "token":
            text = self._r.text(node)
            return _BAD if text is None else text
        if name in _WHOLE:
            return self._whole(node)
        if name in SECONDS_FIELDS:
            return self._seconds(node)
        if name == "verify_tls":
            flag = self._r.flag(entry)
            return _BAD if flag is None else flag
        if name == "headers":
            return self._headers(node)
        return self._statuses(node)

    def _whole(self, node: Node) -> object:
        if is_boolean(node.value) or not isinstance(node.value, int):
            self._r.report(node, f"must be a whole number, not {kind_of(node)}")
            return _BAD
        return int(node.value)

    def _seconds(self, node: Node) -> object:
        value = node.value
        if is_boolean(value) or not isinstance(value, int | float) or not math.isfinite(value):
            self._r.report(node, f"must be a number of seconds, not {kind_of(node)}")
            return _BAD
        return float(value)

    def _headers(self, node: Node) -> object:
        if not isinstance(node.value, Mapping):
            self._r.report(
                node, f"must be a mapping of header names to values, not {kind_of(node)}"
            )
            return _BAD
        headers: dict[str, str] = {}
        for entry in entries(node):
            if not isinstance(entry.key.value, str):
                self._r.report(entry.key, f"header names must be text, not {kind_of(entry.key)}")
                continue
            value = self._r.text(entry.value)
            if value is not None:
                headers[entry.key.value] = value
        return headers

    def _statuses(self, node: Node) -> object:
        """`expect_status`: "200-299, 301", a status code, or a list of either."""
        value = node.value
        if isinstance(value, str) or (isinstance(value, int) and not is_boolean(value)):
            return value
        if not isinstance(value, list):
            self._r.report(
                node, f"must be status codes such as '200-299, 301', not {kind_of(node)}"
            )
            return _BAD
        found: list[int | str] = []
        for element in elements(node):
            entry = element.value
            if isinstance(entry, str) or (isinstance(entry, int) and not is_boolean(entry)):
                found.append(entry)
            else:
                self._r.report(element, f"must be a status code or range, not {kind_of(element)}")
        return found

    def _claim_token(self, token: str, at: Node, path: str) -> None:
        first = self._tokens.setdefault(token, path)
        if first != path:
            self._r.report(
                at, f"is already the push token of {first}; each push check needs its own"
            )
