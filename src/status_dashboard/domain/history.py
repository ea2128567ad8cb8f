"""Every change of an item's effective status, and how the next states are worked out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from status_dashboard.domain.effective import (
    CheckVerdict,
    EffectiveStatus,
    Source,
    StatusInputs,
    effective_status,
)
from status_dashboard.domain.model import Item
from status_dashboard.domain.operations import Incident, MaintenanceWindow, Override
from status_dashboard.domain.status import StatusCode


@dataclass(frozen=True, slots=True)
class ItemState:
    """What the public sees of an item, as last decided."""

    item_id: str
    status_code: StatusCode
    description: str | None
    last_updated: datetime
    source: Source
    reason: str


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One change of effective status: when, from, to, why and who (or which rule)."""

    item_id: str
    environment_key: str
    at: datetime
    from_code: StatusCode | None
    to_code: StatusCode
    description: str | None
    reason: str
    actor: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ReconcileInputs:
    """Everything the effective status of every item depends on, read in one go."""

    items: Sequence[tuple[str, Item]]  # (environment key, item with its manual status)
    states: Mapping[str, ItemState]
    overrides: Mapping[str, Override]
    incidents: Sequence[Incident]  # the open ones
    maintenance: Sequence[MaintenanceWindow]  # not cancelled, not yet over
    checks: Mapping[str, CheckVerdict]
    monitor_running: bool = True


@dataclass(frozen=True, slots=True)
class StateChange:
    state: ItemState
    event: HistoryEvent | None


def still_needed(change: StateChange, stored: ItemState | None) -> StateChange | None:
    """What is left of `change` against the state stored now, read under the write lock.

    Every server process and every worker reconciles, each from its own earlier read; the
    second to write a change the first already made must not write it again, or the item's
    history would show the same change twice. None when nothing is left to write; the change
    without its event when only the why (source, reason) moved.
    """
    if stored is None:
        return change
    shown = (stored.status_code, stored.description)
    if shown != (change.state.status_code, change.state.description):
        return change
    if (stored.source, stored.reason) == (change.state.source, change.state.reason):
        return None
    return StateChange(change.state, None)


def reconcile(inputs: ReconcileInputs, now: datetime) -> list[StateChange]:
    """The items whose effective status (or description) is not what the public sees.

    `last_updated` moves only when the status or the description does; when the manual
    status decided and changed later than the shown state, its own moment is kept. A change
    that the manual status made is already in the history (recorded where it was made).
    """
    incidents_by_item: dict[str, list[Incident]] = {}
    for incident in inputs.incidents:
        for item_id in incident.item_ids:
            incidents_by_item.setdefault(item_id, []).append(incident)
    windows_by_item: dict[str, list[MaintenanceWindow]] = {}
    for window in inputs.maintenance:
        for item_id in window.item_ids:
            windows_by_item.setdefault(item_id, []).append(window)
    changes: list[StateChange] = []
    for environment_key, item in inputs.items:
        decided = effective_status(
            StatusInputs(
                manual_status=item.status_code,
                manual_description=item.description,
                override=inputs.overrides.get(item.id),
                incidents=incidents_by_item.get(item.id, ()),
                maintenance=windows_by_item.get(item.id, ()),
                checks=inputs.checks.get(item.id),
                monitor_running=inputs.monitor_running,
            ),
            now,
        )
        change = _change(environment_key, item, inputs.states.get(item.id), decided, now)
        if change is not None:
            changes.append(change)
    return changes


def _change(
    environment_key: str,
    item: Item,
    shown: ItemState | None,
    decided: EffectiveStatus,
    now: datetime,
) -> StateChange | None:
    manual = decided.source is Source.MANUAL
    if shown is None:
        # First decision for this item: until now the public saw its manual status.
        shown = ItemState(
            item.id, item.status_code, item.description, item.last_updated, Source.MANUAL, ""
        )
        if (decided.status_code, decided.description) == (shown.status_code, shown.description):
            return StateChange(_state(item.id, decided, shown.last_updated), None)
    visible_change = (decided.status_code, decided.description) != (
        shown.status_code,
        shown.description,
    )
    if not visible_change:
        if (decided.source, decided.reason) == (shown.source, shown.reason):
            return None
        return StateChange(_state(item.id, decided, shown.last_updated), None)
    moment = item.last_updated if manual and item.last_updated > shown.last_updated else now
    event = None
    if not (manual and shown.source is Source.MANUAL) and decided.status_code != shown.status_code:
        event = HistoryEvent(
            item_id=item.id,
            environment_key=environment_key,
            at=moment,
            from_code=shown.status_code,
            to_code=decided.status_code,
            description=decided.description,
            reason=f"{decided.source.value}: {decided.reason}",
        )
    return StateChange(_state(item.id, decided, moment), event)


def _state(item_id: str, decided: EffectiveStatus, last_updated: datetime) -> ItemState:
    return ItemState(
        item_id,
        decided.status_code,
        decided.description,
        last_updated,
        decided.source,
        decided.reason,
    )
