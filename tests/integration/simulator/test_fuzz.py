"""Fuzzing the simulator over real HTTP: whatever a well-formed request asks (any path, query
and headers), the answer is never a 5xx but the `error-500` and `unavailable-503` faults' own,
errors are problem+json, and the simulator stays up.

Faults that hold a request on purpose (`slow`, `timeout`) or cut the connection
(`truncated-body`) are left out of what is drawn: they answer exactly as they should, which
tests/integration/simulator/test_faults.py checks.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.simulator.simulators import RunningSimulator
from status_dashboard.service.simulator.scenarios import NAMES

HELD_OR_CUT = frozenset({"slow", "timeout", "truncated-body"})
_OWN_5XX = frozenset({(500, "error-500"), (503, "unavailable-503")})
"""The faults whose answer is a 5xx by design."""
_PLAYABLE = sorted(set(NAMES) - HELD_OR_CUT)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Values a well-formed HTTP client can send (no surrounding blanks).
_header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120).map(
    str.strip
)
_names = st.one_of(
    st.sampled_from(_PLAYABLE),
    st.text(max_size=30).filter(lambda name: name.strip() not in HELD_OR_CUT),
)
_dashboard_paths = st.one_of(
    st.sampled_from(["/api/v1/dashboard", "/api/v1/dashboard/prod", "/api/v1/dashboard/int"]),
    st.text(max_size=30).map(lambda s: "/api/v1/dashboard/" + quote(s, safe="")),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#%"), max_size=40
    ).map(lambda s: "/api/v1/dashboard" + s),
)
_paths = st.one_of(
    _dashboard_paths,
    st.tuples(_names, _dashboard_paths).map(
        lambda pair: f"/scenarios/{quote(pair[0], safe='')}{pair[1]}"
    ),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#%"),
        max_size=60,
    ).map(lambda s: "/" + s),
    st.sampled_from(["/api/v1/simulator/scenarios", "/api/v1/simulator/report", "/health"]),
)
_queries = st.dictionaries(
    st.sampled_from(["scenario", "delay", "retry_after", "user_agent", "x"]),
    st.one_of(_names, st.text(max_size=20)).filter(lambda v: v.strip() not in HELD_OR_CUT),
    max_size=3,
)
_headers = st.dictionaries(
    st.sampled_from(
        [
            "Accept",
            "Accept-Encoding",
            "User-Agent",
            "If-None-Match",
            "If-Modified-Since",
            "BelGov-Trace-Id",
            "X-Simulator-Scenario",
            "X-Anything",
        ]
    ),
    _header_values.filter(lambda v: v not in HELD_OR_CUT),
    max_size=6,
)


@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]),
    path=_paths,
    query=_queries,
    headers=_headers,
)
@FUZZ
def test_no_request_gets_a_server_error_but_the_faults_that_are_one(
    simulator: RunningSimulator,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
) -> None:
    target = f"{path}?{urlencode(query)}" if query else path
    with httpx.Client(base_url=simulator.url, timeout=10) as client:
        response = client.request(method, target, headers=headers)
    played = response.headers.get("x-simulator-scenario")
    if response.status_code >= 500:
        assert (response.status_code, played) in _OWN_5XX, (target, headers)
    if response.status_code >= 400 and method != "HEAD":
        assert response.headers["content-type"] == "application/problem+json", response.text
        assert response.json()["status"] == response.status_code
    if played is not None:
        assert "x-simulator-conformance" in response.headers


def test_the_simulator_is_still_up_after_the_fuzzing(simulator: RunningSimulator) -> None:
    assert simulator.process.poll() is None
    with simulator.client() as client:
        assert client.get("/health").status_code == 200
        assert client.get("/api/v1/dashboard").status_code == 200
    assert "event=unhandled_error" not in simulator.log()
