"""The SDK against real loopback servers that misbehave on purpose: what is raised, how long
the call waited, and how many requests it sent — for the sync and the async client alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from integration.probes.servers import refused_port, silent_port
from integration.sdk.scripted import JSON, Reply, ScriptedServer, body_of, dashboard_reply, scripted
from integration.sdk.sessions import Session, open_session
from status_dashboard.sdk import (
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    StatusCode,
    Timeout,
    TransportError,
)

PROBLEM_404 = (
    b'{"type":"urn:problem-type:belgif:resourceNotFound","title":"Not Found","status":404,'
    b'"detail":"No dashboard for environment \'xyz\'","instance":"urn:uuid:0"}'
)
LATE_MARGIN_S = 0.5
"""How far past its deadline a call may return on a loaded machine."""


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    elapsed: list[float] = []
    started = time.monotonic()
    try:
        yield elapsed
    finally:
        elapsed.append(time.monotonic() - started)


@contextmanager
def serving(
    kind: str, *replies: Reply, **settings: Any
) -> Iterator[tuple[ScriptedServer, Session]]:
    """A scripted server, and a client of `kind` for it."""
    with scripted(*replies) as server, open_session(kind, server.url, **settings) as client:
        yield server, client


def test_a_dashboard_is_fetched_with_the_cookbooks_headers(kind: str) -> None:
    with serving(kind, dashboard_reply(1, 2, etag='"v1"')) as (server, client):
        dashboard = client.dashboard()
    assert [i.status_code for i in dashboard.items()] == [
        StatusCode.OPERATIONAL,
        StatusCode.DISRUPTED,
    ]
    (request,) = server.requests
    assert request.path == "/api/v1/dashboard"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "statusDashboardTests/1.0 status-dashboard-sdk/test"
    assert "If-None-Match" not in request.headers


def test_a_304_returns_the_copy_already_parsed_without_reading_anything_new(kind: str) -> None:
    # The 304 says text/html: were it read as a fresh answer, it would be refused as not JSON.
    not_modified = Reply(
        304, headers={"ETag": '"v1"', "Cache-Control": "max-age=60", "Content-Type": "text/html"}
    )
    with serving(kind, dashboard_reply(1, 2, etag='"v1"'), not_modified) as (server, client):
        first = client.dashboard()
        second = client.dashboard()
    assert second.groups is first.groups
    assert second.items()[1] is first.items()[1]
    assert (second.max_age, second.etag, second.raw) == (60, '"v1"', first.raw)
    assert second.fetched_at >= first.fetched_at
    assert server.requests[1].headers["If-None-Match"] == '"v1"'


def test_last_modified_is_sent_back_as_if_modified_since(kind: str) -> None:
    stamped = Reply(200, body_of(1), {**JSON, "Last-Modified": "Fri, 09 May 2025 06:55:00 GMT"})
    with serving(kind, stamped, Reply(304)) as (server, client):
        first = client.dashboard()
        assert client.dashboard().groups is first.groups
    assert server.requests[1].headers["If-Modified-Since"] == "Fri, 09 May 2025 06:55:00 GMT"


def test_each_environment_keeps_its_own_etag(kind: str) -> None:
    replies = (dashboard_reply(1, etag='"prod"'), dashboard_reply(2, etag='"acc"'), Reply(304))
    with serving(kind, *replies) as (server, client):
        client.dashboard()
        acc = client.dashboard("acc")
        assert client.dashboard("acc").groups is acc.groups
    assert [r.path for r in server.requests] == [
        "/api/v1/dashboard",
        "/api/v1/dashboard/acc",
        "/api/v1/dashboard/acc",
    ]
    assert server.requests[2].headers["If-None-Match"] == '"acc"'


def test_a_429_is_raised_at_once_with_its_retry_after(kind: str) -> None:
    with (
        serving(kind, Reply(429, b"", {"Retry-After": "30"})) as (server, client),
        stopwatch() as elapsed,
        pytest.raises(RateLimited) as limited,
    ):
        client.dashboard()
    assert limited.value.retry_after == 30.0
    assert len(server.requests) == 1
    assert elapsed[0] < 1.0


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, ServiceUnavailable)])
def test_no_call_asks_again_before_the_retry_after_has_passed(
    kind: str, status: int, error: type[RateLimited | ServiceUnavailable]
) -> None:
    replies = (Reply(status, b"", {"Retry-After": "2"}), dashboard_reply(1))
    with serving(kind, *replies, timeout=1) as (server, client):
        with pytest.raises(error):
            client.dashboard()
        with stopwatch() as elapsed, pytest.raises(error) as early:
            client.dashboard()  # too soon: raised here, nothing sent
        assert elapsed[0] < 0.5
        assert early.value.retry_after is not None
        assert 0 < early.value.retry_after <= 2
        assert len(server.requests) == 1
        time.sleep(early.value.retry_after)
        dashboard = client.dashboard()
    assert len(dashboard.items()) == 1
    first, second = server.requests
    assert second.at - first.at >= 2.0


def test_a_503_with_a_short_retry_after_is_waited_out_and_retried(kind: str) -> None:
    replies = (Reply(503, b"", {"Retry-After": "1"}), dashboard_reply(1))
    with serving(kind, *replies, timeout=5) as (server, client):
        dashboard = client.dashboard()
    assert len(dashboard.items()) == 1
    first, second = server.requests
    assert second.at - first.at >= 1.0


def test_a_503_whose_retry_after_outlasts_the_deadline_is_raised_at_once(kind: str) -> None:
    with (
        serving(kind, Reply(503, b"", {"Retry-After": "120"}), timeout=5) as (server, client),
        stopwatch() as elapsed,
        pytest.raises(ServiceUnavailable) as unavailable,
    ):
        client.dashboard()
    assert unavailable.value.retry_after == 120.0
    assert len(server.requests) == 1
    assert elapsed[0] < 1.0


def test_bad_gateways_are_retried_twice_with_growing_pauses_then_raised(kind: str) -> None:
    bad_gateway = Reply(502, b"bad gateway", {"Content-Type": "text/plain"})
    with serving(kind, bad_gateway) as (server, client), pytest.raises(ServerError) as failed:
        client.dashboard()
    assert failed.value.status_code == 502
    first, second, third = (r.at for r in server.requests)
    assert second - first >= 0.125
    assert third - second >= 0.25


def test_a_client_without_retries_asks_once(kind: str) -> None:
    with serving(kind, Reply(504, b""), retries=0) as (server, client), pytest.raises(ServerError):
        client.dashboard()
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "error", "detail"),
    [
        (Reply(500, b"", {}), ServerError, "500 Internal Server Error from"),
        (Reply(404, PROBLEM_404, {"Content-Type": "application/problem+json"}), NotFound, "No dashboard for environment 'xyz'"),
        (Reply(200, b"{not json", JSON), ProtocolError, "the body is not JSON"),
        (Reply(200, b"<html></html>", {"Content-Type": "text/html"}), ProtocolError, "the answer is text/html, not application/json"),
        (Reply(200, b'{"groups": [{"id": "g"}]}', JSON), ProtocolError, "groups[0].name: is missing"),
    ],
)  # fmt: skip
def test_errors_no_retry_can_mend_are_raised_after_one_request(
    kind: str, reply: Reply, error: type[Exception], detail: str
) -> None:
    with serving(kind, reply) as (server, client), pytest.raises(error) as raised:
        client.dashboard()
    assert detail in str(raised.value)
    assert len(server.requests) == 1


def test_a_truncated_body_is_retried_and_a_whole_one_is_read(kind: str) -> None:
    cut = Reply(200, body_of(1, 2), JSON, cut_after=20)
    with serving(kind, cut, dashboard_reply(1, 2)) as (server, client):
        assert len(client.dashboard().items()) == 2
    assert len(server.requests) == 2


def test_a_body_cut_short_every_time_is_a_truncated_protocol_error(kind: str) -> None:
    cut = Reply(200, body_of(1, 2), JSON, cut_after=20)
    with serving(kind, cut) as (server, client), pytest.raises(ProtocolError) as refused:
        client.dashboard()
    assert refused.value.truncated
    assert "the body was cut short" in str(refused.value)
    assert len(server.requests) == 3


def test_a_body_larger_than_any_dashboard_is_refused(kind: str) -> None:
    huge = Reply(200, b'{"groups": [' + b" " * (9 * 1024 * 1024) + b"]}", JSON)
    with (
        serving(kind, huge) as (server, client),
        pytest.raises(ProtocolError, match="the body is larger than 8388608 bytes"),
    ):
        client.dashboard()
    assert len(server.requests) == 1


def test_a_redirect_is_followed(kind: str) -> None:
    moved = Reply(301, b"", {"Location": "/api/v1/dashboard/prod"})
    with serving(kind, moved, dashboard_reply(1)) as (server, client):
        assert len(client.dashboard().items()) == 1
    assert [r.path for r in server.requests] == ["/api/v1/dashboard", "/api/v1/dashboard/prod"]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(200, body_of(1), JSON, delay_s=30), id="silent"),
        pytest.param(Reply(200, body_of(1, 2, 3), JSON, body_trickle_s=0.05), id="trickled-body"),
        pytest.param(Reply(200, body_of(1), JSON, head_trickle_s=0.05), id="trickled-head"),
    ],
)
def test_no_server_holds_a_call_past_its_deadline(kind: str, reply: Reply) -> None:
    with (
        serving(kind, reply, timeout=1.0) as (_, client),
        stopwatch() as elapsed,
        pytest.raises(Timeout),
    ):
        client.dashboard()
    assert 0.9 <= elapsed[0] < 1.0 + LATE_MARGIN_S


def test_a_server_that_never_accepts_is_a_timeout_on_time(kind: str) -> None:
    with (
        silent_port() as port,
        open_session(kind, f"http://127.0.0.1:{port}", timeout=1.5) as client,
        stopwatch() as elapsed,
        pytest.raises(Timeout),
    ):
        client.dashboard()
    assert elapsed[0] < 1.5 + LATE_MARGIN_S


def test_a_refused_port_is_a_transport_error_within_a_second(kind: str) -> None:
    with (
        refused_port() as port,
        open_session(kind, f"http://127.0.0.1:{port}") as client,
        stopwatch() as elapsed,
        pytest.raises(TransportError) as refused,
    ):
        client.dashboard()
    assert not isinstance(refused.value, Timeout)
    assert str(refused.value) == f"cannot connect to 127.0.0.1:{port}: Connection refused"
    assert elapsed[0] < 1.0
