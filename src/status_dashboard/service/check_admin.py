"""What admins do to an item's checks over the API: read them with their state, replace them.

A replacement is judged as the catalog file's checks are (`check_fields.build_check`), each
problem naming its field (`checks[0].timeout`), and written in one transaction with its audit
entry (`MonitorStore.set_checks`: a kept key keeps its state). Checks decide an item's status
(docs/design.md §4), so a reconcile follows and the public dashboard shows the outcome when the
request returns. Replacing checks with the same ones writes nothing.

Secrets (header values, push tokens) are never shown, nor kept in the audit log: they read as
`***` (`check_fields.MASK`). Sent back as `***`, a secret keeps the value the check of that key
has, so a check read, edited and put back does not lose its credentials; a header is kept only
while the URL's scheme, host and port stay the same, or `***` would send a credential to a
server chosen by whoever edits the check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from status_dashboard.domain import ids
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.catalog import CheckSpec
from status_dashboard.domain.checks import CheckDefinition, HttpCheck, InvalidCheck, PushCheck
from status_dashboard.domain.errors import NotFoundError
from status_dashboard.domain.ports import DashboardStore, MonitorStore, StoredCheck
from status_dashboard.service.accounts import InvalidInput, require
from status_dashboard.service.check_fields import (
    MASK,
    REQUIRED,
    TYPE_FIELDS,
    allowed_fields,
    build_check,
    describe,
)
from status_dashboard.service.reconciler import Reconciler


@dataclass(frozen=True, slots=True)
class CheckInput:
    """One check of a replacement: `values` keyed by the fields of `check_fields` (neither
    `key` nor `type`), of the right types; what they mean is judged here."""

    key: str
    type: str
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ItemChecks:
    """An item's checks with what each has established, by key, and for each failing one the
    detail of its last result: what the target answered, which the public never sees (its
    reason does not quote the target), and admins need to mend it."""

    environment_key: str
    item_id: str
    checks: tuple[StoredCheck, ...]
    details: Mapping[str, str | None] = field(default_factory=dict)


class CheckAdmin:
    def __init__(
        self,
        monitor: MonitorStore,
        dashboards: DashboardStore,
        reconciler: Reconciler,
        clock: Callable[[], datetime],
        after_write: Callable[[], object] = lambda: None,
    ) -> None:
        self._monitor = monitor
        self._dashboards = dashboards
        self._reconciler = reconciler
        self._clock = clock
        self._after_write = after_write

    def checks(self, principal: Principal, environment_key: str, item_id: str) -> ItemChecks:
        require(principal, Role.VIEWER, environment_key)
        self._ensure_item(environment_key, item_id)
        return self._checks(environment_key, item_id)

    def replace_checks(
        self,
        principal: Principal,
        environment_key: str,
        item_id: str,
        given: Sequence[CheckInput],
    ) -> ItemChecks:
        """Make `given` the item's checks. InvalidInput naming the field; NotFoundError;
        ConflictError when a push token is another item's."""
        require(principal, Role.ADMIN, environment_key)
        self._ensure_item(environment_key, item_id)
        before = self._checks(environment_key, item_id)
        specs = _specs(given, {check.key: check.definition for check in before.checks})
        stored = [(c.key, c.definition, c.schedule) for c in before.checks]
        if _by_key(stored) == _by_key(specs):
            return before
        now = self._clock()
        entry = AuditEntry(
            now, principal.label, "catalog.item.checks.set", f"item:{item_id}", environment_key,
            {"checks": [describe(*spec) for spec in stored]},
            {"checks": [describe(*spec) for spec in specs]},
        )  # fmt: skip
        self._monitor.set_checks(item_id, specs, now, entry)
        self._reconciler.run_once()
        self._after_write()
        return self._checks(environment_key, item_id)

    def _ensure_item(self, environment_key: str, item_id: str) -> None:
        for env in self._dashboards.environments():
            if env.key != environment_key:
                continue
            if any(item.id == item_id for group in env.groups for item in group.items):
                return
            break
        raise NotFoundError(f"No item '{item_id[:40]}' in environment '{environment_key[:40]}'")

    def _checks(self, environment_key: str, item_id: str) -> ItemChecks:
        found = [c for c in self._monitor.checks(environment_key) if c.item_id == item_id]
        details = {c.key: self._last_detail(c) for c in found if c.state.failing}
        return ItemChecks(
            environment_key, item_id, tuple(sorted(found, key=lambda c: c.key)), details
        )

    def _last_detail(self, check: StoredCheck) -> str | None:
        latest = self._monitor.results(check.id, limit=1)
        return latest[0].detail if latest and not latest[0].ok else None


