"""The simulator's dashboards over real HTTP: the v1 contract and its headers, exactly as the
real server answers them, in every environment and every scenario that claims the contract."""

from __future__ import annotations

import gzip
import re
import uuid
from email.utils import format_datetime, parsedate_to_datetime

import brotli
import orjson
import pytest

from integration.simulator.simulators import RunningSimulator, problem_of
from status_dashboard.service.simulator.scenarios import SCENARIOS

from support.contract import contract_violations

ENVIRONMENT_PATHS = [
    "/api/v1/dashboard",
    "/api/v1/dashboard/prod",
    "/api/v1/dashboard/acc",
    "/api/v1/dashboard/int",
]
CONTRACT = [info.name for info in SCENARIOS if info.contract]
_STRONG_ETAG = re.compile(r'"[A-Za-z0-9_-]+(\.gz|\.br)?"')


@pytest.mark.parametrize("path", ENVIRONMENT_PATHS)
def test_every_environment_answers_the_cookbook_json_with_the_real_servers_headers(
    simulator: RunningSimulator, path: str
) -> None:
    with simulator.client() as client:
        response = client.get(path, params={"scenario": "mixed"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert contract_violations(response.json()) == []
    assert _STRONG_ETAG.fullmatch(response.headers["etag"])
    assert response.headers["cache-control"] == "public, max-age=15"
    assert parsedate_to_datetime(response.headers["last-modified"]).tzinfo is not None
    uuid.UUID(response.headers["belgov-trace-id"])
    assert response.headers["x-simulator-scenario"] == "mixed"
    assert response.headers["x-simulator-conformance"]


@pytest.mark.parametrize("scenario", CONTRACT)
def test_every_scenario_that_claims_the_contract_keeps_it_over_the_wire(
    simulator: RunningSimulator, scenario: str
) -> None:
    with simulator.client() as client:
        response = client.get(f"/scenarios/{scenario}/api/v1/dashboard/acc")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert contract_violations(response.json()) == []
    assert response.headers["x-simulator-scenario"] == scenario


def test_the_prod_alias_and_the_default_path_answer_the_same_bytes(
    simulator: RunningSimulator,
) -> None:
    with simulator.client() as client:
        default = client.get("/scenarios/mixed/api/v1/dashboard")
        prod = client.get("/scenarios/mixed/api/v1/dashboard/prod")
        acc = client.get("/scenarios/mixed/api/v1/dashboard/acc")
    assert default.content == prod.content
    assert default.headers["etag"] == prod.headers["etag"]
    assert acc.content != prod.content


def test_if_none_match_with_the_etag_gets_a_304_without_a_body(
    simulator: RunningSimulator,
) -> None:
    with simulator.client() as client:
        first = client.get("/api/v1/dashboard", params={"scenario": "mixed"})
        again = client.get(
            "/api/v1/dashboard",
            params={"scenario": "mixed"},
            headers={"If-None-Match": first.headers["etag"]},
        )
        listed = client.get(
            "/api/v1/dashboard",
            params={"scenario": "mixed"},
            headers={"If-None-Match": f'"other", W/{first.headers["etag"]}'},
        )
        stale = client.get(
            "/api/v1/dashboard", params={"scenario": "mixed"}, headers={"If-None-Match": '"old"'}
        )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "public, max-age=15"
    assert "x-simulator-conformance" in again.headers
    assert listed.status_code == 304
    assert stale.status_code == 200


def test_if_modified_since_the_last_change_gets_a_304(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        first = client.get("/api/v1/dashboard", params={"scenario": "mixed"})
        modified = parsedate_to_datetime(first.headers["last-modified"])
        since = client.get(
            "/api/v1/dashboard",
            params={"scenario": "mixed"},
            headers={"If-Modified-Since": first.headers["last-modified"]},
        )
        before = client.get(
            "/api/v1/dashboard",
            params={"scenario": "mixed"},
            headers={
                "If-Modified-Since": format_datetime(modified.replace(year=2020), usegmt=True)
            },
        )
    assert since.status_code == 304
    assert before.status_code == 200


def test_head_answers_the_headers_of_get_without_a_body(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        get = client.get("/api/v1/dashboard/int", params={"scenario": "mixed"})
        head = client.head("/api/v1/dashboard/int", params={"scenario": "mixed"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize(
    ("coding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)]
)
def test_compressed_answers_carry_the_same_document(
    simulator: RunningSimulator, coding: str, decode: object
) -> None:
    with simulator.client() as client:
        plain = client.get(
            "/api/v1/dashboard",
            params={"scenario": "large"},
            headers={"Accept-Encoding": "identity"},
        )
        with client.stream(
            "GET",
            "/api/v1/dashboard",
            params={"scenario": "large"},
            headers={"Accept-Encoding": coding},
        ) as response:
            raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == coding
    assert response.headers["etag"] != plain.headers["etag"]
    assert callable(decode)
    assert orjson.loads(decode(raw)) == plain.json()
    assert len(raw) < len(plain.content) / 4


def test_an_unknown_environment_is_a_404_problem(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        response = client.get("/api/v1/dashboard/xyz")
        nested = client.get("/api/v1/dashboard/int/extra")
    assert "xyz" in str(problem_of(response, 404)["detail"])
    problem_of(nested, 404)
    assert response.headers["x-simulator-scenario"] == "timeline"


def test_an_accept_that_excludes_json_is_a_406_problem(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        response = client.get("/api/v1/dashboard", headers={"Accept": "text/html"})
        fine = client.get("/api/v1/dashboard", headers={"Accept": "application/*"})
    assert "application/json" in str(problem_of(response, 406)["detail"])
    assert fine.status_code == 200


def test_another_method_is_a_405_problem_with_allow(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        response = client.post("/api/v1/dashboard", content=b"{}")
    problem_of(response, 405)
    assert response.headers["allow"] == "GET, HEAD"


def test_the_callers_trace_id_comes_back_as_the_related_one(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        response = client.get("/api/v1/dashboard", headers={"BelGov-Trace-Id": "partner-42"})
    assert response.headers["belgov-related-trace-id"] == "partner-42"
    assert response.headers["belgov-trace-id"] != "partner-42"


def test_the_scenario_list_names_every_scenario_and_fault(simulator: RunningSimulator) -> None:
    with simulator.client() as client:
        response = client.get("/api/v1/simulator/scenarios")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    listed = response.json()
    assert [entry["name"] for entry in listed] == [info.name for info in SCENARIOS]
    for entry in listed:
        assert set(entry) == {"name", "kind", "contract", "summary", "expected_client_behaviour"}
        assert entry["kind"] in ("scenario", "fault")
        assert isinstance(entry["contract"], bool)
    kinds = {entry["name"]: entry["kind"] for entry in listed}
    assert kinds["timeline"] == "scenario"
    assert kinds["truncated-body"] == "fault"
    uuid.UUID(response.headers["belgov-trace-id"])


def test_the_index_points_at_the_dashboards_the_scenarios_and_the_report(
    simulator: RunningSimulator,
) -> None:
    with simulator.client() as client:
        index = client.get("/api/v1").json()
        missing = client.get("/nowhere")
    assert index["default"] == f"{simulator.url}/api/v1/dashboard"
    assert set(index["dashboards"]) == {"prod", "acc", "int"}
    assert index["scenarios"].endswith("/api/v1/simulator/scenarios")
    assert index["report"].endswith("/api/v1/simulator/report")
    problem_of(missing, 404)


def test_the_conformance_report_is_served_beside_the_dashboards(
    simulator: RunningSimulator,
) -> None:
    agent = "reportedProduct/1.0 Technical/3.19.0"
    with simulator.client(user_agent=agent) as client:
        client.get("/api/v1/dashboard")
        report = client.get("/api/v1/simulator/report", params={"user_agent": agent})
        page = client.get("/simulator/report", params={"user_agent": agent})
    assert report.status_code == 200
    assert report.json()["requests"] >= 1
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
