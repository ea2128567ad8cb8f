"""Checks declared in a catalog: applied with the rest of the catalog in one transaction,
idempotently, on every backend."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integration.store.backends import Backend
from integration.store.catalogs import BOX, LATER, NOW, OPERATIONAL, audit, catalog, group, item
from status_dashboard.domain import ids
from status_dashboard.domain.audit import AuditQuery
from status_dashboard.domain.catalog import CatalogSpec, CheckSpec, ItemSpec
from status_dashboard.domain.checks import (
    CheckResult,
    CheckSchedule,
    HttpCheck,
    PushCheck,
    TcpCheck,
)
from status_dashboard.domain.errors import CatalogConflict
from status_dashboard.domain.monitoring import next_check_state

IDP, STS = ids.item_id("prod", "idp"), ids.item_id("prod", "sts")
SCHEDULE = CheckSchedule(interval_s=10, timeout_s=3)
WEB: CheckSpec = ("web", HttpCheck("http://127.0.0.1:8000/health"), SCHEDULE)
PORT: CheckSpec = ("port", TcpCheck("127.0.0.1", 8025), SCHEDULE)
TOKEN = "push-token-0123456789"
BEAT: CheckSpec = ("beat", PushCheck(TOKEN), SCHEDULE)


def with_checks(
    idp: tuple[CheckSpec, ...] | None = None, sts: tuple[CheckSpec, ...] | None = None
) -> CatalogSpec:
    """PROD's group iam (idp, sts) and group ehbox, with these checks."""
    iam = group(
        "iam",
        item("idp", 1, status=OPERATIONAL, checks=idp),
        item("sts", 2, status=OPERATIONAL, checks=sts),
    )
    return catalog(iam, BOX)


def checks_of(backend: Backend, item_id: str) -> dict[str, object]:
    return {c.key: c.definition for c in backend.monitor.checks() if c.item_id == item_id}


def entries(backend: Backend, action: str) -> int:
    page = backend.audit.entries(AuditQuery(action=action), cursor=None, limit=50)
    return len(page.entries)


def test_a_catalog_gives_its_items_their_checks(backend: Backend) -> None:
    merge = backend.store.apply_catalog(with_checks(idp=(WEB, PORT)), NOW)

    assert checks_of(backend, IDP) == {"port": PORT[1], "web": WEB[1]}
    assert checks_of(backend, STS) == {}
    assert "item prod/idp: checks changed (web, port added)" in merge.changes
    (web,) = [c for c in backend.monitor.checks() if c.key == "web"]
    assert (web.schedule, web.next_due) == (SCHEDULE, NOW)


def test_loading_the_same_checks_again_changes_nothing(backend: Backend) -> None:
    spec = with_checks(idp=(WEB, PORT))
    backend.store.apply_catalog(spec, NOW)
    revision = backend.store.revision()

    again = backend.store.apply_catalog(spec, LATER, audit=audit("catalog.load", "catalog"))

    assert not again.changed
    assert backend.store.revision() == revision
    assert entries(backend, "catalog.load") == 0


def test_the_order_of_checks_in_the_file_means_nothing(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB, PORT)), NOW)

    assert not backend.store.apply_catalog(with_checks(idp=(PORT, WEB)), LATER).changed


def test_a_changed_check_is_a_change_that_is_audited_and_keeps_its_state(
    backend: Backend,
) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB,)), NOW)
    (lease,) = backend.monitor.claim_due("w1", NOW, timedelta(seconds=5), 10)
    failure = CheckResult(ok=False, reason="HTTP 503", at=NOW, duration_ms=3.0)
    state = next_check_state(lease.check.state, failure, SCHEDULE)
    assert backend.monitor.record_result(lease, failure, state, NOW + SCHEDULE.interval)
    slower = ("web", WEB[1], CheckSchedule(interval_s=30, timeout_s=5))

    merge = backend.store.apply_catalog(
        with_checks(idp=(slower,)), LATER, audit=audit("catalog.load", "catalog")
    )

    assert merge.changes == ("item prod/idp: checks changed (web changed)",)
    (web,) = backend.monitor.checks()
    assert web.schedule == slower[2]
    assert web.state == state
    assert entries(backend, "catalog.load") == 1


