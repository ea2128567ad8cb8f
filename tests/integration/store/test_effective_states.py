"""Effective states: what reconciling reads, what applying its result stores, and how the
dashboards and the history show it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from integration.store.backends import Backend, EngineFor
from integration.store.catalogs import (
    BASE,
    DISRUPTED,
    LATER,
    NOW,
    OPERATIONAL,
    UNKNOWN,
    audit,
    catalog,
    group,
    item,
)
from status_dashboard.domain import ids
from status_dashboard.domain.effective import Source
from status_dashboard.domain.history import HistoryEvent, ItemState, StateChange, reconcile
from status_dashboard.domain.model import Item
from status_dashboard.domain.operations import (
    Impact,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.store.memory import (
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryOperationsStore,
)
from status_dashboard.store.sql import SqlDashboardStore, SqlOperationsStore

IDP, STS, BOX = (ids.item_id("prod", key) for key in ("idp", "sts", "ehbox-consult"))


@pytest.fixture(autouse=True)
def loaded(request: pytest.FixtureRequest) -> None:
    """Every test on a `backend` starts from `BASE`."""
    if "backend" in request.fixturenames:
        backend: Backend = request.getfixturevalue("backend")
        backend.store.apply_catalog(BASE, NOW)


def shown(backend: Backend, item_id: str) -> Item:
    return next(
        i
        for env in backend.store.environments()
        for g in env.groups
        for i in g.items
        if i.id == item_id
    )


def set_override(backend: Backend, item_id: str = IDP, **fields: object) -> Override:
    values: dict[str, object] = {
        "item_id": item_id,
        "status_code": DISRUPTED,
        "description": "Degraded",
        "set_by": "user:alice",
        "set_at": NOW,
    }
    override = Override(**{**values, **fields})  # type: ignore[arg-type]
    backend.operations.set_override(override, audit("override.set", f"item:{item_id}"))
    return override


def reconcile_now(backend: Backend, now: object = NOW) -> list[StateChange]:
    changes = reconcile(backend.operations.reconcile_inputs(now), now)  # type: ignore[arg-type]
    backend.operations.apply_states(changes)
    return changes


def first_update(state: IncidentState = IncidentState.INVESTIGATING) -> IncidentUpdate:
    return IncidentUpdate(0, state, "Looking", NOW, "user:alice")


def schedule(backend: Backend, **fields: object) -> MaintenanceWindow:
    values: dict[str, object] = {
        "id": 0,
        "environment_key": "prod",
        "title": "Upgrade",
        "starts_at": NOW - timedelta(hours=1),
        "ends_at": NOW + timedelta(hours=1),
        "item_ids": frozenset({BOX}),
        "impact": Impact.MINOR,
        "created_by": "user:alice",
    }
    window = MaintenanceWindow(**{**values, **fields})  # type: ignore[arg-type]
    return backend.operations.schedule_maintenance(window, audit("maintenance.schedule", "m"))


def test_reconcile_inputs_hold_everything_the_rule_needs(backend: Backend) -> None:
    override = set_override(backend)
    incident = backend.operations.open_incident(
        "prod",
        "Tokens slow",
        Impact.MAJOR,
        frozenset({STS}),
        first_update(),
        "user:a",
        audit("i", "i"),
    )
    backend.operations.open_incident(
        "prod",
        "Over",
        Impact.MINOR,
        frozenset({STS}),
        first_update(IncidentState.RESOLVED),
        "user:a",
        audit("i", "i"),
    )
    running = schedule(backend)
    schedule(backend, starts_at=NOW - timedelta(hours=2), ends_at=NOW)  # over at NOW
    cancelled = schedule(backend)
    backend.operations.cancel_maintenance(cancelled.id, NOW, audit("m", "m"))
    upcoming = schedule(backend, starts_at=LATER, ends_at=LATER + timedelta(hours=1))

    inputs = backend.operations.reconcile_inputs(NOW)

    assert [
        (env, i.id, i.status_code, i.description, i.last_updated) for env, i in inputs.items
    ] == [
        ("prod", IDP, OPERATIONAL, None, NOW),
        ("prod", STS, DISRUPTED, "Slow token issuance", NOW),
        ("prod", BOX, UNKNOWN, None, NOW),
    ]
    assert inputs.states == {}
    assert inputs.overrides == {IDP: override}
    assert list(inputs.incidents) == [incident]
    assert list(inputs.maintenance) == [running, upcoming]
    assert (inputs.checks, inputs.monitor_running) == ({}, True)


def test_applied_states_are_what_the_dashboards_show_and_move_the_revision(
    backend: Backend,
) -> None:
    set_override(backend, description="Login degraded")
    revision = backend.store.revision()

    changes = reconcile_now(backend, LATER)

    assert backend.store.revision() == revision + 1
    idp = shown(backend, IDP)
    assert (idp.status_code, idp.description, idp.last_updated) == (
        DISRUPTED,
        "Login degraded",
        LATER,
    )
    sts = shown(backend, STS)  # decided as it was: shown as it was
    assert (sts.status_code, sts.description, sts.last_updated) == (
        DISRUPTED,
        "Slow token issuance",
        NOW,
    )
    states = backend.operations.reconcile_inputs(LATER).states
    assert states[IDP] == ItemState(
        IDP, DISRUPTED, "Login degraded", LATER, Source.OVERRIDE, "set by user:alice"
    )
    assert set(states) == {IDP, STS, BOX}
    assert [c.state.item_id for c in changes if c.event is not None] == [IDP]


def test_the_catalog_keeps_writing_the_manual_status_under_the_shown_one(
    backend: Backend,
) -> None:
    set_override(backend)
    reconcile_now(backend)

    backend.store.apply_catalog(
        catalog(
            group("iam", item("idp", status=UNKNOWN, description="Manual")),
            *BASE.environments[0].groups[1:],
        ),
        LATER,
    )

    assert shown(backend, IDP).status_code is DISRUPTED
    manual = {i.id: i for _, i in backend.operations.reconcile_inputs(LATER).items}[IDP]
    assert (manual.status_code, manual.description) == (UNKNOWN, "Manual")


def test_clearing_the_override_brings_the_manual_status_back(backend: Backend) -> None:
    set_override(backend)
    reconcile_now(backend)
    backend.operations.clear_override(IDP, audit("override.clear", f"item:{IDP}"))

    reconcile_now(backend, LATER)

    idp = shown(backend, IDP)
    assert (idp.status_code, idp.description, idp.last_updated) == (OPERATIONAL, None, LATER)
    reasons = [e.reason for e in backend.operations.history(IDP, cursor=None, limit=10).entries]
    assert reasons == [
        "manual: manual status",
        "override: set by user:alice",
        "catalog: item created",
    ]


def test_applying_no_changes_writes_nothing(backend: Backend) -> None:
    revision = backend.store.revision()

    backend.operations.apply_states([])

    assert backend.store.revision() == revision
    assert reconcile_now(backend) != []  # the first decision stores every item's state
    revision = backend.store.revision()
    assert reconcile_now(backend) == []
    assert backend.store.revision() == revision


def test_a_state_for_an_item_that_is_gone_is_dropped(backend: Backend) -> None:
    gone = ItemState("0" * 32, DISRUPTED, None, NOW, Source.OVERRIDE, "set by user:alice")
    event = HistoryEvent("0" * 32, "prod", NOW, None, DISRUPTED, None, "override")
    revision = backend.store.revision()

    backend.operations.apply_states([StateChange(gone, event)])

    assert backend.store.revision() == revision
    assert backend.operations.reconcile_inputs(NOW).states == {}


def test_history_events_carry_their_actor_and_come_newest_first_in_pages(
    backend: Backend,
) -> None:
    flips = [(OPERATIONAL, DISRUPTED), (DISRUPTED, OPERATIONAL), (OPERATIONAL, DISRUPTED)]
    events = [
        HistoryEvent(IDP, "prod", NOW + timedelta(minutes=n), before, after, None, f"e{n}", actor)
        for n, ((before, after), actor) in enumerate(
            zip(flips, ["user:alice", None, "token:ci"], strict=True)
        )
    ]
    for event in events:
        state = ItemState(IDP, event.to_code, None, event.at, Source.OVERRIDE, "x")
        backend.operations.apply_states([StateChange(state, event)])

    first = backend.operations.history(IDP, cursor=None, limit=2)
    second = backend.operations.history(IDP, cursor=first.next_cursor, limit=2)

    assert [(e.reason, e.actor) for e in first.entries] == [("e2", "token:ci"), ("e1", None)]
    assert first.next_cursor == first.entries[-1].id
    assert [(e.reason, e.actor) for e in second.entries] == [
        ("e0", "user:alice"),
        ("catalog: item created", "catalog"),
    ]
    assert second.next_cursor is None
    assert [replace(e, id=None) for e in first.entries] == events[:0:-1]
    assert backend.operations.history("0" * 32, cursor=None, limit=5).entries == ()


def test_a_change_that_another_process_already_made_is_not_written_twice(
    backend: Backend,
) -> None:
    event = HistoryEvent(IDP, "prod", NOW, OPERATIONAL, DISRUPTED, None, "check failing")
    state = ItemState(IDP, DISRUPTED, None, NOW, Source.CHECKS, "HTTP 503")
    backend.operations.apply_states([StateChange(state, event)])
    revision = backend.store.revision()

    backend.operations.apply_states([StateChange(state, event)])
    reworded = ItemState(IDP, DISRUPTED, None, NOW, Source.OVERRIDE, "set by hand")
    backend.operations.apply_states([StateChange(reworded, event)])

    reasons = [e.reason for e in backend.operations.history(IDP, cursor=None, limit=10).entries]
    assert reasons.count("check failing") == 1
    assert backend.store.revision() == revision + 1
    assert backend.operations.reconcile_inputs(NOW).states[IDP].reason == "set by hand"


def test_a_state_follows_its_item_through_a_new_pinned_id_and_leaves_with_it(
    backend: Backend,
) -> None:
    set_override(backend)
    reconcile_now(backend)
    new_id = "0123456789abcdef0123456789abcdef"

    backend.store.apply_catalog(
        catalog(group("iam", item("idp", status=OPERATIONAL, id=new_id))), LATER, prune=True
    )

    assert shown(backend, new_id).status_code is DISRUPTED
    inputs = backend.operations.reconcile_inputs(LATER)
    assert set(inputs.states) == {new_id}
    assert set(inputs.overrides) == {new_id}
    assert inputs.overrides[new_id].item_id == new_id
    assert len(backend.operations.history(new_id, cursor=None, limit=10).entries) == 2


def test_memory_and_sql_show_the_same_after_the_same_operations(
    database_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(database_url)
    sql = (SqlDashboardStore(engine), SqlOperationsStore(engine, clock=lambda: NOW))
    database = MemoryDatabase()
    memory = (
        MemoryDashboardStore(database=database),
        MemoryOperationsStore(database, clock=lambda: NOW),
    )
    for store, operations in (sql, memory):
        store.apply_catalog(BASE, NOW)
        operations.set_override(
            Override(IDP, DISRUPTED, "Degraded", "user:alice", NOW), audit("override.set", "i")
        )
        operations.open_incident(
            "prod",
            "Slow",
            Impact.MAJOR,
            frozenset({BOX}),
            first_update(),
            "user:a",
            audit("i", "i"),
        )
        changes = reconcile(operations.reconcile_inputs(LATER), LATER)
        operations.apply_states(changes)

    assert (sql[0].revision(), sql[0].environments()) == (
        memory[0].revision(),
        memory[0].environments(),
    )
    assert sql[1].reconcile_inputs(LATER) == memory[1].reconcile_inputs(LATER)
    assert sql[1].history(BOX, cursor=None, limit=5) == memory[1].history(BOX, cursor=None, limit=5)
