"""The state every in-memory store shares: one `MemoryDatabase` per simulated database.

The dashboard store, the account store, the operations store, the monitor store and the audit
log of one database are views of one `MemoryDatabase`, as the SQL adapters are views of one
schema: they share the items, the checks, the revision and the audit log, and one lock, which
makes every operation atomic as a transaction does. The rules the SQL schema enforces by itself
(cascades, serial ids, JSON round trips) are followed here by hand.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from status_dashboard.domain.accounts import ApiToken, User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.catalog import StatusChange
from status_dashboard.domain.checks import CheckResult
from status_dashboard.domain.history import HistoryEvent, ItemState
from status_dashboard.domain.idempotency import IdempotencyKeyReused, ScopedKey
from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS, Environment, Group, Item
from status_dashboard.domain.monitoring import CheckState
from status_dashboard.domain.operations import Incident, MaintenanceWindow, Override
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.domain.uptime import CheckPeriod, StatusSeconds
from status_dashboard.store.plan import ItemRow, RowChanges
from status_dashboard.store.records import (
    CATALOG_ACTOR,
    check_items,
    decode_json,
    encode_json,
    unknown_environment,
)
from status_dashboard.store.rollup import Marker
from status_dashboard.store.uniqueness import ensure_unique


@dataclass(frozen=True, slots=True)
class CheckRow:
    """A check as stored: definition and schedule as JSON text, decoded afresh on each read."""

    id: int
    item_id: str
    key: str
    definition: str
    schedule: str
    push_token: str | None
    state: CheckState
    next_due: datetime
    leased_by: str | None = None
    lease_expires_at: datetime | None = None
    last_push_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ResultRow:
    id: int
    check_id: int
    result: CheckResult


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An audit entry as stored: `before`/`after` as JSON text, decoded afresh on each read."""

    entry: AuditEntry
    before: str | None
    after: str | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRow:
        """Raises TypeError, before anything is written, for what JSON cannot hold."""
        before, after = encode_json(entry.before), encode_json(entry.after)
        return cls(replace(entry, at=as_utc(entry.at), before=None, after=None), before, after)

    def read(self) -> AuditEntry:
        return replace(self.entry, before=decode_json(self.before), after=decode_json(self.after))


