"""The OperationsStore contract for what operators declare: overrides, incidents, maintenance.

Every write lands together with its audit entry, or not at all.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from integration.store.backends import Backend
from integration.store.catalogs import (
    BASE,
    DISRUPTED,
    LATER,
    NOW,
    OPERATIONAL,
    Unserializable,
    audit,
    catalog,
    group,
    item,
)
from status_dashboard.domain import ids
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.domain.errors import ConflictError, NotFoundError, VersionMismatch
from status_dashboard.domain.idempotency import (
    KEPT_FOR,
    IdempotencyKey,
    IdempotencyKeyReused,
    ScopedKey,
)
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.versions import item_version

IDP, STS, BOX = (ids.item_id("prod", key) for key in ("idp", "sts", "ehbox-consult"))
ACC_IDP = ids.item_id("acc", "idp")


@pytest.fixture(autouse=True)
def loaded(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    backend.store.apply_catalog(catalog(group("iam", item("idp")), env="acc"), NOW)


def entries(backend: Backend) -> list[AuditEntry]:
    return list(reversed(backend.audit.entries(AuditQuery(), cursor=None, limit=100).entries))


def override(item_id: str = IDP, **fields: object) -> Override:
    values: dict[str, object] = {
        "item_id": item_id,
        "status_code": DISRUPTED,
        "description": "Degraded",
        "set_by": "user:alice",
        "set_at": NOW,
    }
    return Override(**{**values, **fields})  # type: ignore[arg-type]


def update(
    state: IncidentState = IncidentState.INVESTIGATING, message: str = "Looking", at: object = NOW
) -> IncidentUpdate:
    return IncidentUpdate(id=0, state=state, message=message, at=at, author="user:alice")  # type: ignore[arg-type]


def open_incident(
    backend: Backend, item_ids: frozenset[str] = frozenset({IDP}), env: str = "prod"
) -> Incident:
    return backend.operations.open_incident(
        env,
        "Login fails",
        Impact.MAJOR,
        item_ids,
        update(),
        "user:alice",
        audit("incident.open", "incident:new", environment_key=env),
    )


def window(**fields: object) -> MaintenanceWindow:
    values: dict[str, object] = {
        "id": 0,
        "environment_key": "prod",
        "title": "Database upgrade",
        "starts_at": NOW + timedelta(hours=2),
        "ends_at": NOW + timedelta(hours=4),
        "item_ids": frozenset({IDP, STS}),
        "impact": Impact.MINOR,
        "created_by": "user:alice",
        "description": "Short outage",
    }
    return MaintenanceWindow(**{**values, **fields})  # type: ignore[arg-type]


# -- overrides -------------------------------------------------------------------------------


def test_an_override_is_set_replaced_and_cleared_each_time_with_its_audit_entry(
    backend: Backend,
) -> None:
    first = override(expires_at=LATER)
    backend.operations.set_override(
        first, audit("override.set", f"item:{IDP}", after={"status": 2}, environment_key="prod")
    )
    assert backend.operations.override(IDP) == first

    second = override(status_code=OPERATIONAL, description=None, set_at=LATER)
    backend.operations.set_override(
        second, audit("override.set", f"item:{IDP}", before={"status": 2}, after={"status": 1})
    )
    assert backend.operations.override(IDP) == second

    assert backend.operations.clear_override(IDP, audit("override.clear", f"item:{IDP}"))
    assert backend.operations.override(IDP) is None
    assert [(e.action, e.before, e.after) for e in entries(backend)] == [
        ("override.set", None, {"status": 2}),
        ("override.set", {"status": 2}, {"status": 1}),
        ("override.clear", None, None),
    ]
    assert entries(backend)[0].environment_key == "prod"


def test_clearing_an_item_without_an_override_writes_nothing(backend: Backend) -> None:
    assert not backend.operations.clear_override(IDP, audit("override.clear", f"item:{IDP}"))
    assert entries(backend) == []


def test_an_override_of_an_unknown_item_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.operations.set_override(override("f" * 32), audit("override.set", "item:f"))
    assert entries(backend) == []


def test_an_override_whose_audit_entry_cannot_be_stored_is_not_set(backend: Backend) -> None:
    broken = audit("override.set", f"item:{IDP}", after={"by": Unserializable()})

    with pytest.raises(TypeError):
        backend.operations.set_override(override(), broken)

    assert backend.operations.override(IDP) is None
    assert entries(backend) == []


def test_a_clear_whose_audit_entry_cannot_be_stored_keeps_the_override(backend: Backend) -> None:
    backend.operations.set_override(override(), audit("override.set", f"item:{IDP}"))

    with pytest.raises(TypeError):
        backend.operations.clear_override(
            IDP, audit("override.clear", f"item:{IDP}", before={"x": Unserializable()})
        )

    assert backend.operations.override(IDP) == override()
    assert len(entries(backend)) == 1


def _version(backend: Backend, item_id: str = IDP) -> str:
    inputs = backend.operations.reconcile_inputs(NOW)
    manual = next(i for _, i in inputs.items if i.id == item_id)
    return item_version(manual, inputs.states.get(item_id), inputs.overrides.get(item_id))


def test_an_override_expecting_the_version_it_replaces_is_written_once(backend: Backend) -> None:
    read = _version(backend)
    first, second = override(description="first"), override(description="second")
    backend.operations.set_override(first, audit("override.set", "1"), expected=read)
    with pytest.raises(VersionMismatch):
        backend.operations.set_override(second, audit("override.set", "2"), expected=read)
    with pytest.raises(VersionMismatch):
        backend.operations.clear_override(IDP, audit("override.clear", "3"), expected=read)
    assert backend.operations.override(IDP) == first
    assert [e.target for e in entries(backend)] == ["1"]
    assert backend.operations.clear_override(
        IDP, audit("override.clear", "4"), expected=_version(backend)
    )
    assert backend.operations.override(IDP) is None


def test_an_override_of_an_unknown_item_expecting_a_version_is_not_found(
    backend: Backend,
) -> None:
    with pytest.raises(NotFoundError):
        backend.operations.set_override(
            override(item_id="0" * 32), audit("override.set", "x"), expected='"x"'
        )


def test_an_override_leaves_with_its_item(backend: Backend) -> None:
    backend.operations.set_override(override(STS), audit("override.set", f"item:{STS}"))

    backend.store.apply_catalog(catalog(group("iam", item("idp"))), LATER, prune=True)

    assert backend.operations.override(STS) is None
    assert len(entries(backend)) == 1  # the record of what was done stays


# -- incidents -------------------------------------------------------------------------------


def test_an_incident_opens_with_its_items_and_first_update(backend: Backend) -> None:
    revision = backend.store.revision()

    incident = open_incident(backend, frozenset({IDP, STS}))

    assert (
        incident.environment_key,
        incident.title,
        incident.impact,
        incident.state,
        incident.item_ids,
        incident.created_at,
        incident.created_by,
        incident.resolved_at,
    ) == (
        "prod",
        "Login fails",
        Impact.MAJOR,
        IncidentState.INVESTIGATING,
        frozenset({IDP, STS}),
        NOW,
        "user:alice",
        None,
    )
    assert [(u.state, u.message, u.at, u.author) for u in incident.updates] == [
        (IncidentState.INVESTIGATING, "Looking", NOW, "user:alice")
    ]
    assert backend.operations.incident(incident.id) == incident
    assert backend.store.revision() == revision + 1
    assert [e.action for e in entries(backend)] == ["incident.open"]


def test_updates_extend_the_timeline_and_resolving_stamps_the_incident(backend: Backend) -> None:
    incident = open_incident(backend)
    later = NOW + timedelta(minutes=5)

    identified = backend.operations.add_incident_update(
        incident.id,
        update(IncidentState.IDENTIFIED, "Certificate expired", later),
        audit("incident.update", f"incident:{incident.id}"),
    )
    assert (identified.state, identified.resolved_at) == (IncidentState.IDENTIFIED, None)

    resolved = backend.operations.add_incident_update(
        incident.id,
        update(IncidentState.RESOLVED, "Renewed", LATER),
        audit("incident.update", f"incident:{incident.id}"),
    )

    assert (resolved.state, resolved.resolved_at, resolved.open) == (
        IncidentState.RESOLVED,
        LATER,
        False,
    )
    assert [u.message for u in resolved.updates] == ["Looking", "Certificate expired", "Renewed"]
    assert len({u.id for u in resolved.updates}) == 3
    assert resolved.latest_message == "Renewed"
    assert backend.operations.incident(incident.id) == resolved
    assert [e.action for e in entries(backend)] == ["incident.open", *["incident.update"] * 2]


def test_a_resolved_incident_takes_no_more_updates(backend: Backend) -> None:
    incident = open_incident(backend)
    resolved = backend.operations.add_incident_update(
        incident.id, update(IncidentState.RESOLVED), audit("incident.update", "incident:1")
    )

    with pytest.raises(ConflictError):
        backend.operations.add_incident_update(
            incident.id, update(IncidentState.MONITORING), audit("incident.update", "incident:1")
        )

    assert backend.operations.incident(incident.id) == resolved
    assert len(entries(backend)) == 2


def test_an_update_of_an_unknown_incident_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.operations.add_incident_update(404, update(), audit("incident.update", "x"))
    assert backend.operations.incident(404) is None


@pytest.mark.parametrize(
    ("case", "env", "item_ids"),
    [
        ("an unknown item", "prod", frozenset({IDP, "0" * 32})),
        ("an item of another environment", "prod", frozenset({IDP, ACC_IDP})),
        ("an unknown environment", "nowhere", frozenset()),
    ],
)
def test_an_incident_naming_what_is_not_there_is_not_found_and_not_opened(
    backend: Backend, case: str, env: str, item_ids: frozenset[str]
) -> None:
    revision = backend.store.revision()

    with pytest.raises(NotFoundError):
        open_incident(backend, item_ids, env=env)

    assert backend.operations.incidents(env, open_only=False, cursor=None, limit=10).entries == ()
    assert (backend.store.revision(), entries(backend)) == (revision, [])


def test_an_incident_whose_audit_entry_cannot_be_stored_is_not_opened(backend: Backend) -> None:
    with pytest.raises(TypeError):
        backend.operations.open_incident(
            "prod",
            "Login fails",
            Impact.MAJOR,
            frozenset({IDP}),
            update(),
            "user:alice",
            audit("incident.open", "incident:new", after={"x": Unserializable()}),
        )

    assert backend.operations.incidents("prod", open_only=False, cursor=None, limit=5).entries == ()


def test_incidents_are_listed_newest_first_in_pages_and_by_state(backend: Backend) -> None:
    opened = [open_incident(backend) for _ in range(5)]
    open_incident(backend, frozenset({ACC_IDP}), env="acc")
    backend.operations.add_incident_update(
        opened[3].id, update(IncidentState.RESOLVED), audit("incident.update", "incident:4")
    )

    first = backend.operations.incidents("prod", open_only=False, cursor=None, limit=2)
    second = backend.operations.incidents(
        "prod", open_only=False, cursor=first.next_cursor, limit=2
    )
    third = backend.operations.incidents(
        "prod", open_only=False, cursor=second.next_cursor, limit=2
    )
    open_ones = backend.operations.incidents("prod", open_only=True, cursor=None, limit=10)

    newest_first = [i.id for i in reversed(opened)]
    assert [i.id for i in first.entries] == newest_first[:2]
    assert first.next_cursor == newest_first[1]
    assert [i.id for i in second.entries] == newest_first[2:4]
    assert ([i.id for i in third.entries], third.next_cursor) == (newest_first[4:], None)
    assert [i.id for i in open_ones.entries] == [i for i in newest_first if i != opened[3].id]
    assert open_ones.next_cursor is None
    assert first.entries[1].state is IncidentState.RESOLVED


def test_an_incident_forgets_an_item_the_catalog_removes(backend: Backend) -> None:
    incident = open_incident(backend, frozenset({IDP, STS}))

    backend.store.apply_catalog(catalog(group("iam", item("idp"))), LATER, prune=True)

    found = backend.operations.incident(incident.id)
    assert found is not None
    assert found.item_ids == frozenset({IDP})


# -- maintenance -----------------------------------------------------------------------------


def test_a_window_is_scheduled_with_an_id_of_the_stores_choosing(backend: Backend) -> None:
    revision = backend.store.revision()

    scheduled = backend.operations.schedule_maintenance(
        window(id=999), audit("maintenance.schedule", "maintenance:new")
    )

    assert scheduled == window(id=scheduled.id)
    assert scheduled.id != 999
    listed = backend.operations.maintenance_windows(
        "prod", include_past=False, cursor=None, limit=10
    )
    assert listed.entries == (scheduled,)
    assert backend.store.revision() == revision + 1
    assert [e.action for e in entries(backend)] == ["maintenance.schedule"]


def test_a_window_is_updated_in_full_and_keeps_its_environment(backend: Backend) -> None:
    scheduled = backend.operations.schedule_maintenance(
        window(), audit("maintenance.schedule", "m")
    )
    changed = window(
        id=scheduled.id,
        environment_key="acc",  # a window does not move; the stored environment stays
        title="Network work",
        description=None,
        starts_at=NOW + timedelta(hours=1),
        ends_at=NOW + timedelta(hours=3),
        item_ids=frozenset({BOX}),
        impact=Impact.NONE,
        created_by="user:bob",
    )

    updated = backend.operations.update_maintenance(changed, audit("maintenance.update", "m"))

    assert updated == window(
        id=scheduled.id,
        title="Network work",
        description=None,
        starts_at=NOW + timedelta(hours=1),
        ends_at=NOW + timedelta(hours=3),
        item_ids=frozenset({BOX}),
        impact=Impact.NONE,
    )
    listed = backend.operations.maintenance_windows("prod", include_past=True, cursor=None, limit=5)
    assert listed.entries == (updated,)


def test_a_window_naming_an_item_of_another_environment_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.operations.schedule_maintenance(
            window(item_ids=frozenset({ACC_IDP})), audit("maintenance.schedule", "m")
        )
    scheduled = backend.operations.schedule_maintenance(
        window(), audit("maintenance.schedule", "m")
    )

    with pytest.raises(NotFoundError):
        backend.operations.update_maintenance(
            window(id=scheduled.id, item_ids=frozenset({"0" * 32})),
            audit("maintenance.update", "m"),
        )

    assert backend.operations.maintenance_windows(
        "prod", include_past=True, cursor=None, limit=5
    ).entries == (scheduled,)
    assert len(entries(backend)) == 1


def test_a_cancelled_window_is_stamped_and_can_no_longer_be_changed(backend: Backend) -> None:
    scheduled = backend.operations.schedule_maintenance(
        window(), audit("maintenance.schedule", "m")
    )

    cancelled = backend.operations.cancel_maintenance(
        scheduled.id, LATER, audit("maintenance.cancel", "m")
    )

    assert cancelled.cancelled_at == LATER
    with pytest.raises(ConflictError):
        backend.operations.update_maintenance(
            window(id=scheduled.id, title="Again"), audit("maintenance.update", "m")
        )
    with pytest.raises(ConflictError):
        backend.operations.cancel_maintenance(scheduled.id, LATER, audit("maintenance.cancel", "m"))
    assert [e.action for e in entries(backend)] == ["maintenance.schedule", "maintenance.cancel"]


def test_an_unknown_window_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.operations.update_maintenance(window(id=404), audit("maintenance.update", "m"))
    with pytest.raises(NotFoundError):
        backend.operations.cancel_maintenance(404, NOW, audit("maintenance.cancel", "m"))
    assert entries(backend) == []


def test_past_and_cancelled_windows_are_listed_only_when_asked_for(backend: Backend) -> None:
    def schedule(**fields: object) -> MaintenanceWindow:
        return backend.operations.schedule_maintenance(
            window(**fields), audit("maintenance.schedule", "m")
        )

    past = schedule(starts_at=NOW - timedelta(hours=3), ends_at=NOW - timedelta(hours=1))
    running = schedule(starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=1))
    cancelled = schedule()
    cancelled = backend.operations.cancel_maintenance(
        cancelled.id, NOW, audit("maintenance.cancel", "m")
    )
    upcoming = schedule()
    schedule(environment_key="acc", item_ids=frozenset({ACC_IDP}))

    def listed(include_past: bool, limit: int = 10) -> list[MaintenanceWindow]:
        found: list[MaintenanceWindow] = []
        cursor: int | None = None
        while True:
            page = backend.operations.maintenance_windows(
                "prod", include_past=include_past, cursor=cursor, limit=limit
            )
            found.extend(page.entries)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    assert listed(include_past=False) == [upcoming, running]
    assert listed(include_past=True) == [upcoming, cancelled, running, past]
    assert listed(include_past=True, limit=1) == [upcoming, cancelled, running, past]


# -- idempotency keys ---------------------------------------------------------------------


def keyed(fingerprint: str = "f1", *, principal: str = "token:1", at: object = NOW) -> ScopedKey:
    return ScopedKey(principal, "prod", IdempotencyKey("k-1", fingerprint), at)  # type: ignore[arg-type]


def open_keyed(backend: Backend, key: ScopedKey) -> Incident:
    return backend.operations.open_incident(
        "prod", "Login fails", Impact.MAJOR, frozenset({IDP}), update(), "user:alice",
        audit("incident.open", "incident:new", environment_key="prod"), idempotency=key,
    )  # fmt: skip


def test_an_incident_opened_again_with_its_key_is_the_first_and_written_once(
    backend: Backend,
) -> None:
    first = open_keyed(backend, keyed())
    assert backend.operations.replayed(keyed()) == first.id
    assert open_keyed(backend, keyed(at=NOW + timedelta(minutes=5))) == first
    assert [
        i.id
        for i in backend.operations.incidents(
            "prod", open_only=False, cursor=None, limit=10
        ).entries
    ] == [first.id]
    assert [e.action for e in entries(backend)] == ["incident.open"]


def test_a_key_kept_for_another_request_is_refused_and_nothing_is_written(
    backend: Backend,
) -> None:
    open_keyed(backend, keyed())
    with pytest.raises(IdempotencyKeyReused):
        open_keyed(backend, keyed("f2"))
    with pytest.raises(IdempotencyKeyReused):
        backend.operations.replayed(keyed("f2"))
    with pytest.raises(IdempotencyKeyReused):
        backend.operations.schedule_maintenance(
            window(), audit("maintenance.schedule", "maintenance:new"), idempotency=keyed("f2")
        )
    assert (
        len(backend.operations.incidents("prod", open_only=False, cursor=None, limit=10).entries)
        == 1
    )
    assert (
        backend.operations.maintenance_windows(
            "prod", include_past=True, cursor=None, limit=10
        ).entries
        == ()
    )


def test_keys_are_each_principals_own_and_forgotten_after_they_are_kept(
    backend: Backend,
) -> None:
    first = open_keyed(backend, keyed())
    other = open_keyed(backend, keyed(principal="user:2"))
    later = NOW + KEPT_FOR + timedelta(seconds=1)
    assert backend.operations.replayed(keyed("f2", at=later)) is None
    again = open_keyed(backend, keyed("f2", at=later))
    assert len({first.id, other.id, again.id}) == 3
    assert backend.operations.replayed(keyed("f2", at=later)) == again.id


def test_an_update_and_a_window_given_again_with_their_keys_are_written_once(
    backend: Backend,
) -> None:
    incident = open_incident(backend)
    resolve = update(IncidentState.RESOLVED, "Fixed", at=LATER)
    for _ in range(2):
        resolved = backend.operations.add_incident_update(
            incident.id, resolve, audit("incident.resolve", "x"), idempotency=keyed()
        )
    assert len(resolved.updates) == 2
    scheduled = [
        backend.operations.schedule_maintenance(
            window(), audit("maintenance.schedule", "y"), idempotency=keyed("w", principal="u:2")
        )
        for _ in range(2)
    ]
    assert scheduled[0] == scheduled[1]
    assert [e.target for e in entries(backend)].count(f"maintenance:{scheduled[0].id}") == 1
