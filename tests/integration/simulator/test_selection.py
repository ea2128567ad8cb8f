"""Choosing a scenario over real HTTP: a path prefix beats the query parameter, which beats the
header, which beats the default; every answer says which scenario it played."""

from __future__ import annotations

import pytest

from integration.simulator.simulators import RunningSimulator, problem_of
from status_dashboard.service.simulator.scenarios import NAMES


@pytest.mark.parametrize(
    ("path", "query", "header", "played"),
    [
        ("/scenarios/empty/api/v1/dashboard", "large", "all-unknown", "empty"),
        ("/api/v1/dashboard", "large", "all-unknown", "large"),
        ("/api/v1/dashboard", None, "all-unknown", "all-unknown"),
        ("/api/v1/dashboard", None, None, "timeline"),
    ],
)
def test_the_prefix_beats_the_query_which_beats_the_header_which_beats_the_default(
    simulator: RunningSimulator, path: str, query: str | None, header: str | None, played: str
) -> None:
    params = {"scenario": query} if query else {}
    headers = {"X-Simulator-Scenario": header} if header else {}
    with simulator.client() as client:
        response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["x-simulator-scenario"] == played
    groups = response.json()["groups"]
    if played == "empty":
        assert groups == []
    elif played == "large":
        assert len(groups) == 50
    elif played == "all-unknown":
        assert {g["status_code"] for g in groups} == {3}


@pytest.mark.parametrize(
    ("path", "params", "headers", "place"),
    [
        ("/scenarios/nope/api/v1/dashboard", {}, {}, "path"),
        ("/api/v1/dashboard", {"scenario": "nope"}, {}, "query parameter 'scenario'"),
        ("/api/v1/dashboard", {}, {"X-Simulator-Scenario": "nope"}, "X-Simulator-Scenario"),
        ("/scenarios/nope/api/v1/dashboard", {"scenario": "empty"}, {}, "path"),
    ],
)
def test_an_unknown_scenario_is_a_404_naming_it_where_it_was_asked_and_listing_all(
    simulator: RunningSimulator,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    place: str,
) -> None:
    with simulator.client() as client:
        response = client.get(path, params=params, headers=headers)
    detail = str(problem_of(response, 404)["detail"])
    assert "'nope'" in detail
    assert place in detail
    assert all(name in detail for name in NAMES)
    assert response.headers["x-simulator-scenario"] == "nope"
    assert "x-simulator-conformance" in response.headers


def test_a_scenario_prefix_works_for_every_environment(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        answers = {
            env: client.get(f"/scenarios/one-disrupted/api/v1/dashboard/{env}")
            for env in ("prod", "acc", "int")
        }
        missing = client.get("/scenarios/one-disrupted/api/v1/dashboard/xyz")
    for answer in answers.values():
        assert answer.status_code == 200
        codes = [i["status_code"] for g in answer.json()["groups"] for i in g["items"]]
        assert codes.count(2) == 1
    problem_of(missing, 404)


def test_a_scenario_prefix_without_a_dashboard_path_is_a_404(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        response = client.get("/scenarios/empty/somewhere")
    problem_of(response, 404)
    assert response.headers["x-simulator-scenario"] == "empty"