def test_an_item_that_says_nothing_of_checks_keeps_them(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB,)), NOW)

    merge = backend.store.apply_catalog(with_checks(idp=None), LATER)

    assert not merge.changed
    assert checks_of(backend, IDP) == {"web": WEB[1]}


def test_an_empty_list_of_checks_removes_them_with_their_results(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB, PORT)), NOW)
    port = next(c for c in backend.monitor.checks() if c.key == "port")

    merge = backend.store.apply_catalog(with_checks(idp=(WEB,)), LATER)
    assert merge.changes == ("item prod/idp: checks changed (port removed)",)
    assert backend.monitor.results(port.id, limit=5) == ()

    merge = backend.store.apply_catalog(with_checks(idp=()), LATER)
    assert merge.changes == ("item prod/idp: checks changed (web removed)",)
    assert checks_of(backend, IDP) == {}


def test_a_new_item_comes_with_its_checks(backend: Backend) -> None:
    spec = catalog(group("portal", item("portal-sso", 1, checks=(WEB,))), env="acc")

    backend.store.apply_catalog(spec, NOW)

    (check,) = backend.monitor.checks("acc")
    assert (check.item_id, check.key) == (ids.item_id("acc", "portal-sso"), "web")


def test_a_pruned_item_loses_its_checks(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB,), sts=(PORT,)), NOW)
    only_idp = catalog(group("iam", item("idp", 1, status=OPERATIONAL)), BOX)

    backend.store.apply_catalog(only_idp, LATER, prune=True)

    assert [c.item_id for c in backend.monitor.checks()] == [IDP]


def test_an_item_whose_pinned_id_changes_keeps_its_checks(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB,)), NOW)
    pinned = "0123456789abcdef0123456789abcdef"
    spec = catalog(group("iam", item("idp", 1, id=pinned), item("sts", 2)), BOX)

    backend.store.apply_catalog(spec, LATER)

    assert checks_of(backend, pinned) == {"web": WEB[1]}


def test_a_push_token_may_move_from_one_item_to_another_in_one_load(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(BEAT,), sts=(WEB,)), NOW)

    backend.store.apply_catalog(with_checks(idp=(WEB,), sts=(BEAT,)), LATER)

    assert checks_of(backend, STS) == {"beat": BEAT[1]}
    assert checks_of(backend, IDP) == {"web": WEB[1]}


def test_a_push_token_another_item_keeps_is_a_conflict_and_nothing_is_written(
    backend: Backend,
) -> None:
    backend.store.apply_catalog(with_checks(sts=(BEAT,)), NOW)
    revision = backend.store.revision()
    before = backend.store.environments()
    iam = group(
        "iam",
        item("idp", 1, status=OPERATIONAL, checks=(BEAT,)),
        item("sts", 2, status=OPERATIONAL),  # says nothing of checks: keeps its push check
        item("new", 3),
    )

    with pytest.raises(
        CatalogConflict,
        match=r"item prod/idp, check beat: its push token is already the token of item prod/sts",
    ):
        backend.store.apply_catalog(catalog(iam, BOX), LATER)

    assert backend.store.revision() == revision
    assert backend.store.environments() == before
    assert checks_of(backend, IDP) == {}
    assert checks_of(backend, STS) == {"beat": BEAT[1]}


def test_a_catalog_without_checks_leaves_every_check_alone(backend: Backend) -> None:
    backend.store.apply_catalog(with_checks(idp=(WEB,)), NOW)
    renamed = catalog(group("iam", ItemSpec("idp", "Identity provider", 1)), BOX)

    merge = backend.store.apply_catalog(renamed, LATER)

    assert merge.check_writes == ()
    assert checks_of(backend, IDP) == {"web": WEB[1]}