def _specs(given: Sequence[CheckInput], stored: Mapping[str, CheckDefinition]) -> list[CheckSpec]:
    specs: list[CheckSpec] = []
    keys: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for index, check in enumerate(given):
        where = f"checks[{index}]"
        first = keys.setdefault(check.key, where)
        if first != where:
            raise InvalidInput(f"{where}.key", f"'{check.key}' is already the key of {first}")
        spec = _built(where, check, stored.get(check.key))
        definition = spec[1]
        if isinstance(definition, PushCheck):
            owner = tokens.setdefault(definition.token, where)
            if owner != where:
                raise InvalidInput(f"{where}.token", f"is already the push token of {owner}")
        specs.append(spec)
    return specs


def _built(where: str, check: CheckInput, stored: CheckDefinition | None) -> CheckSpec:
    if not ids.KEY_PATTERN.fullmatch(check.key):
        raise InvalidInput(f"{where}.key", "must be 1 to 64 of a-z, 0-9, '_', '.', '-'")
    if check.type not in TYPE_FIELDS:
        raise InvalidInput(f"{where}.type", f"must be one of {', '.join(TYPE_FIELDS)}")
    allowed = allowed_fields(check.type)
    for name in check.values:
        if name not in allowed:
            raise InvalidInput(f"{where}.{name}", f"is not a field of a {check.type} check")
    for name in REQUIRED[check.type]:
        if name not in check.values:
            raise InvalidInput(f"{where}.{name}", f"is required for a {check.type} check")
    values = _unmasked(where, check, stored)
    try:
        definition, schedule = build_check(check.type, values)
    except InvalidCheck as exc:
        raise InvalidInput(f"{where}.{exc.field}", exc.problem) from None
    return check.key, definition, schedule


def _unmasked(where: str, check: CheckInput, stored: CheckDefinition | None) -> dict[str, Any]:
    """The values with each `***` replaced by the secret the stored check of this key has."""
    values = dict(check.values)
    if values.get("token") == MASK:
        if not isinstance(stored, PushCheck):
            raise InvalidInput(
                f"{where}.token", f"'{MASK}' keeps a stored token, and '{check.key}' has none"
            )
        values["token"] = stored.token
    headers = values.get("headers")
    if isinstance(headers, Mapping) and MASK in headers.values():
        kept = stored.headers if isinstance(stored, HttpCheck) else {}
        moved = isinstance(stored, HttpCheck) and not _same_origin(stored.url, values.get("url"))
        unmasked = {}
        for name, value in headers.items():
            if value == MASK and name not in kept:
                raise InvalidInput(
                    f"{where}.headers.{name}",
                    f"'{MASK}' keeps a stored value, and '{check.key}' has no header {name}",
                )
            if value == MASK and moved:
                raise InvalidInput(
                    f"{where}.headers.{name}",
                    f"'{MASK}' keeps a stored value only for the same scheme, host and port; "
                    "give the value again to send it to the new URL",
                )
            unmasked[name] = kept[name] if value == MASK else value
        values["headers"] = unmasked
    return values


def _same_origin(stored_url: str, given_url: object) -> bool:
    """Whether `given_url` goes to the server `stored_url` goes to: scheme, host, port."""
    return isinstance(given_url, str) and _origin(given_url) == _origin(stored_url)


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number: not the same server as anything
        return None
    return parts.scheme.lower(), (parts.hostname or "").rstrip("."), port


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _by_key(specs: Sequence[CheckSpec]) -> dict[str, tuple[object, object]]:
    return {key: (definition, schedule) for key, definition, schedule in specs}
