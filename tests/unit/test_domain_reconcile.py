"""Reconciling: what the public sees moves only when the effective status or description does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from status_dashboard.domain.effective import Source
from status_dashboard.domain.history import ItemState, ReconcileInputs, reconcile
from status_dashboard.domain.model import Item
from status_dashboard.domain.operations import Override
from status_dashboard.domain.status import StatusCode

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=4)
OP, DIS = StatusCode.OPERATIONAL, StatusCode.DISRUPTED
ITEM = Item(id="a" * 32, key="sts", name="STS", order=1, status_code=OP, last_updated=T0)


def _inputs(
    item: Item = ITEM, state: ItemState | None = None, override: Override | None = None
) -> ReconcileInputs:
    return ReconcileInputs(
        items=[("prod", item)],
        states={item.id: state} if state else {},
        overrides={item.id: override} if override else {},
        incidents=(),
        maintenance=(),
        checks={},
    )


def test_a_first_decision_equal_to_the_manual_status_keeps_its_moment_and_records_nothing() -> None:
    (change,) = reconcile(_inputs(), NOW)
    assert (change.state.status_code, change.state.last_updated, change.event) == (OP, T0, None)


def test_an_unchanged_state_is_no_change() -> None:
    state = ItemState(ITEM.id, OP, None, T0, Source.MANUAL, "manual status")
    assert reconcile(_inputs(state=state), NOW) == []


def test_an_override_moves_last_updated_to_now_and_records_who() -> None:
    state = ItemState(ITEM.id, OP, None, T0, Source.MANUAL, "manual status")
    override = Override(ITEM.id, DIS, "Tokens refused", "user:ann", NOW)
    (change,) = reconcile(_inputs(state=state, override=override), NOW)
    assert (change.state.status_code, change.state.description, change.state.last_updated) == (
        DIS,
        "Tokens refused",
        NOW,
    )
    assert change.event is not None
    assert (change.event.from_code, change.event.to_code) == (OP, DIS)
    assert "user:ann" in change.event.reason


def test_clearing_an_override_goes_back_to_the_manual_status_with_an_event() -> None:
    state = ItemState(
        ITEM.id, DIS, "Tokens refused", T0 + timedelta(hours=1), Source.OVERRIDE, "set by user:ann"
    )
    (change,) = reconcile(_inputs(state=state), NOW)
    assert (change.state.status_code, change.state.source, change.state.last_updated) == (
        OP,
        Source.MANUAL,
        NOW,
    )
    assert change.event is not None
    assert change.event.to_code == OP


def test_a_manual_change_keeps_its_own_moment_and_is_not_recorded_twice() -> None:
    state = ItemState(ITEM.id, OP, None, T0, Source.MANUAL, "manual status")
    changed = Item(
        id=ITEM.id,
        key="sts",
        name="STS",
        order=1,
        status_code=DIS,
        last_updated=T0 + timedelta(hours=3),
        description="Down",
    )
    (change,) = reconcile(_inputs(item=changed, state=state), NOW)
    assert (change.state.status_code, change.state.last_updated, change.event) == (
        DIS,
        T0 + timedelta(hours=3),
        None,
    )


def test_a_new_reason_for_the_same_status_changes_no_moment_and_records_nothing() -> None:
    state = ItemState(ITEM.id, DIS, "Tokens refused", T0, Source.OVERRIDE, "set by user:ann")
    override = Override(ITEM.id, DIS, "Tokens refused", "user:bo", NOW)
    (change,) = reconcile(_inputs(state=state, override=override), NOW)
    assert (change.state.last_updated, change.state.reason, change.event) == (
        T0,
        "set by user:bo",
        None,
    )
