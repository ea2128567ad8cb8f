"""In-memory adapters of the domain ports, behaving exactly as the SQL ones (one contract suite).

For unit tests, demos and the simulator: nothing survives the process. A lock makes every
operation atomic, as a transaction does for the SQL stores.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from status_dashboard.domain.catalog import CatalogMerge, CatalogSpec, StatusChange, merge_catalog
from status_dashboard.domain.model import DEFAULT_ENVIRONMENTS, Environment, Group
from status_dashboard.domain.ports import ClientRecord, ClientSighting
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.plan import ItemRow, RowChanges, plan_write
from status_dashboard.store.sightings import add, combine
from status_dashboard.store.uniqueness import ensure_unique


class MemoryDashboardStore:
    """`DashboardStore` held in the process; starts at revision 0 with `environments`."""

    def __init__(self, environments: Sequence[Environment] = DEFAULT_ENVIRONMENTS) -> None:
        ensure_unique(environments)
        self._lock = threading.Lock()
        self._environments = _frozen(environments)
        self._revision = 0
        self._history: list[StatusChange] = []

    def revision(self) -> int:
        with self._lock:
            return self._revision

    def environments(self) -> Sequence[Environment]:
        with self._lock:
            return self._environments

    def apply_catalog(
        self, spec: CatalogSpec, now: datetime, *, prune: bool = False
    ) -> CatalogMerge:
        now = as_utc(now)
        with self._lock:
            merge = merge_catalog(self._environments, spec, now, prune=prune)
            if not merge.changed:
                return merge
            ensure_unique(merge.environments)
            self._carry_history(plan_write(self._environments, merge.environments).items)
            self._history.extend(merge.status_changes)
            self._environments = _frozen(merge.environments)
            self._revision += 1
        return merge

    def _carry_history(self, items: RowChanges[ItemRow]) -> None:
        """Follow the SQL schema's cascades: history follows a renamed id, and leaves with its item."""
        renamed = items.renamed_ids
        gone = set(items.deletes)
        self._history = [
            replace(event, item_id=renamed.get(event.item_id, event.item_id))
            for event in self._history
            if event.item_id not in gone
        ]

    def status_history(self, item_id: str) -> tuple[StatusChange, ...]:
        """Every recorded change of the item's status, oldest first."""
        with self._lock:
            events = [event for event in self._history if event.item_id == item_id]
        return tuple(sorted(events, key=lambda event: event.at))

    def ping(self) -> None:
        """Always reachable."""


class MemoryClientRegister:
    """`ClientRegister` held in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], ClientRecord] = {}

    def record(self, sightings: Sequence[ClientSighting]) -> None:
        batch = combine(sightings)
        with self._lock:
            for sighting in batch:
                key = (sighting.environment_key, sighting.user_agent)
                self._records[key] = add(self._records.get(key), sighting)

    def clients(self, environment_key: str) -> Sequence[ClientRecord]:
        with self._lock:
            records = [r for r in self._records.values() if r.environment_key == environment_key]
        records.sort(key=lambda r: r.user_agent)
        records.sort(key=lambda r: r.last_seen, reverse=True)
        return tuple(records)


def _frozen(envs: Sequence[Environment]) -> tuple[Environment, ...]:
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
