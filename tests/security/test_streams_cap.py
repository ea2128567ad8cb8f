"""Live streams per client address (`max_streams_per_client`, 20 by default) on a real server:
the 21st is refused with 429 and Retry-After, the 20 open ones go on, and closing one frees a
place."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import httpx
import pytest

from support.databases import sqlite_database_url
from support.server import CONFORMING_AGENT, RunningServer, running_server

STREAM = "/api/v1/dashboard/stream"
HEADERS = {"User-Agent": CONFORMING_AGENT, "Accept": "text/event-stream"}
CAP = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    directory = tmp_path_factory.mktemp("streams")
    env = {"STATUS_DASHBOARD_SSE_HEARTBEAT": "0.3"}
    with running_server(
        sqlite_database_url(directory), directory, "--demo", "--no-monitor", env=env
    ) as running:
        yield running


async def _open(client: httpx.AsyncClient, stack: AsyncExitStack) -> httpx.Response:
    return await stack.enter_async_context(client.stream("GET", STREAM, headers=HEADERS))


Lines = dict[int, AsyncIterator[str]]


async def _next_event(response: httpx.Response, lines: Lines) -> str:
    """The name of the stream's next event (a read waits 5 s at most: heartbeats are 0.3 s)."""
    iterator = lines.setdefault(id(response), response.aiter_lines())
    while True:
        line = await asyncio.wait_for(anext(iterator), 5.0)
        if line.startswith("event: "):
            return line.removeprefix("event: ")


async def _scenario(url: str) -> None:
    limits = httpx.Limits(max_connections=CAP + 5)
    async with (
        httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as client,
        AsyncExitStack() as stack,
    ):
        streams = [await _open(client, stack) for _ in range(CAP)]
        assert [s.status_code for s in streams] == [200] * CAP
        lines: Lines = {}
        for stream in streams:
            assert await _next_event(stream, lines) == "dashboard"

        refused = await client.get(STREAM, headers=HEADERS)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        assert f"At most {CAP} live streams" in refused.json()["detail"]

        # The open streams are not disturbed: each still gets its heartbeats.
        for stream in streams:
            assert await _next_event(stream, lines) in ("heartbeat", "dashboard")

        await streams[0].aclose()
        deadline = time.monotonic() + 10
        async with AsyncExitStack() as again:
            while True:  # the server notices the closed connection a moment later
                reopened = await _open(client, again)
                if reopened.status_code == 200 or time.monotonic() > deadline:
                    break
                await reopened.aclose()
                await asyncio.sleep(0.1)
            assert reopened.status_code == 200
            assert await _next_event(reopened, lines) == "dashboard"


def test_the_21st_stream_of_a_client_is_429_and_closing_one_frees_a_place(
    server: RunningServer,
) -> None:
    asyncio.run(_scenario(server.url))


def test_other_answers_are_not_limited_by_open_streams(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        assert client.get("/api/v1/dashboard", headers={"User-Agent": CONFORMING_AGENT}).is_success


async def _behind_a_proxy(url: str) -> None:
    """The test's own address is loopback, a trusted proxy by default: the streams it forwards
    for one client are that client's, and another client it names has places of its own."""
    limits = httpx.Limits(max_connections=CAP + 5)
    first = {**HEADERS, "X-Forwarded-For": "198.51.100.7"}
    other = {**HEADERS, "X-Forwarded-For": "198.51.100.8"}
    async with (
        httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as client,
        AsyncExitStack() as stack,
    ):
        streams = [
            await stack.enter_async_context(client.stream("GET", STREAM, headers=first))
            for _ in range(CAP)
        ]
        assert [s.status_code for s in streams] == [200] * CAP
        assert (await client.get(STREAM, headers=first)).status_code == 429
        another = await stack.enter_async_context(client.stream("GET", STREAM, headers=other))
        assert another.status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_streams(
    server: RunningServer,
) -> None:
    asyncio.run(_behind_a_proxy(server.url))