class MemoryDatabase:
    """Everything one in-memory database holds; starts at revision 0 with `environments`.

    Only the store views touch the attributes, and only while holding `lock`.
    """

    def __init__(self, environments: Sequence[Environment] = DEFAULT_ENVIRONMENTS) -> None:
        ensure_unique(environments)
        # Re-entrant, so that one store's operation can run another's within one atomic step,
        # as one SQL transaction spans several statements (a catalog load sets checks).
        self.lock = threading.RLock()
        self.environments = frozen(environments)  # with the manual status of every item
        self.revision = 0
        self.history: list[HistoryEvent] = []
        self.states: dict[str, ItemState] = {}
        self.overrides: dict[str, Override] = {}
        self.incidents: dict[int, Incident] = {}
        self.windows: dict[int, MaintenanceWindow] = {}
        self.users: dict[int, User] = {}
        self.tokens: dict[int, ApiToken] = {}
        self.audit: list[AuditRow] = []
        self.checks: dict[int, CheckRow] = {}
        self.check_results: list[ResultRow] = []
        self.heartbeats: dict[str, datetime] = {}
        # History aggregates (memory_uptime), keyed by (item or check, start of the period).
        self.item_hours: dict[tuple[str, datetime], StatusSeconds] = {}
        self.item_days: dict[tuple[str, datetime], StatusSeconds] = {}
        self.check_hours: dict[tuple[int, datetime], CheckPeriod] = {}
        self.check_days: dict[tuple[int, datetime], CheckPeriod] = {}
        self.rollup_marker: Marker | None = None
        # Idempotency keys by (principal, environment, key): (fingerprint, resource id, first use).
        self.idempotency: dict[tuple[str, str, str], tuple[str, int, datetime]] = {}
        self._ids = {
            name: itertools.count(1)
            for name in (
                "event",
                "incident",
                "update",
                "window",
                "user",
                "token",
                "audit",
                "check",
                "result",
            )
        }

    def next_id(self, table: str) -> int:
        return next(self._ids[table])

    def append_audit(self, row: AuditRow) -> None:
        self.audit.append(
            AuditRow(replace(row.entry, id=self.next_id("audit")), row.before, row.after)
        )

    def add_history(self, events: Sequence[HistoryEvent]) -> None:
        for event in events:
            self.history.append(replace(event, at=as_utc(event.at), id=self.next_id("event")))

    def add_catalog_history(self, changes: Sequence[StatusChange]) -> None:
        self.add_history(
            [
                HistoryEvent(
                    item_id=c.item_id,
                    environment_key=c.environment_key,
                    at=c.at,
                    from_code=c.from_code,
                    to_code=c.to_code,
                    description=c.description,
                    reason=c.reason,
                    actor=CATALOG_ACTOR,
                )
                for c in changes
            ]
        )

    def drop_checks(self, check_ids: set[int]) -> None:
        """Delete checks with their results, as the SQL cascade does."""
        if not check_ids:
            return
        self.checks = {k: v for k, v in self.checks.items() if k not in check_ids}
        self.check_results = [r for r in self.check_results if r.check_id not in check_ids]

    def drop_environment(self, environment_key: str) -> None:
        """Follow the SQL cascades of deleting an environment."""
        gone = {item.id for key, item in self.items() if key == environment_key}
        self.drop_checks({k for k, v in self.checks.items() if v.item_id in gone})
        self.environments = tuple(e for e in self.environments if e.key != environment_key)
        self.history = [event for event in self.history if event.item_id not in gone]
        self.states = {k: v for k, v in self.states.items() if k not in gone}
        self.overrides = {k: v for k, v in self.overrides.items() if k not in gone}
        self.incidents = {
            k: v for k, v in self.incidents.items() if v.environment_key != environment_key
        }
        self.windows = {
            k: v for k, v in self.windows.items() if v.environment_key != environment_key
        }
        self.idempotency = {k: v for k, v in self.idempotency.items() if k[1] != environment_key}

    def items(self) -> Iterator[tuple[str, Item]]:
        """Every item with its manual status, paired with its environment's key."""
        for env in self.environments:
            for group in env.groups:
                for item in group.items:
                    yield env.key, item

    def replay_id(self, key: ScopedKey | None) -> int | None:
        """As the SQL store's `_replay_id`."""
        if key is None:
            return None
        kept = self.idempotency.get((key.principal, key.environment_key, key.key.value))
        if kept is None or kept[2] < as_utc(key.kept_since):
            return None
        if kept[0] != key.key.fingerprint:
            raise IdempotencyKeyReused(key.key.value)
        return kept[1]

    def keep(self, key: ScopedKey | None, resource_id: int) -> None:
        """As the SQL store's `_keep`."""
        if key is None:
            return
        since = as_utc(key.kept_since)
        self.idempotency = {k: v for k, v in self.idempotency.items() if v[2] >= since}
        scope = (key.principal, key.environment_key, key.key.value)
        self.idempotency[scope] = (key.key.fingerprint, resource_id, as_utc(key.at))

    def item_environments(self) -> dict[str, str]:
        return {item.id: env_key for env_key, item in self.items()}

    def check_items(self, environment_key: str, item_ids: frozenset[str]) -> None:
        if all(env.key != environment_key for env in self.environments):
            raise unknown_environment(environment_key)
        check_items(environment_key, item_ids, self.item_environments())

    def follow_items(self, items: RowChanges[ItemRow]) -> None:
        """Follow the SQL schema's cascades: what hangs off an item follows a renamed id, and
        leaves with its item."""
        renamed = items.renamed_ids
        gone = set(items.deletes)

        def moved(item_id: str) -> str:
            return renamed.get(item_id, item_id)

        self.history = [
            replace(event, item_id=moved(event.item_id))
            for event in self.history
            if event.item_id not in gone
        ]
        self.states = {
            moved(k): replace(v, item_id=moved(k)) for k, v in self.states.items() if k not in gone
        }
        self.overrides = {
            moved(k): replace(v, item_id=moved(k))
            for k, v in self.overrides.items()
            if k not in gone
        }
        self.incidents = {
            k: replace(v, item_ids=frozenset(moved(i) for i in v.item_ids if i not in gone))
            for k, v in self.incidents.items()
        }
        self.windows = {
            k: replace(v, item_ids=frozenset(moved(i) for i in v.item_ids if i not in gone))
            for k, v in self.windows.items()
        }
        self.drop_checks({k for k, v in self.checks.items() if v.item_id in gone})
        self.checks = {k: replace(v, item_id=moved(v.item_id)) for k, v in self.checks.items()}

    def shown(self) -> tuple[Environment, ...]:
        """The tree as the public sees it: each item's effective state where one was decided."""
        if not self.states:
            return self.environments
        return tuple(
            replace(env, groups=tuple(self._shown_group(g) for g in env.groups))
            for env in self.environments
        )

    def _shown_group(self, group: Group) -> Group:
        items = []
        for item in group.items:
            state = self.states.get(item.id)
            if state is not None:
                item = replace(
                    item,
                    status_code=state.status_code,
                    description=state.description,
                    last_updated=state.last_updated,
                )
            items.append(item)
        return replace(group, items=tuple(items))


def frozen(envs: Sequence[Environment]) -> tuple[Environment, ...]:
    """The tree in display order, moments in UTC, translations copied so a caller cannot change them."""
    ordered = sorted((env.sorted() for env in envs), key=lambda env: (env.order, env.key))
    return tuple(
        replace(env, groups=tuple(_frozen_group(g) for g in env.groups)) for env in ordered
    )


def _frozen_group(group: Group) -> Group:
    items = tuple(
        replace(
            item,
            last_updated=as_utc(item.last_updated),
            translations=MappingProxyType(dict(sorted(item.translations.items()))),
        )
        for item in group.items
    )
    return replace(group, items=items)
