"""The conformance verdict over real HTTP: on every answer of the dashboard paths, judged from
what the simulator really answered the same client before (its ETags, max-ages, Retry-Afters,
and whether a request of it is still in flight)."""

from __future__ import annotations

import threading
import time
from itertools import count

import httpx
import pytest

from integration.simulator.simulators import RunningSimulator

_serial = count(1)


def _agent() -> str:
    """A client identity of its own for each test: the book judges every client apart."""
    return f"conformanceTest{next(_serial)}/1.0 Technical/3.19.0"


@pytest.mark.parametrize(
    ("path", "params", "headers", "status"),
    [
        ("/api/v1/dashboard", {}, {}, 200),
        ("/api/v1/dashboard/int", {"scenario": "empty"}, {}, 200),
        ("/api/v1/dashboard/xyz", {}, {}, 404),
        ("/api/v1/dashboard", {"scenario": "nope"}, {}, 404),
        ("/api/v1/dashboard", {}, {"Accept": "text/html"}, 406),
        ("/api/v1/dashboard", {"scenario": "slow", "delay": "x"}, {}, 400),
        ("/api/v1/dashboard", {"scenario": "error-500"}, {}, 500),
        ("/api/v1/dashboard", {"scenario": "unavailable-503"}, {}, 503),
        ("/api/v1/dashboard", {"scenario": "rate-limited-429"}, {}, 429),
        ("/api/v1/dashboard", {"scenario": "invalid-json"}, {}, 200),
        ("/api/v1/dashboard", {"scenario": "wrong-content-type"}, {}, 200),
        ("/api/v1/dashboard", {"scenario": "slow", "delay": "0.2"}, {}, 200),
        ("/api/v1/dashboard", {"scenario": "flapping"}, {}, 200),
    ],
)
def test_every_dashboard_answer_carries_the_conformance_verdict(
    simulator: RunningSimulator,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    status: int,
) -> None:
    with simulator.client(user_agent=_agent()) as client:
        response = client.get(path, params=params, headers=headers)
    assert response.status_code == status
    verdict = response.headers["x-simulator-conformance"]
    assert verdict == "pass" or verdict.startswith(("warn; ", "fail; ")), verdict


def test_a_client_that_does_what_the_cookbook_asks_passes(simulator: RunningSimulator) -> None:
    with simulator.client(user_agent=_agent()) as client:
        response = client.get("/api/v1/dashboard")
    assert response.headers["x-simulator-conformance"] == "pass"


def test_a_client_without_user_agent_or_accept_fails_on_both(simulator: RunningSimulator) -> None:
    with httpx.Client(base_url=simulator.url, timeout=10) as client:
        del client.headers["User-Agent"]
        response = client.get("/api/v1/dashboard", headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert response.headers["x-simulator-conformance"] == "fail; user-agent, accept"


def test_asking_again_at_once_without_the_etag_earns_warnings(
    simulator: RunningSimulator,
) -> None:
    with simulator.client(user_agent=_agent()) as client:
        first = client.get("/api/v1/dashboard/acc", params={"scenario": "mixed"})
        careless = client.get("/api/v1/dashboard/acc", params={"scenario": "mixed"})
        conditional = client.get(
            "/api/v1/dashboard/acc",
            params={"scenario": "mixed"},
            headers={"If-None-Match": first.headers["etag"]},
        )
    assert careless.headers["x-simulator-conformance"] == (
        "warn; poll-interval, conditional-requests"
    )
    assert conditional.status_code == 304
    assert conditional.headers["x-simulator-conformance"] == "warn; poll-interval"


def test_asking_again_before_retry_after_fails(simulator: RunningSimulator) -> None:
    with simulator.client(user_agent=_agent()) as client:
        refused = client.get("/api/v1/dashboard", params={"scenario": "rate-limited-429"})
        again = client.get("/api/v1/dashboard", params={"scenario": "rate-limited-429"})
    assert refused.headers["x-simulator-conformance"] == "pass"
    assert "retry-after" in again.headers["x-simulator-conformance"]


def test_a_request_while_another_is_in_flight_is_a_burst(simulator: RunningSimulator) -> None:
    agent = _agent()
    answers: list[httpx.Response] = []

    def slow_request() -> None:
        with simulator.client(user_agent=agent) as client:
            answers.append(
                client.get("/api/v1/dashboard", params={"scenario": "slow", "delay": "2"})
            )

    waiting = threading.Thread(target=slow_request)
    waiting.start()
    time.sleep(0.5)
    with simulator.client(user_agent=agent) as client:
        meanwhile = client.get("/api/v1/dashboard/int")
    waiting.join(timeout=10)
    assert answers[0].status_code == 200
    assert "no-parallel-bursts" in meanwhile.headers["x-simulator-conformance"]


def test_a_client_that_gave_up_on_timeout_has_nothing_in_flight_any_more(
    simulator: RunningSimulator,
) -> None:
    agent = _agent()
    with simulator.client(user_agent=agent) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/api/v1/dashboard", params={"scenario": "timeout"}, timeout=1.0)
    time.sleep(0.5)  # the simulator hears the connection close
    with simulator.client(user_agent=agent) as client:
        after = client.get("/api/v1/dashboard/int")
    assert "no-parallel-bursts" not in after.headers["x-simulator-conformance"]
    with simulator.client(user_agent=agent) as client:
        report = client.get("/api/v1/simulator/report", params={"user_agent": agent}).json()
    statuses = [entry["status"] for entry in report["recent_requests"]]
    assert 499 in statuses


def test_other_paths_are_not_judged(simulator: RunningSimulator) -> None:
    with simulator.client(user_agent=_agent()) as client:
        listing = client.get("/api/v1/simulator/scenarios")
    assert listing.status_code == 200
    assert "x-simulator-conformance" not in listing.headers
