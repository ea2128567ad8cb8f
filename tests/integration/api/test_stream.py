"""The live streams (`GET /api/v1/dashboard[/{env}]/stream`) of a real server: what a client gets
on connect, after an operator's change, between changes, on reconnect, and when the server stops.

The demo runs with `--no-monitor`, so only the tests' own writes change a dashboard, and every
read has a timeout: a stream that goes quiet fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from support.databases import sqlite_database_url
from support.server import CONFORMING_AGENT, RunningServer, running_server

HEARTBEAT_S = 0.5
STREAM_HEADERS = {"User-Agent": CONFORMING_AGENT, "Accept": "text/event-stream"}
READS = httpx.Timeout(5.0)
"""No read waits longer: with heartbeats every 0.5 s, a 5 s silence is a broken stream."""


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: str | None = None
    retry: int | None = None


def _field(event: Event, line: str) -> None:
    name, _, value = line.partition(":")
    value = value.removeprefix(" ")
    if name == "data":
        event.data = value if event.data is None else f"{event.data}\n{value}"
    elif name == "retry":
        event.retry = int(value)
    elif name in ("event", "id"):
        setattr(event, name, value)


def parse(lines: Iterable[str]) -> Iterator[Event]:
    """The events of a text/event-stream, as the HTML standard reads them (comments skipped)."""
    event, seen = Event(), False
    for line in lines:
        if line == "":
            if seen:
                yield event
            event, seen = Event(), False
        elif not line.startswith(":"):
            _field(event, line)
            seen = True


async def aparse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    event, seen = Event(), False
    async for line in lines:
        if line == "":
            if seen:
                yield event
            event, seen = Event(), False
        elif not line.startswith(":"):
            _field(event, line)
            seen = True


def _plain_get(server: RunningServer, path: str) -> httpx.Response:
    """GET without compression: the representation whose ETag and body the stream sends."""
    with server.client() as client:
        return client.get(path, headers={"Accept-Encoding": "identity"})


def _demo_admin_token(server: RunningServer) -> str:
    marker = "demo admin token (Authorization: Bearer ...): "
    return server.log().split(marker, 1)[1].split()[0]


def _serve(directory: Path) -> AbstractContextManager[RunningServer]:
    # Two hundred streams from one address: past the default cap of streams per client.
    env = {
        "STATUS_DASHBOARD_SSE_HEARTBEAT": str(HEARTBEAT_S),
        "STATUS_DASHBOARD_MAX_STREAMS_PER_CLIENT": "1000",
    }
    url = sqlite_database_url(directory)
    return running_server(url, directory, "--demo", "--no-monitor", env=env)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with _serve(tmp_path_factory.mktemp("stream")) as server:
        yield server


@pytest.fixture
def stream_client(live_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, headers=STREAM_HEADERS, timeout=READS) as client:
        yield client


class Operator:
    """Changes a PROD item through the admin API, and puts it back afterwards."""

    def __init__(self, server: RunningServer) -> None:
        self._client = server.client()
        self._client.headers["Authorization"] = f"Bearer {_demo_admin_token(server)}"
        groups = self._client.get("/api/v1/dashboard/prod").json()["groups"]
        self.item_id: str = groups[0]["items"][0]["id"]
        self._path = f"/api/admin/v1/dashboards/prod/items/{self.item_id}"
        self._writes = 0

    def disrupt(self) -> float:
        """Set the item Disrupted with a new description; the moment the write was answered."""
        self._writes += 1
        description = f"Stream test change {self._writes} at {time.time()}"
        response = self._client.patch(
            self._path, json={"status_code": 2, "description": description}
        )
        assert response.status_code == 200, response.text
        return time.monotonic()

    def restore(self) -> None:
        self._client.delete(self._path + "/override")
        self._client.close()


@pytest.fixture
def operator(live_server: RunningServer) -> Iterator[Operator]:
    operator = Operator(live_server)
    yield operator
    operator.restore()


def _dashboard_event(events: Iterator[Event]) -> Event:
    """The next `dashboard` event, passing heartbeats (a bounded number of them)."""
    for _ in range(40):
        event = next(events)
        if event.event == "dashboard":
            return event
    raise AssertionError("no dashboard event among 40 events")


# -- connecting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "dashboard"),
    [
        ("/api/v1/dashboard/stream", "/api/v1/dashboard"),
        ("/api/v1/dashboard/prod/stream", "/api/v1/dashboard/prod"),
        ("/api/v1/dashboard/acc/stream", "/api/v1/dashboard/acc"),
        ("/api/v1/dashboard/int/stream", "/api/v1/dashboard/int"),
    ],
)
def test_a_stream_opens_with_retry_then_the_dashboard_as_get_gives_it(
    live_server: RunningServer, stream_client: httpx.Client, stream: str, dashboard: str
) -> None:
    with stream_client.stream("GET", stream) as response:
        events = parse(response.iter_lines())
        first, initial = next(events), next(events)
        get = _plain_get(live_server, dashboard)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["belgov-trace-id"]
    assert first == Event(retry=5000)
    assert initial.event == "dashboard"
    assert initial.id == get.headers["etag"]
    assert initial.data is not None
    assert initial.data.encode() == get.content
    assert "\n" not in initial.data


def test_the_trace_id_of_the_request_is_echoed(stream_client: httpx.Client) -> None:
    headers = {"BelGov-Trace-Id": "partner-trace-42"}
    with stream_client.stream("GET", "/api/v1/dashboard/stream", headers=headers) as response:
        assert response.headers["belgov-related-trace-id"] == "partner-trace-42"


def test_heartbeats_come_at_the_configured_interval(stream_client: httpx.Client) -> None:
    beats: list[tuple[float, str]] = []
    with stream_client.stream("GET", "/api/v1/dashboard/stream") as response:
        events = parse(response.iter_lines())
        while len(beats) < 3:
            event = next(events)
            if event.event == "heartbeat":
                assert event.id is None  # a heartbeat must not change the client's Last-Event-ID
                beats.append((time.monotonic(), orjson.loads(event.data or "")["at"]))
    stamp = beats[-1][1]
    assert stamp.endswith("Z")
    assert abs((datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()) < 2
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(beats)]
    assert all(HEARTBEAT_S * 0.5 < gap < HEARTBEAT_S * 2 for gap in gaps), gaps


def test_a_client_that_has_the_current_dashboard_is_not_sent_it_again(
    live_server: RunningServer, stream_client: httpx.Client
) -> None:
    etag = _plain_get(live_server, "/api/v1/dashboard/acc").headers["etag"]
    for last_event_id in (etag, etag.strip('"')):
        headers = {"Last-Event-ID": last_event_id}
        with stream_client.stream("GET", "/api/v1/dashboard/acc/stream", headers=headers) as r:
            events = parse(r.iter_lines())
            assert next(events) == Event(retry=5000)
            assert next(events).event == "heartbeat"


def test_a_client_with_an_old_event_id_gets_the_current_dashboard(
    stream_client: httpx.Client,
) -> None:
    headers = {"Last-Event-ID": '"an-old-etag"'}
    with stream_client.stream("GET", "/api/v1/dashboard/acc/stream", headers=headers) as r:
        events = parse(r.iter_lines())
        next(events)
        assert next(events).event == "dashboard"


# -- changes ------------------------------------------------------------------------------------


def test_an_operator_change_arrives_as_a_new_event_within_a_second(
    live_server: RunningServer, stream_client: httpx.Client, operator: Operator
) -> None:
    with stream_client.stream("GET", "/api/v1/dashboard/prod/stream") as response:
        events = parse(response.iter_lines())
        initial = _dashboard_event(events)
        written = operator.disrupt()
        changed = _dashboard_event(events)
        arrived = time.monotonic()
    get = _plain_get(live_server, "/api/v1/dashboard/prod")
    assert arrived - written < 1.0
    assert changed.id != initial.id
    assert (changed.id, changed.data) == (get.headers["etag"], get.text)
    item = orjson.loads(changed.data or "")["groups"][0]["items"][0]
    assert (item["id"], item["status_code"]) == (operator.item_id, 2)


def test_a_change_in_one_environment_is_not_sent_to_the_streams_of_another(
    stream_client: httpx.Client, operator: Operator
) -> None:
    with stream_client.stream("GET", "/api/v1/dashboard/acc/stream") as response:
        events = parse(response.iter_lines())
        _dashboard_event(events)
        operator.disrupt()  # a PROD item
        later = [next(events) for _ in range(3)]  # 1 to 1.5 s of heartbeats
    assert [event.event for event in later] == ["heartbeat"] * 3


async def _take(queue: asyncio.Queue[str], count: int) -> list[str]:
    return [await queue.get() for _ in range(count)]


def test_two_hundred_streams_all_get_a_change(
    live_server: RunningServer, operator: Operator
) -> None:
    count = 200

    async def follow(client: httpx.AsyncClient, opened: asyncio.Queue[str]) -> float:
        async with client.stream("GET", "/api/v1/dashboard/stream") as response:
            events = aparse(response.aiter_lines())
            initial: str | None = None
            async for event in events:
                if event.event != "dashboard":
                    continue
                if initial is None:
                    initial = event.id
                    await opened.put(event.id or "")
                elif event.id != initial:
                    return time.monotonic()
        raise AssertionError("the stream ended without the change")

    async def scenario() -> tuple[float, list[float]]:
        limits = httpx.Limits(max_connections=count + 10)
        async with httpx.AsyncClient(
            base_url=live_server.url, headers=STREAM_HEADERS, timeout=READS, limits=limits
        ) as client:
            opened: asyncio.Queue[str] = asyncio.Queue()
            followers = [asyncio.create_task(follow(client, opened)) for _ in range(count)]
            initial = await asyncio.wait_for(_take(opened, count), 15)
            assert len(set(initial)) == 1, "every stream started from the same dashboard"
            written = await asyncio.to_thread(operator.disrupt)
            arrivals = await asyncio.wait_for(asyncio.gather(*followers), 10)
        return written, arrivals

    written, arrivals = asyncio.run(scenario())
    delays = sorted(arrival - written for arrival in arrivals)
    assert len(delays) == count
    assert delays[-1] < 1.0, f"slowest {delays[-1]:.3f} s, median {delays[count // 2]:.3f} s"


# -- refusals -----------------------------------------------------------------------------------


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["belgov-trace-id"]
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/dashboard/nowhere/stream", "/api/v1/dashboard/prod/x/stream"]
)
def test_an_unknown_environment_is_a_404(stream_client: httpx.Client, path: str) -> None:
    _problem(stream_client.get(path), 404)


@pytest.mark.parametrize("accept", ["application/json", "text/html", "text/event-stream;q=0"])
def test_an_accept_without_event_streams_is_a_406(stream_client: httpx.Client, accept: str) -> None:
    body = _problem(stream_client.get("/api/v1/dashboard/stream", headers={"Accept": accept}), 406)
    assert "text/event-stream" in str(body["detail"])


def test_a_strict_environment_refuses_a_nonconforming_user_agent(
    stream_client: httpx.Client,
) -> None:
    response = stream_client.get("/api/v1/dashboard/int/stream", headers={"User-Agent": "curl/8"})
    body = _problem(response, 400)
    assert "User-Agent" in str(body["issues"])


def test_a_stream_takes_only_get_head_and_a_cors_preflight(stream_client: httpx.Client) -> None:
    _problem(stream_client.post("/api/v1/dashboard/stream"), 405)
    head = stream_client.head("/api/v1/dashboard/stream")
    preflight = stream_client.options("/api/v1/dashboard/stream")
    assert (head.status_code, head.headers["content-type"], head.content) == (
        200,
        "text/event-stream",
        b"",
    )
    assert preflight.status_code == 204
    assert "Last-Event-ID" in preflight.headers["access-control-allow-headers"]
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_the_dashboard_path_is_unchanged_beside_the_streams(live_server: RunningServer) -> None:
    with live_server.client() as client:
        response = client.get("/api/v1/dashboard/prod")
    assert response.headers["content-type"] == "application/json"


# -- stopping -----------------------------------------------------------------------------------


def test_the_server_stops_promptly_with_streams_open(tmp_path: Path) -> None:
    limits = httpx.Limits(max_connections=40)
    with (
        _serve(tmp_path) as server,
        httpx.Client(
            base_url=server.url, headers=STREAM_HEADERS, timeout=READS, limits=limits
        ) as client,
    ):
        streams = [client.stream("GET", "/api/v1/dashboard/stream") for _ in range(30)]
        readers = [parse(stream.__enter__().iter_lines()) for stream in streams]
        for events in readers:
            assert next(events) == Event(retry=5000)
            assert next(events).event == "dashboard"
        # A third of the clients leave first: the server must notice, though it never sends
        # to them again, and count only the 20 that stay when it stops.
        for stream in streams[20:]:
            stream.__exit__(None, None, None)
        time.sleep(0.3)
        asked = time.monotonic()
        code = server.stop()
        stopped = time.monotonic() - asked
        # Every stream that stayed ends cleanly, after at most the heartbeats on their way.
        for events in readers[:20]:
            assert all(event.event == "heartbeat" for event in events)
        for stream in streams[:20]:
            stream.__exit__(None, None, None)
    assert code == 0, server.log()
    assert stopped < 5.0, f"stopping took {stopped:.2f} s"
    assert "event=streams_closed streams=20" in server.log()
