"""Every fault over real HTTP does exactly what it says, measured with the client's own clock
and bounded by its own timeouts."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from integration.simulator.simulators import (
    SLOW_DELAY_S,
    RunningSimulator,
    problem_of,
    running_simulator,
)
from status_dashboard.service.simulator.changing import NOT_MODIFIED_EVERY

from support.contract import contract_violations
from support.server import CONFORMING_AGENT

MARGIN_S = 2.0


def _timed(simulator: RunningSimulator, path: str, **params: str) -> tuple[httpx.Response, float]:
    with simulator.client() as client:
        started = time.monotonic()
        response = client.get(path, params=params)
        return response, time.monotonic() - started


def test_slow_answers_correctly_after_the_delay_it_is_started_with(
    simulator: RunningSimulator,
) -> None:
    response, took = _timed(simulator, "/api/v1/dashboard", scenario="slow")
    assert response.status_code == 200
    assert contract_violations(response.json()) == []
    assert SLOW_DELAY_S <= took < SLOW_DELAY_S + MARGIN_S


@pytest.mark.parametrize("delay", ["0", "0.5", "2"])
def test_slow_answers_after_the_delay_a_request_asks_for(
    simulator: RunningSimulator, delay: str
) -> None:
    response, took = _timed(simulator, "/scenarios/slow/api/v1/dashboard/int", delay=delay)
    assert response.status_code == 200
    assert float(delay) <= took < float(delay) + MARGIN_S


@pytest.mark.parametrize("delay", ["abc", "-1", "121", "nan", ""])
def test_a_delay_out_of_bounds_is_a_400_problem_naming_delay(
    simulator: RunningSimulator, delay: str
) -> None:
    response, took = _timed(simulator, "/api/v1/dashboard", scenario="slow", delay=delay)
    problem = problem_of(response, 400)
    assert "'delay'" in str(problem["detail"])
    assert [issue["name"] for issue in problem["issues"]] == ["delay"]  # type: ignore[attr-defined]
    assert took < MARGIN_S


def test_timeout_gives_no_answer_within_the_clients_timeout(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/v1/dashboard", params={"scenario": "timeout"}, timeout=3.0)
        assert time.monotonic() - started >= 3.0
        # The simulator is not stuck: the next request is answered at once.
        assert client.get("/api/v1/dashboard").status_code == 200


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    """A simulator started with other durations: `timeout` held 1.5 s, Retry-After 3 s,
    max-age 2 s."""
    directory = tmp_path_factory.mktemp("tuned")
    arguments = ("--timeout-hold", "1.5", "--retry-after", "3", "--max-age", "2")
    with running_simulator(directory, *arguments) as running:
        yield running


def test_timeout_ends_a_request_still_waiting_after_its_hold_with_a_504_problem(
    tuned: RunningSimulator,
) -> None:
    response, took = _timed(tuned, "/api/v1/dashboard", scenario="timeout")
    problem_of(response, 504)
    assert 1.5 <= took < 1.5 + MARGIN_S
    assert "x-simulator-conformance" in response.headers


@pytest.mark.parametrize("scenario", ["unavailable-503", "rate-limited-429"])
def test_the_retry_after_a_simulator_is_started_with_is_the_one_it_sends(
    tuned: RunningSimulator, scenario: str
) -> None:
    response, _ = _timed(tuned, "/api/v1/dashboard", scenario=scenario)
    assert response.headers["retry-after"] == "3"


def test_the_max_age_a_simulator_is_started_with_is_the_one_it_sends(
    tuned: RunningSimulator,
) -> None:
    response, _ = _timed(tuned, "/api/v1/dashboard")
    assert response.headers["cache-control"] == "public, max-age=2"


def test_error_500_is_a_problem_that_shows_only_its_instance(simulator: RunningSimulator) -> None:
    response, _ = _timed(simulator, "/api/v1/dashboard", scenario="error-500")
    problem = problem_of(response, 500)
    assert "detail" not in problem
    assert response.headers["x-simulator-scenario"] == "error-500"


@pytest.mark.parametrize(
    ("scenario", "status", "retry_after"),
    [("unavailable-503", 503, "20"), ("rate-limited-429", 429, "30")],
)
def test_a_503_and_a_429_carry_retry_after(
    simulator: RunningSimulator, scenario: str, status: int, retry_after: str
) -> None:
    response, _ = _timed(simulator, "/api/v1/dashboard", scenario=scenario)
    problem_of(response, status)
    assert response.headers["retry-after"] == retry_after
    chosen, _ = _timed(simulator, "/api/v1/dashboard", scenario=scenario, retry_after="2")
    assert chosen.headers["retry-after"] == "2"


@pytest.mark.parametrize("value", ["soon", "1.5", "-2", "3601"])
def test_a_retry_after_out_of_bounds_is_a_400_problem_naming_it(
    simulator: RunningSimulator, value: str
) -> None:
    response, _ = _timed(
        simulator, "/api/v1/dashboard", scenario="rate-limited-429", retry_after=value
    )
    assert "'retry_after'" in str(problem_of(response, 400)["detail"])


def test_not_modified_answers_304_until_its_body_changes(simulator: RunningSimulator) -> None:
    with simulator.client(user_agent="etagProduct/1.0 Technical/3.19.0") as client:
        first = client.get("/api/v1/dashboard", params={"scenario": "not-modified"})
        etag = first.headers["etag"]
        statuses = [
            client.get(
                "/api/v1/dashboard",
                params={"scenario": "not-modified"},
                headers={"If-None-Match": etag},
            )
            for _ in range(NOT_MODIFIED_EVERY)
        ]
    assert first.status_code == 200
    assert [r.status_code for r in statuses] == [304] * (NOT_MODIFIED_EVERY - 1) + [200]
    assert statuses[-1].headers["etag"] != etag
    assert contract_violations(statuses[-1].json()) == []


def test_flapping_changes_one_items_status_on_every_call(simulator: RunningSimulator) -> None:
    with simulator.client(user_agent="flapProduct/1.0 Technical/3.19.0") as client:
        documents = [
            client.get("/api/v1/dashboard/acc", params={"scenario": "flapping"}).json()
            for _ in range(4)
        ]
    codes = [
        {i["id"]: i["status_code"] for g in d["groups"] for i in g["items"]} for d in documents
    ]
    for before, after in itertools.pairwise(codes):
        assert len([key for key in before if before[key] != after[key]]) == 1


def _raw_get(simulator: RunningSimulator, path: str) -> tuple[bytes, bytes]:
    """The head and the body bytes of one answer, read until the server closes."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {CONFORMING_AGENT}\r\n"
        "Accept: application/json\r\nConnection: close\r\n\r\n"
    ).encode()
    chunks = []
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=5) as connection:
        connection.sendall(request)
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return head, body


