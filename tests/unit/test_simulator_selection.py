"""How a request of the simulator chooses its scenario, its environment and a fault's duration."""

from __future__ import annotations

import pytest

from status_dashboard.api.simulator.selection import (
    Source,
    environment_of,
    seconds_parameter,
    select,
)

KNOWN = frozenset({"prod", "acc", "int"})


@pytest.mark.parametrize(
    ("path", "query", "header", "scenario", "source", "dashboard_path"),
    [
        (
            "/scenarios/empty/api/v1/dashboard",
            b"scenario=large",
            "mixed",
            "empty",
            Source.PATH,
            "/api/v1/dashboard",
        ),
        (
            "/scenarios/empty/api/v1/dashboard/int",
            b"",
            None,
            "empty",
            Source.PATH,
            "/api/v1/dashboard/int",
        ),
        (
            "/api/v1/dashboard",
            b"scenario=large",
            "mixed",
            "large",
            Source.QUERY,
            "/api/v1/dashboard",
        ),
        (
            "/api/v1/dashboard",
            b"scenario=large&scenario=empty",
            None,
            "large",
            Source.QUERY,
            "/api/v1/dashboard",
        ),
        (
            "/api/v1/dashboard/acc",
            b"delay=3",
            "mixed",
            "mixed",
            Source.HEADER,
            "/api/v1/dashboard/acc",
        ),
        ("/api/v1/dashboard", b"scenario=", "mixed", "mixed", Source.HEADER, "/api/v1/dashboard"),
        ("/api/v1/dashboard", b"", "", "timeline", Source.DEFAULT, "/api/v1/dashboard"),
        (
            "/api/v1/dashboard",
            b"scenario=no%20such",
            None,
            "no such",
            Source.QUERY,
            "/api/v1/dashboard",
        ),
        ("/scenarios/", b"", None, "", Source.PATH, "/"),
    ],
)
def test_the_path_prefix_beats_the_query_which_beats_the_header_which_beats_the_default(
    path: str,
    query: bytes,
    header: str | None,
    scenario: str,
    source: Source,
    dashboard_path: str,
) -> None:
    selection = select(path, query, header)
    assert (selection.scenario, selection.source, selection.path) == (
        scenario,
        source,
        dashboard_path,
    )


@pytest.mark.parametrize(
    ("name", "header"),
    [("empty", b"empty"), ("no such", b"(invalid)"), ("é", b"(invalid)"), ("x" * 65, b"(invalid)")],
)
def test_the_scenario_header_repeats_only_names_that_can_be_header_values(
    name: str, header: bytes
) -> None:
    assert select("/api/v1/dashboard", b"", name).header_value() == header


@pytest.mark.parametrize("source", ["/scenarios/nope/api/v1/dashboard", "/api/v1/dashboard"])
def test_an_unknown_scenario_is_a_404_naming_it_and_listing_the_known_ones(source: str) -> None:
    problem = select(source, b"scenario=nope", "nope").unknown()
    assert problem.status == 404
    assert problem.detail is not None
    assert "'nope'" in problem.detail
    assert "timeline" in problem.detail
    assert "wrong-content-type" in problem.detail


@pytest.mark.parametrize(
    ("path", "environment", "status"),
    [
        ("/api/v1/dashboard", None, None),
        ("/api/v1/dashboard/prod", "prod", None),
        ("/api/v1/dashboard/int", "int", None),
        ("/api/v1/dashboard/xyz", None, 404),
        ("/api/v1/dashboard/", None, 404),
        ("/api/v1/dashboard/int/extra", None, 404),
        ("/api/v1/dashboards", None, 404),
        ("/", None, 404),
    ],
)
def test_the_path_names_an_environment_or_is_a_404(
    path: str, environment: str | None, status: int | None
) -> None:
    key, problem = environment_of(path, KNOWN)
    assert key == environment
    assert (problem.status if problem else None) == status


@pytest.mark.parametrize(
    ("query", "whole", "expected"),
    [
        ({}, False, 5.0),
        ({"delay": "0"}, False, 0.0),
        ({"delay": "2.5"}, False, 2.5),
        ({"delay": "120"}, False, 120.0),
        ({"delay": "120.5"}, False, None),
        ({"delay": "-1"}, False, None),
        ({"delay": "abc"}, False, None),
        ({"delay": "nan"}, False, None),
        ({"delay": "inf"}, False, None),
        ({"delay": ""}, False, None),
        ({"delay": "7"}, True, 7.0),
        ({"delay": "7.5"}, True, None),
    ],
)
def test_a_fault_duration_comes_from_its_parameter_within_bounds_or_is_a_400_naming_it(
    query: dict[str, str], whole: bool, expected: float | None
) -> None:
    value = seconds_parameter(query, "delay", 5.0, 120.0, whole=whole)
    if expected is None:
        assert not isinstance(value, float)
        assert value.status == 400
        assert value.detail is not None
        assert "'delay'" in value.detail
        assert [issue.name for issue in value.issues] == ["delay"]
        assert value.issues[0].location == "query"
    else:
        assert value == expected
