"""The monitor store: checks with their state, leases shared by workers, results, pushes,
heartbeats, and what the checks say when effective states are reconciled."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from integration.store.backends import Backend, EngineFor
from integration.store.catalogs import BASE, LATER, NOW, audit, catalog, group
from status_dashboard.domain import ids
from status_dashboard.domain.audit import AuditQuery
from status_dashboard.domain.checks import (
    CheckDefinition,
    CheckResult,
    CheckSchedule,
    HttpCheck,
    PushCheck,
    TcpCheck,
)
from status_dashboard.domain.effective import CheckVerdict
from status_dashboard.domain.errors import ConflictError, NotFoundError
from status_dashboard.domain.monitoring import CheckState, next_check_state
from status_dashboard.domain.ports import Finding, Lease, StoredCheck
from status_dashboard.store.sql import SqlDashboardStore, SqlMonitorStore

IDP, STS, BOX = (ids.item_id("prod", key) for key in ("idp", "sts", "ehbox-consult"))
MINUTE = timedelta(minutes=1)
SCHEDULE = CheckSchedule(interval_s=60, timeout_s=10)
WEB = HttpCheck("https://idp.example.org/health")
PORT = TcpCheck("idp.example.org", 443)
TOKEN = "push-token-0123456789"


@pytest.fixture(autouse=True)
def loaded(request: pytest.FixtureRequest) -> None:
    """Every test on a `backend` starts from `BASE`."""
    if "backend" in request.fixturenames:
        backend: Backend = request.getfixturevalue("backend")
        backend.store.apply_catalog(BASE, NOW)


def define(
    backend: Backend, item_id: str = IDP, *checks: tuple[str, CheckDefinition]
) -> list[StoredCheck]:
    """Give the item `checks` (default: one HTTP check "web") on `SCHEDULE`; its checks."""
    specs = [(key, d, SCHEDULE) for key, d in (checks or (("web", WEB),))]
    backend.monitor.set_checks(item_id, specs, NOW)
    return [c for c in backend.monitor.checks() if c.item_id == item_id]


def failed(at: datetime = NOW, reason: str = "HTTP 503") -> CheckResult:
    return CheckResult(ok=False, reason=reason, at=at, duration_ms=12.5)


def run(backend: Backend, lease: Lease, result: CheckResult) -> bool:
    """Record `result` for the leased check as a worker would."""
    state = next_check_state(lease.check.state, result, lease.check.schedule)
    return backend.monitor.record_result(lease, result, state, result.at + SCHEDULE.interval)


def claimed_ids(leases: Sequence[Lease]) -> set[int]:
    return {lease.check.id for lease in leases}


SHORT_GRACE = timedelta(seconds=0.2) - SCHEDULE.timeout
"""A grace that leaves leases of a fifth of a second, which a test can wait out."""


def wait_until_past(lease: Lease) -> None:
    """Until the lease has expired by the database's clock (this machine's, on every backend
    here)."""
    while datetime.now(UTC) <= lease.expires_at:
        time.sleep(0.05)


# -- defining checks -----------------------------------------------------------------------------


def test_new_checks_are_due_at_once_with_no_state(backend: Backend) -> None:
    (check,) = define(backend)

    assert check.item_id == IDP
    assert check.environment_key == "prod"
    assert check.key == "web"
    assert check.definition == WEB
    assert check.schedule == SCHEDULE
    assert check.state == CheckState()
    assert check.next_due == NOW


def test_replacing_checks_keeps_the_state_of_kept_keys_and_removes_the_rest(
    backend: Backend,
) -> None:
    port, web = define(backend, IDP, ("web", WEB), ("port", PORT))  # listed by key
    for lease in backend.monitor.claim_due("w1", NOW, MINUTE, 10):
        assert run(backend, lease, failed())
    before = {c.key: c for c in backend.monitor.checks()}
    moved = HttpCheck("https://idp.example.org/ready")

    backend.monitor.set_checks(
        IDP, [("web", moved, SCHEDULE), ("push", PushCheck(TOKEN), SCHEDULE)], LATER
    )

    after = {c.key: c for c in backend.monitor.checks()}
    assert set(after) == {"web", "push"}
    assert after["web"].id == web.id
    assert after["web"].definition == moved
    assert after["web"].state == before["web"].state
    assert after["web"].next_due == before["web"].next_due
    assert after["push"].next_due == LATER
    assert backend.monitor.results(port.id, limit=10) == ()


def test_checks_are_listed_per_environment(backend: Backend) -> None:
    backend.store.apply_catalog(
        catalog(group("iam", *BASE.environments[0].groups[0].items), env="acc"), NOW
    )
    define(backend)
    define(backend, ids.item_id("acc", "idp"))

    assert [c.environment_key for c in backend.monitor.checks("prod")] == ["prod"]
    assert [c.environment_key for c in backend.monitor.checks("acc")] == ["acc"]
    assert len(backend.monitor.checks()) == 2


def test_setting_checks_can_be_audited(backend: Backend) -> None:
    backend.monitor.set_checks(IDP, [("web", WEB, SCHEDULE)], NOW, audit("checks.set", IDP))

    (entry,) = backend.audit.entries(AuditQuery(action="checks.set"), cursor=None, limit=5).entries
    assert entry.target == IDP


def test_checks_of_an_unknown_item_are_refused(backend: Backend) -> None:
    with pytest.raises(NotFoundError):
        backend.monitor.set_checks("nope", [("web", WEB, SCHEDULE)], NOW)


def test_a_push_token_answers_to_one_check_only(backend: Backend) -> None:
    define(backend, IDP, ("push", PushCheck(TOKEN)))

    with pytest.raises(ConflictError):
        define(backend, STS, ("push", PushCheck(TOKEN)))
    assert [c.item_id for c in backend.monitor.checks()] == [IDP]


def test_deleting_an_item_deletes_its_checks(backend: Backend) -> None:
    define(backend, IDP)
    (box,) = define(backend, BOX)
    lease = backend.monitor.claim_due("w1", NOW, MINUTE, 10)

    backend.store.apply_catalog(catalog(BASE.environments[0].groups[0]), LATER, prune=True)

    assert [c.item_id for c in backend.monitor.checks()] == [IDP]
    assert backend.monitor.results(box.id, limit=5) == ()
    assert len(lease) == 2


# -- leases --------------------------------------------------------------------------------------


def test_claim_due_leases_only_due_checks_soonest_first(backend: Backend) -> None:
    define(backend, IDP, ("web", WEB), ("port", PORT))
    web_lease, port_lease = backend.monitor.claim_due("w1", NOW, MINUTE, 10)
    assert run(backend, web_lease, failed(NOW))  # next due NOW + 1 min
    assert run(backend, port_lease, failed(NOW + timedelta(seconds=30)))  # NOW + 1.5 min

    assert backend.monitor.claim_due("w1", NOW + timedelta(seconds=59), MINUTE, 10) == ()
    later = backend.monitor.claim_due("w1", NOW + 2 * MINUTE, MINUTE, 10)
    assert [lease.check.key for lease in later] == ["web", "port"]
    assert all(lease.worker == "w1" for lease in later)


def test_a_lease_lasts_the_checks_timeout_and_the_grace_by_the_databases_clock(
    backend: Backend,
) -> None:
    define(backend)
    before = datetime.now(UTC)
    # The worker's clock is years behind; the lease is not.
    (lease,) = backend.monitor.claim_due("w1", NOW, MINUTE, 10)
    after = datetime.now(UTC)

    assert before + SCHEDULE.timeout + MINUTE <= lease.expires_at
    assert lease.expires_at <= after + SCHEDULE.timeout + MINUTE


def test_a_leased_check_is_not_claimed_by_another_worker(backend: Backend) -> None:
    define(backend, IDP, ("web", WEB), ("port", PORT))

    first = backend.monitor.claim_due("w1", NOW, MINUTE, 1)
    second = backend.monitor.claim_due("w2", NOW, MINUTE, 10)
    third = backend.monitor.claim_due("w3", NOW, MINUTE, 10)

    assert len(first) == len(second) == 1
    assert claimed_ids(first).isdisjoint(claimed_ids(second))
    assert third == ()


def test_an_expired_lease_is_taken_over_and_its_first_holder_writes_nothing(
    backend: Backend,
) -> None:
    (check,) = define(backend)
    (stale,) = backend.monitor.claim_due("w1", NOW, SHORT_GRACE, 10)
    wait_until_past(stale)

    (taken,) = backend.monitor.claim_due("w2", NOW, MINUTE, 10)

    assert taken.check.id == check.id
    assert not run(backend, stale, failed(NOW + 2 * MINUTE))
    assert backend.monitor.results(check.id, limit=5) == ()
    assert backend.monitor.checks()[0].state == CheckState()
    assert run(backend, taken, failed(NOW + 2 * MINUTE))


@pytest.mark.parametrize(
    ("holder_off_by", "other_off_by"),
    [
        (timedelta(0), timedelta(seconds=30)),  # the other's clock runs ahead
        (timedelta(seconds=-30), timedelta(0)),  # the holder's clock runs behind
    ],
)
def test_a_worker_whose_clock_is_off_takes_no_check_another_holds(
    backend: Backend, holder_off_by: timedelta, other_off_by: timedelta
) -> None:
    define(backend, IDP, ("web", WEB), ("port", PORT))
    # Leases of 15 s, shorter than the 30 s the clocks differ by.
    grace = timedelta(seconds=5)

    held = backend.monitor.claim_due("holder", datetime.now(UTC) + holder_off_by, grace, 10)
    other = backend.monitor.claim_due("other", datetime.now(UTC) + other_off_by, grace, 10)

    assert len(held) == 2
    assert other == ()


def test_a_result_is_recorded_once_per_lease(backend: Backend) -> None:
    define(backend)
    (lease,) = backend.monitor.claim_due("w1", NOW, MINUTE, 10)

    assert run(backend, lease, failed())
    assert not run(backend, lease, failed())
    assert len(backend.monitor.results(lease.check.id, limit=5)) == 1


def test_recording_a_result_stores_it_with_the_new_state_and_frees_the_check(
    backend: Backend,
) -> None:
    (check,) = define(backend)
    at = NOW + timedelta(seconds=3)
    result = CheckResult(ok=False, reason="Connection refused", at=at, duration_ms=4.25, detail="x")
    state = CheckState(True, 2, 0, at, "Connection refused")
    (lease,) = backend.monitor.claim_due("w1", NOW, MINUTE, 10)

    assert backend.monitor.record_result(lease, result, state, at + MINUTE)

    (stored,) = backend.monitor.checks()
    assert stored.state == state
    assert stored.next_due == at + MINUTE
    assert backend.monitor.results(check.id, limit=5) == (result,)
    (again,) = backend.monitor.claim_due("w2", at + MINUTE, MINUTE, 10)
    assert again.check.state == state


def test_results_recorded_in_one_batch_keep_each_lease_rule(backend: Backend) -> None:
    define(backend, IDP, ("web", WEB), ("port", PORT))
    port_lease, web_lease = backend.monitor.claim_due("w1", NOW, SHORT_GRACE, 10)
    wait_until_past(port_lease)
    (taken,) = backend.monitor.claim_due("w2", NOW, MINUTE, 1)
    assert taken.check.id == port_lease.check.id
    at = NOW + timedelta(seconds=2)
    findings = [
        Finding(lease, failed(at), CheckState(False, 1, 0, at, "HTTP 503"), at + MINUTE)
        for lease in (port_lease, web_lease)
    ]

    assert list(backend.monitor.record_results(findings)) == [False, True]

    assert backend.monitor.results(port_lease.check.id, limit=5) == ()
    assert len(backend.monitor.results(web_lease.check.id, limit=5)) == 1
    assert list(backend.monitor.record_results([])) == []


def test_results_are_listed_newest_first_and_pruned_by_age(backend: Backend) -> None:
    (check,) = define(backend)
    for minute in range(3):
        (lease,) = backend.monitor.claim_due("w1", NOW + minute * MINUTE, MINUTE, 1)
        assert run(backend, lease, failed(NOW + minute * MINUTE, f"failure {minute}"))

    latest = backend.monitor.results(check.id, limit=2)
    assert [r.reason for r in latest] == ["failure 2", "failure 1"]

    assert backend.monitor.prune_results(NOW + MINUTE) == 1
    assert [r.reason for r in backend.monitor.results(check.id, limit=5)] == [
        "failure 2",
        "failure 1",
    ]


@pytest.mark.postgres
def test_workers_claiming_at_once_on_postgresql_share_the_checks_without_overlap(
    postgres_url: str, engine_for: EngineFor
) -> None:
    SqlDashboardStore(engine_for(postgres_url)).apply_catalog(BASE, NOW)
    setup = SqlMonitorStore(engine_for(postgres_url))
    specs = [(f"c{n:02}", TcpCheck("db.internal", 1000 + n), SCHEDULE) for n in range(20)]
    setup.set_checks(IDP, specs, NOW)
    # One engine, hence one pool and its own connections, per worker.
    workers = [SqlMonitorStore(engine_for(postgres_url)) for _ in range(2)]
    start = threading.Barrier(len(workers))
    claimed: list[list[int]] = [[] for _ in workers]

    def claim(index: int) -> None:
        start.wait()
        while leases := workers[index].claim_due(f"w{index}", NOW, MINUTE, 2):
            claimed[index].extend(lease.check.id for lease in leases)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    first, second = (set(found) for found in claimed)
    assert first.isdisjoint(second)
    assert len(claimed[0]) + len(claimed[1]) == 20
    assert first | second == {c.id for c in setup.checks()}


# -- pushes and heartbeats -----------------------------------------------------------------------


def test_a_push_is_kept_for_its_check(backend: Backend) -> None:
    (check,) = define(backend, IDP, ("push", PushCheck(TOKEN)))
    assert backend.monitor.last_push(check.id) is None

    assert backend.monitor.push(TOKEN, LATER)

    assert backend.monitor.last_push(check.id) == LATER


def test_a_push_makes_a_failing_push_check_due_at_once(backend: Backend) -> None:
    define(backend, IDP, ("push", PushCheck(TOKEN)), ("web", WEB))
    for lease in backend.monitor.claim_due("w1", NOW, MINUTE, 10):
        result = failed(NOW, "no push yet")
        failing = CheckState(True, 2, 0, NOW, result.reason)
        assert backend.monitor.record_result(lease, result, failing, NOW + MINUTE)

    assert backend.monitor.push(TOKEN, NOW + timedelta(seconds=5))

    due = {c.key: c.next_due for c in backend.monitor.checks()}
    assert due == {"push": NOW + timedelta(seconds=5), "web": NOW + MINUTE}


def test_a_push_leaves_a_passing_check_on_its_schedule(backend: Backend) -> None:
    define(backend, IDP, ("push", PushCheck(TOKEN)))
    (lease,) = backend.monitor.claim_due("w1", NOW, MINUTE, 10)
    passed = CheckResult(ok=True, reason="last push 1 s ago", at=NOW, duration_ms=0.1)
    assert backend.monitor.record_result(lease, passed, CheckState(), NOW + MINUTE)

    assert backend.monitor.push(TOKEN, NOW + timedelta(seconds=5))

    assert backend.monitor.checks()[0].next_due == NOW + MINUTE


def test_a_push_with_an_unknown_token_is_refused(backend: Backend) -> None:
    define(backend, IDP, ("push", PushCheck(TOKEN)))

    assert not backend.monitor.push("not-a-known-token-at-all", LATER)


def test_the_monitor_is_alive_while_some_worker_beats(backend: Backend) -> None:
    assert not backend.monitor.monitor_alive(NOW, MINUTE)

    backend.monitor.beat("w1", NOW)
    backend.monitor.beat("w1", NOW + MINUTE)

    assert backend.monitor.monitor_alive(NOW + 2 * MINUTE, MINUTE)
    assert not backend.monitor.monitor_alive(NOW + 2 * MINUTE + timedelta(seconds=1), MINUTE)


# -- what reconciling reads ----------------------------------------------------------------------


def test_a_failing_fresh_check_makes_its_item_disrupted(backend: Backend) -> None:
    define(backend)
    (lease,) = backend.monitor.claim_due("w1", NOW, MINUTE, 1)
    state = CheckState(True, 2, 0, NOW, "HTTP 503")
    assert backend.monitor.record_result(lease, failed(), state, NOW + MINUTE)
    backend.monitor.beat("w1", NOW + MINUTE)

    inputs = backend.operations.reconcile_inputs(NOW + MINUTE)

    assert inputs.checks == {IDP: CheckVerdict(disrupted=True, fresh=True, reason="HTTP 503")}
    assert inputs.monitor_running


def test_a_check_silent_past_stale_after_says_nothing_about_now(backend: Backend) -> None:
    define(backend)
    (lease,) = backend.monitor.claim_due("w1", NOW, MINUTE, 1)
    assert run(backend, lease, failed())
    later = NOW + SCHEDULE.stale_after + timedelta(seconds=1)
    backend.monitor.beat("w1", later)

    verdict = backend.operations.reconcile_inputs(later).checks[IDP]

    assert not verdict.fresh
    assert not verdict.disrupted


def test_items_without_checks_are_left_out_of_the_verdicts(backend: Backend) -> None:
    define(backend)

    inputs = backend.operations.reconcile_inputs(NOW)

    assert set(inputs.checks) == {IDP}
    assert not inputs.checks[IDP].fresh


def test_without_checks_anywhere_the_monitor_counts_as_running(backend: Backend) -> None:
    inputs = backend.operations.reconcile_inputs(NOW)

    assert inputs.checks == {}
    assert inputs.monitor_running


def test_with_checks_but_no_heartbeat_the_monitor_is_down(backend: Backend) -> None:
    define(backend)

    assert not backend.operations.reconcile_inputs(NOW).monitor_running
    backend.monitor.beat("w1", NOW - timedelta(seconds=20))
    assert backend.operations.reconcile_inputs(NOW).monitor_running
    assert not backend.operations.reconcile_inputs(NOW + timedelta(seconds=11)).monitor_running
