"""An item's checks as admins manage them, on the in-memory stores: read by viewers, replaced by
admins in one audited step, judged field by field, secrets never shown nor audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.checks import HttpCheck, PushCheck, TcpCheck
from status_dashboard.domain.errors import ConflictError, NotFoundError
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.accounts import Forbidden, InvalidInput
from status_dashboard.service.check_admin import CheckAdmin, CheckInput
from status_dashboard.service.reconciler import Reconciler
from status_dashboard.store.memory import (
    MemoryAuditLog,
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryMonitorStore,
    MemoryOperationsStore,
)

NOW = datetime(2025, 5, 9, 6, 55, tzinfo=UTC)
ADMIN = Principal("user", 1, "alice", Role.ADMIN)
VIEWER = Principal("token", 3, "look", Role.VIEWER)
ACC_ADMIN = Principal("token", 4, "acc-admin", Role.ADMIN, frozenset({"acc"}))
IDP, STS = ids.item_id("prod", "idp"), ids.item_id("prod", "sts")
TOKEN = "push-token-0123456789"
SECRET = "Bearer s3cret-value"


@dataclass
class World:
    checks: CheckAdmin
    store: MemoryDashboardStore
    audit: MemoryAuditLog
    refreshed: list[int]

    def entries(self) -> list[AuditEntry]:
        query = AuditQuery(action="catalog.item.checks.set")
        return list(self.audit.entries(query, cursor=None, limit=100).entries)

    def shown(self, item_id: str) -> StatusCode:
        items = [i for e in self.store.environments() for g in e.groups for i in g.items]
        return next(i.status_code for i in items if i.id == item_id)


@pytest.fixture
def world() -> World:
    database = MemoryDatabase()
    store = MemoryDashboardStore(database=database)
    items = (
        ItemSpec("idp", "Identity provider", 1, status=StatusCode.OPERATIONAL),
        ItemSpec("sts", "Secure Token Service", 2, status=StatusCode.OPERATIONAL),
    )
    store.apply_catalog(
        CatalogSpec(
            (EnvironmentSpec("prod", 1, groups=(GroupSpec("iam", "IAM", 1, items=items),)),)
        ),
        NOW,
    )
    refreshed: list[int] = []
    admin = CheckAdmin(
        MemoryMonitorStore(database),
        store,
        Reconciler(MemoryOperationsStore(database, clock=lambda: NOW), lambda: NOW),
        lambda: NOW,
        after_write=lambda: refreshed.append(1),
    )
    return World(admin, store, MemoryAuditLog(database), refreshed)


def web(**values: Any) -> CheckInput:
    return CheckInput("web", "http", {"url": "https://idp.example.org/health", **values})


def port(**values: Any) -> CheckInput:
    return CheckInput("port", "tcp", {"host": "idp.example.org", "port": 443, **values})


def test_an_admin_replaces_an_items_checks_in_one_audited_step(world: World) -> None:
    view = world.checks.replace_checks(ADMIN, "prod", IDP, [web(interval=30, timeout=5), port()])

    assert [c.key for c in view.checks] == ["port", "web"]
    assert view.checks[1].definition == HttpCheck("https://idp.example.org/health")
    assert view.checks[1].schedule.interval_s == 30
    (entry,) = world.entries()
    assert (entry.actor, entry.target, entry.environment_key) == (
        "user:alice",
        f"item:{IDP}",
        "prod",
    )
    assert entry.before == {"checks": []}
    assert entry.after is not None
    assert [c["key"] for c in entry.after["checks"]] == ["web", "port"]
    assert world.refreshed == [1]


def test_an_item_with_checks_and_no_monitor_shows_unknown_at_once(world: World) -> None:
    world.checks.replace_checks(ADMIN, "prod", IDP, [web()])

    assert world.shown(IDP) is StatusCode.UNKNOWN
    assert world.shown(STS) is StatusCode.OPERATIONAL


def test_replacing_checks_with_the_same_ones_writes_nothing(world: World) -> None:
    world.checks.replace_checks(ADMIN, "prod", IDP, [web(), port()])

    world.checks.replace_checks(ADMIN, "prod", IDP, [port(), web()])

    assert len(world.entries()) == 1
    assert world.refreshed == [1]


def test_a_viewer_reads_checks_but_may_not_replace_them(world: World) -> None:
    world.checks.replace_checks(ADMIN, "prod", IDP, [web()])

    assert [c.key for c in world.checks.checks(VIEWER, "prod", IDP).checks] == ["web"]
    with pytest.raises(Forbidden):
        world.checks.replace_checks(VIEWER, "prod", IDP, [])


def test_an_admin_of_another_environment_may_not_replace_them(world: World) -> None:
    with pytest.raises(Forbidden):
        world.checks.replace_checks(ACC_ADMIN, "prod", IDP, [web()])


@pytest.mark.parametrize(
    ("environment", "item_id"), [("prod", "f" * 32), ("acc", IDP), ("nope", IDP)]
)
def test_checks_of_an_item_not_in_the_environment_are_not_found(
    world: World, environment: str, item_id: str
) -> None:
    with pytest.raises(NotFoundError):
        world.checks.checks(ADMIN, environment, item_id)


@pytest.mark.parametrize(
    ("given", "field", "fragment"),
    [
        pytest.param([web(), port(interval=10)], "checks[1].timeout", "less than interval", id="timeout"),
        pytest.param([web(), web()], "checks[1].key", "already the key of checks[0]", id="key twice"),
        pytest.param([web(url="ftp://x/")], "checks[0].url", "http:// or https://", id="url"),
        pytest.param([web(json_condition="$.a.")], "checks[0].json_condition", "invalid JSON path", id="path"),
        pytest.param([web(port=80)], "checks[0].port", "not a field of a http check", id="field"),
        pytest.param([CheckInput("x", "tcp", {"host": "h"})], "checks[0].port", "is required", id="required"),
        pytest.param([CheckInput("Web", "tcp", {})], "checks[0].key", "must be 1 to 64", id="bad key"),
        pytest.param([CheckInput("x", "dns", {})], "checks[0].type", "one of http, tcp", id="type"),
        pytest.param(
            [CheckInput("a", "push", {"token": TOKEN}), CheckInput("b", "push", {"token": TOKEN})],
            "checks[1].token", "already the push token of checks[0]", id="token twice",
        ),
    ],
)  # fmt: skip
def test_a_bad_check_is_refused_naming_its_field_and_nothing_is_written(
    world: World, given: list[CheckInput], field: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.checks.replace_checks(ADMIN, "prod", IDP, given)

    assert refused.value.field == field
    assert fragment in refused.value.detail
    assert world.checks.checks(ADMIN, "prod", IDP).checks == ()
    assert world.entries() == []


def test_a_push_token_of_another_item_is_a_conflict(world: World) -> None:
    world.checks.replace_checks(ADMIN, "prod", STS, [CheckInput("beat", "push", {"token": TOKEN})])

    with pytest.raises(ConflictError):
        world.checks.replace_checks(ADMIN, "prod", IDP, [CheckInput("b", "push", {"token": TOKEN})])


def test_secrets_are_neither_shown_nor_audited(world: World) -> None:
    world.checks.replace_checks(
        ADMIN, "prod", IDP,
        [web(headers={"Authorization": SECRET}), CheckInput("beat", "push", {"token": TOKEN})],
    )  # fmt: skip

    (entry,) = world.entries()
    assert SECRET not in repr(entry.after)
    assert TOKEN not in repr(entry.after)
    assert entry.after is not None
    assert entry.after["checks"][0]["headers"] == {"Authorization": "***"}


def test_a_masked_secret_sent_back_keeps_the_stored_one(world: World) -> None:
    world.checks.replace_checks(
        ADMIN, "prod", IDP,
        [web(headers={"Authorization": SECRET}), CheckInput("beat", "push", {"token": TOKEN})],
    )  # fmt: skip

    view = world.checks.replace_checks(
        ADMIN, "prod", IDP,
        [web(headers={"Authorization": "***"}, interval=120), CheckInput("beat", "push", {"token": "***"})],
    )  # fmt: skip

    beat, check = view.checks
    assert beat.definition == PushCheck(TOKEN)
    assert isinstance(check.definition, HttpCheck)
    assert dict(check.definition.headers) == {"Authorization": SECRET}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        pytest.param(web(headers={"X-Key": "***"}), "checks[0].headers.X-Key", id="header"),
        pytest.param(CheckInput("web", "push", {"token": "***"}), "checks[0].token", id="token"),
    ],
)
def test_a_mask_with_no_stored_secret_behind_it_is_refused(
    world: World, given: CheckInput, field: str
) -> None:
    world.checks.replace_checks(ADMIN, "prod", IDP, [web(headers={"Authorization": SECRET})])

    with pytest.raises(InvalidInput) as refused:
        world.checks.replace_checks(ADMIN, "prod", IDP, [given])

    assert refused.value.field == field


def test_a_kept_key_keeps_its_state_and_a_new_type_is_a_new_definition(world: World) -> None:
    world.checks.replace_checks(ADMIN, "prod", IDP, [web(), port()])
    before = {c.key: c.id for c in world.checks.checks(ADMIN, "prod", IDP).checks}

    view = world.checks.replace_checks(ADMIN, "prod", IDP, [port(port=8443)])

    (kept,) = view.checks
    assert kept.id == before["port"]
    assert kept.definition == TcpCheck("idp.example.org", 8443)
