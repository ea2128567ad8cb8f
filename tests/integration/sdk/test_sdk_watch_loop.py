"""`watch()` over a real loopback server that answers from a script: the changes it yields, the
pauses it asks for (recorded by an injected sleep, so no test waits them), and the requests it
sends — sync and async alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from integration.sdk.scripted import Reply, dashboard_reply, scripted
from integration.sdk.sessions import AGENT
from status_dashboard.sdk import (
    AsyncStatusClient,
    Change,
    ChangeKind,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    StatusClient,
    StatusCode,
    StatusDashboardError,
)

HALF = 0.5
"""The injected `random`: jitter halfway, so each pause is exact."""
WATCH_LIMIT_S = 30.0


def run_watch(
    kind: str, url: str, **options: Any
) -> tuple[list[Change], list[float], list[tuple[str, float]]]:
    """Watch `url` with a client of `kind`: the changes, the pauses asked for, the failures
    reported (error class, pause)."""
    pauses: list[float] = []
    failures: list[tuple[str, float]] = []

    def on_error(error: StatusDashboardError, delay: float) -> None:
        failures.append((type(error).__name__, delay))

    options = {"on_error": on_error, "random": lambda: HALF, **options}
    if kind == "sync":
        with StatusClient(url, user_agent=AGENT) as client:
            changes = list(client.watch(sleep=pauses.append, **options))
        return changes, pauses, failures

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    async def collect() -> list[Change]:
        async with AsyncStatusClient(url, user_agent=AGENT) as client:
            return [change async for change in client.watch(sleep=sleep, **options)]

    async def bounded() -> list[Change]:
        return await asyncio.wait_for(collect(), WATCH_LIMIT_S)

    return asyncio.run(bounded()), pauses, failures


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_watch_yields_only_changes_and_paces_itself_by_max_age_and_retry_after(kind: str) -> None:
    script = (
        dashboard_reply(1, 1, etag='"v1"', max_age=30),
        Reply(304, headers={"ETag": '"v1"', "Cache-Control": "max-age=30"}),
        dashboard_reply(2, 1, etag='"v2"', max_age=30),
        Reply(503, b"", {"Retry-After": "70"}),
        Reply(429, b"", {"Retry-After": "100"}),
        dashboard_reply(2, 1, etag='"v2"', max_age=30),
        dashboard_reply(1, 1, etag='"v3"', max_age=30),
    )
    with scripted(*script) as server:
        changes, pauses, failures = run_watch(kind, server.url, max_polls=len(script))
    assert [(c.kind, c.item.id[0], c.after.status_code if c.after else None) for c in changes] == [
        (ChangeKind.STATUS, "a", StatusCode.DISRUPTED),
        (ChangeKind.STATUS, "a", StatusCode.OPERATIONAL),
    ]
    interval = 30 * 1.05  # max-age, with the injected half of the 10 % jitter
    assert pauses == pytest.approx([interval, interval, interval, 70.0, 100.0, interval])
    assert failures == [("ServiceUnavailable", 70.0), ("RateLimited", 100.0)]
    assert len(server.requests) == len(script)
    assert server.requests[1].headers["If-None-Match"] == '"v1"'
    assert server.requests[5].headers["If-None-Match"] == '"v2"'


def test_a_watch_never_polls_faster_than_max_age_whatever_interval_is_asked(kind: str) -> None:
    with scripted(dashboard_reply(1, max_age=20)) as server:
        _, pauses, _ = run_watch(kind, server.url, interval=2.0, max_polls=3)
    assert pauses == pytest.approx([21.0, 21.0])


def test_a_longer_interval_than_max_age_is_kept(kind: str) -> None:
    with scripted(dashboard_reply(1, max_age=15)) as server:
        _, pauses, _ = run_watch(kind, server.url, interval=60.0, max_polls=2)
    assert pauses == pytest.approx([63.0])


def test_a_watch_backs_off_while_the_service_is_unreachable_then_catches_up(kind: str) -> None:
    script = (
        dashboard_reply(1, max_age=1),
        *(Reply(500, b"") for _ in range(4)),
        dashboard_reply(2, max_age=1),
    )
    with scripted(*script) as server:
        changes, pauses, failures = run_watch(kind, server.url, max_polls=len(script))
    # 1 s doubling, jittered into the upper half (the injected half: three quarters of each step),
    # never under the 1 s polling interval.
    assert [round(p, 3) for p in pauses] == [1.05, 1.0, 1.5, 3.0, 6.0]
    assert [name for name, _ in failures] == ["ServerError"] * 4
    assert [c.kind for c in changes] == [ChangeKind.STATUS]


def test_a_watch_started_from_a_dashboard_waits_before_its_first_poll(kind: str) -> None:
    with scripted(dashboard_reply(1, max_age=40), dashboard_reply(3, max_age=40)) as server:
        with StatusClient(server.url, user_agent=AGENT) as client:
            since = client.dashboard()
        changes, pauses, _ = run_watch(kind, server.url, since=since, max_polls=1)
    assert pauses == pytest.approx([42.0])
    assert [(c.kind, c.after.status_code if c.after else None) for c in changes] == [
        (ChangeKind.STATUS, StatusCode.UNKNOWN)
    ]


def test_a_watch_on_an_environment_that_does_not_exist_ends_with_not_found(kind: str) -> None:
    with (
        scripted(dashboard_reply(1, max_age=1), Reply(404, b"")) as server,
        pytest.raises(NotFound),
    ):
        run_watch(kind, server.url, max_polls=5)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "error", "requests_per_poll"),
    [(429, RateLimited, 1), (503, ServiceUnavailable, 3)],
)
def test_a_refusal_without_retry_after_is_waited_out_at_the_polling_pace(
    kind: str, status: int, error: type[Exception], requests_per_poll: int
) -> None:
    with scripted(Reply(status, b"")) as server:
        _, pauses, failures = run_watch(kind, server.url, max_polls=2)
    # No Retry-After and no max-age seen yet: the default 15 s interval outlasts the backoff.
    assert failures == [(error.__name__, 15.0)] * 2
    assert pauses == [15.0]
    # Within one call a 503 is retried (twice) and a 429 never is.
    assert len(server.requests) == 2 * requests_per_poll


def test_a_watch_started_right_after_a_429_first_waits_out_its_retry_after() -> None:
    replies = (Reply(429, b"", {"Retry-After": "30"}), dashboard_reply(1, max_age=15))
    pauses: list[float] = []
    with scripted(*replies) as server, StatusClient(server.url, user_agent=AGENT) as client:
        with pytest.raises(RateLimited):
            client.dashboard()
        list(client.watch(max_polls=1, sleep=pauses.append))
    (pause,) = pauses
    assert 29 < pause <= 30
    assert len(server.requests) == 2  # the watch's poll went out, after the wait


def test_an_async_watch_started_right_after_a_503_first_waits_out_its_retry_after() -> None:
    replies = (Reply(503, b"", {"Retry-After": "40"}), dashboard_reply(1, max_age=15))
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    async def scenario(url: str) -> None:
        async with AsyncStatusClient(url, user_agent=AGENT, retries=0) as client:
            with pytest.raises(ServiceUnavailable):
                await client.dashboard()
            async for _ in client.watch(max_polls=1, sleep=sleep):
                pass

    with scripted(*replies) as server:
        asyncio.run(asyncio.wait_for(scenario(server.url), WATCH_LIMIT_S))
    (pause,) = pauses
    assert 39 < pause <= 40
    assert len(server.requests) == 2