def test_truncated_body_announces_the_whole_length_but_sends_half(
    simulator: RunningSimulator,
) -> None:
    head, body = _raw_get(simulator, "/api/v1/dashboard?scenario=truncated-body")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    announced = int(headers["content-length"])
    assert 0 < len(body) < announced
    assert len(body) == announced // 2
    assert "x-simulator-conformance" in headers
    with simulator.client() as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v1/dashboard", params={"scenario": "truncated-body"})
        head = client.head("/api/v1/dashboard", params={"scenario": "truncated-body"})
    assert head.status_code == 200
    assert head.headers["content-length"] == str(announced)


def test_invalid_json_is_a_200_json_answer_that_does_not_parse(
    simulator: RunningSimulator,
) -> None:
    response, _ = _timed(simulator, "/api/v1/dashboard", scenario="invalid-json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content.startswith(b'{"groups":')
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_wrong_content_type_serves_a_valid_dashboard_as_html(
    simulator: RunningSimulator,
) -> None:
    response, _ = _timed(simulator, "/api/v1/dashboard", scenario="wrong-content-type")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert contract_violations(orjson.loads(response.content)) == []


def test_new_item_brings_in_an_id_on_the_next_call_of_the_same_client(
    simulator: RunningSimulator,
) -> None:
    def ids(response: httpx.Response) -> set[str]:
        return {i["id"] for g in response.json()["groups"] for i in g["items"]}

    with (
        simulator.client(user_agent="newProduct/1.0 Technical/3.19.0") as mine,
        simulator.client(user_agent="otherProduct/1.0 Technical/3.19.0") as theirs,
    ):
        first = mine.get("/api/v1/dashboard", params={"scenario": "new-item"})
        second = mine.get("/api/v1/dashboard", params={"scenario": "new-item"})
        others_first = theirs.get("/api/v1/dashboard", params={"scenario": "new-item"})
    assert len(ids(second) - ids(first)) == 1
    assert ids(others_first) == ids(first)


def test_the_simulator_keeps_serving_after_every_fault(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        assert client.get("/health").status_code == 200
    assert simulator.process.poll() is None


def test_stopping_the_simulator_answers_the_requests_it_holds_at_once(tmp_path: Path) -> None:
    answers: list[httpx.Response] = []
    with running_simulator(tmp_path) as running:

        def held() -> None:
            with running.client() as client:
                answers.append(
                    client.get("/api/v1/dashboard", params={"scenario": "timeout"}, timeout=30)
                )

        waiting = threading.Thread(target=held)
        waiting.start()
        time.sleep(0.5)
        started = time.monotonic()
        assert running.stop() == 0
        took = time.monotonic() - started
        waiting.join(timeout=10)
    assert took < 5.0
    assert [answer.status_code for answer in answers] == [504]
