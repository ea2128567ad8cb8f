"""The pace of `watch()` and what counts as a change, judged without a network: dashboards are
built by hand, and `random` is a fixed number, so each delay is exact."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from status_dashboard.sdk import (
    Change,
    ChangeKind,
    Dashboard,
    Group,
    HTTPStatusError,
    Item,
    NotAcceptable,
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    StatusCode,
    StatusDashboardError,
    Timeout,
    TransportError,
)
from status_dashboard.sdk._changes import changes_between
from status_dashboard.sdk._watch import (
    BACKOFF_CAP,
    DEFAULT_INTERVAL,
    MIN_INTERVAL,
    POLL_JITTER,
    RETRY_AFTER_CAP,
    WatchPlan,
    backoff,
)

T0 = datetime(2025, 5, 9, 6, 55, tzinfo=UTC)
FIELDS = {"status_code": 429, "url": "https://status.example/api/v1/dashboard"}


def item(
    item_id: str,
    code: StatusCode = StatusCode.OPERATIONAL,
    description: str | None = None,
    name: str | None = None,
) -> Item:
    return Item(item_id, 1, code, T0, name or f"Service {item_id}", description, "g")


def dashboard(*items: Item, max_age: int | None = 15, env: str = "prod") -> Dashboard:
    return Dashboard(
        (Group("g", "G", items, StatusCode.OPERATIONAL),), env, max_age=max_age, fetched_at=T0
    )


def plan(
    interval: float | None = None,
    jitter: float = 0.0,
    since: Dashboard | None = None,
    environment: str = "prod",
) -> WatchPlan:
    """A plan whose `random` always gives `jitter`."""
    return WatchPlan(interval, lambda: jitter, since=since, environment=environment)


@pytest.mark.parametrize(
    ("interval", "max_age", "expected"),
    [
        (None, 15, 15.0),
        (None, 60, 60.0),
        (5.0, 15, 15.0),
        (30.0, 15, 30.0),
        (None, None, DEFAULT_INTERVAL),
        (5.0, None, 5.0),
        (None, 0, MIN_INTERVAL),
        (0.1, 0, MIN_INTERVAL),
    ],
)
def test_the_polling_interval_is_the_larger_of_the_asked_one_and_max_age(
    interval: float | None, max_age: int | None, expected: float
) -> None:
    watch = plan(interval)
    watch.succeeded(dashboard(max_age=max_age))
    assert watch.polling_interval == expected
    assert watch.delay == expected


def test_polls_are_jittered_upwards_never_sooner_than_max_age() -> None:
    low, high = plan(jitter=0.0), plan(jitter=0.999)
    for watch in (low, high):
        watch.succeeded(dashboard(max_age=20))
    assert low.delay == 20.0
    assert 20.0 < high.delay < 20.0 * (1 + POLL_JITTER)


def test_before_any_answer_the_pace_is_the_asked_interval_or_the_default() -> None:
    assert plan().delay == DEFAULT_INTERVAL
    assert plan(40.0).delay == 40.0


def test_a_dashboard_to_start_from_sets_the_first_pace_by_its_max_age() -> None:
    assert plan(since=dashboard(max_age=45)).delay == 45.0


def test_a_watch_ends_after_max_polls_whatever_their_outcome() -> None:
    watch = WatchPlan(None, lambda: 0.0, max_polls=2)
    watch.succeeded(dashboard())
    assert not watch.done
    watch.failed(TransportError("refused"))
    assert watch.done


@pytest.mark.parametrize("max_polls", [0, -1])
def test_max_polls_must_allow_one_poll(max_polls: int) -> None:
    with pytest.raises(ValueError, match="max_polls must be 1 or more"):
        WatchPlan(None, lambda: 0.0, max_polls=max_polls)


def test_a_dashboard_of_another_environment_cannot_be_the_start() -> None:
    with pytest.raises(ValueError, match="since is a dashboard of 'acc', not of 'prod'"):
        plan(since=dashboard(env="acc"), environment="prod")


@pytest.mark.parametrize(
    ("failures", "step"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, BACKOFF_CAP), (500, BACKOFF_CAP)],
)
def test_backoff_doubles_from_one_second_to_five_minutes_with_jitter_in_the_upper_half(
    failures: int, step: float
) -> None:
    assert backoff(failures, 0.0) == step / 2
    assert step / 2 < backoff(failures, 0.5) < step
    assert backoff(failures, 0.9999999) == pytest.approx(step)


def test_failures_back_off_but_never_poll_faster_than_the_interval() -> None:
    watch = plan(interval=1.0, jitter=0.9999999)
    watch.succeeded(dashboard(max_age=1))
    delays = []
    for _ in range(11):
        watch.failed(TransportError("refused"))
        delays.append(round(watch.delay))
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    slow = plan(jitter=0.0)
    slow.succeeded(dashboard(max_age=15))
    slow.failed(Timeout("late"))
    assert slow.delay == 15.0


def test_a_success_resets_the_backoff() -> None:
    watch = plan(interval=1.0)
    for _ in range(5):
        watch.failed(ServerError("boom", status_code=500, url="u"))
    assert watch.failures == 5
    watch.succeeded(dashboard(max_age=1))
    watch.failed(ServerError("boom", status_code=500, url="u"))
    assert (watch.failures, watch.delay) == (1, 1.0)


@pytest.mark.parametrize("kind", [RateLimited, ServiceUnavailable])
def test_retry_after_is_honoured_on_429_and_503(kind: type[RateLimited]) -> None:
    watch = plan(interval=1.0)
    watch.failed(kind("wait", retry_after=42.0, **FIELDS))  # type: ignore[arg-type]
    assert watch.delay == 42.0
    watch.failed(kind("wait", retry_after=None, **FIELDS))  # type: ignore[arg-type]
    assert watch.delay == 1.0


def test_an_absurd_retry_after_is_capped_at_an_hour() -> None:
    watch = plan(interval=1.0)
    watch.failed(RateLimited("wait", retry_after=10 * 365 * 86400.0, **FIELDS))  # type: ignore[arg-type]
    assert watch.delay == RETRY_AFTER_CAP


@pytest.mark.parametrize(
    "error",
    [
        NotFound("404", status_code=404, url="u"),
        NotAcceptable("406", status_code=406, url="u"),
        HTTPStatusError("400", status_code=400, url="u"),
        HTTPStatusError("403", status_code=403, url="u"),
    ],
)
def test_an_error_no_wait_can_mend_ends_the_watch(error: StatusDashboardError) -> None:
    watch = plan()
    with pytest.raises(type(error)):
        watch.failed(error)


@pytest.mark.parametrize(
    "error",
    [
        TransportError("refused"),
        Timeout("late"),
        ProtocolError("not JSON"),
        ServerError("500", status_code=500, url="u"),
        ServiceUnavailable("503", status_code=503, url="u", retry_after=None),
        RateLimited("429", status_code=429, url="u", retry_after=None),
    ],
)
def test_a_transient_error_is_waited_out(error: StatusDashboardError) -> None:
    watch = plan()
    watch.failed(error)
    assert watch.failures == 1


def test_the_first_dashboard_is_the_baseline_and_later_ones_give_their_changes() -> None:
    watch = plan()
    assert watch.succeeded(dashboard(item("a"))) == ()
    (change,) = watch.succeeded(dashboard(item("a", StatusCode.DISRUPTED)))
    assert (change.kind, change.item.id) == (ChangeKind.STATUS, "a")
    assert watch.succeeded(dashboard(item("a", StatusCode.DISRUPTED))) == ()
    assert watch.polls == 3


def test_each_kind_of_change_is_told_once_in_display_order_removals_last() -> None:
    before = dashboard(item("a"), item("b"), item("c", StatusCode.DISRUPTED, "down"), item("d"))
    after = dashboard(
        item("new"),
        item("a", StatusCode.DISRUPTED, "slow"),
        item("c", StatusCode.DISRUPTED, "down since 9:00"),
        item("d", name="Service d, renamed"),
    )
    changes = changes_between(before, after)
    assert [(c.kind, c.item.id) for c in changes] == [
        (ChangeKind.ADDED, "new"),
        (ChangeKind.STATUS, "a"),
        (ChangeKind.DESCRIPTION, "c"),
        (ChangeKind.REMOVED, "b"),
    ]
    added, status, described, removed = changes
    assert (described.before, described.after) == (before.item("c"), after.item("c"))
    assert (added.before, added.after) == (None, after.item("new"))
    assert (status.before, status.after) == (before.item("a"), after.item("a"))
    assert (removed.before, removed.after) == (before.item("b"), None)
    assert all(c.at == after.fetched_at and c.environment == "prod" for c in changes)


def test_a_status_change_with_a_new_description_is_one_status_change() -> None:
    (change,) = changes_between(
        dashboard(item("a")), dashboard(item("a", StatusCode.DISRUPTED, "down"))
    )
    assert change.kind is ChangeKind.STATUS


def test_the_very_same_content_confirmed_by_a_304_has_no_changes() -> None:
    first = dashboard(item("a"))
    confirmed = dataclasses.replace(first, etag='"new"')
    assert changes_between(first, confirmed) == ()


def test_a_change_needs_an_item_on_one_side() -> None:
    with pytest.raises(ValueError, match="needs the item"):
        Change(ChangeKind.ADDED, None, None, T0)
