"""Nothing a monitored service sends may stall the server (docs/design.md §7), replayed with hostile
targets on 127.0.0.1: a pattern that makes a backtracking engine run for seconds, a 50 MB body,
JSON nested 100,000 deep, a body that drips a byte a second. Each check ends with a failure that
says why, and the event loop (the one that serves the API when `serve` runs the monitor) is
never held as long as the check's timeout."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from security.hostile import HostileServer, hostile_server, hostile_targets, watched
from status_dashboard.domain.checks import CheckSchedule, HttpCheck
from status_dashboard.probes import HttpProbe
from status_dashboard.probes.http import BODY_LIMIT

from support.outbound import LOOPBACK

SCHEDULE = CheckSchedule(interval_s=60, timeout_s=3)


@pytest.fixture(scope="module")
def target() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


def probe(target: HostileServer, path: str, **fields: object) -> HttpProbe:
    check = HttpCheck(target.base_url + path, **fields)  # type: ignore[arg-type]
    return HttpProbe(check, SCHEDULE, policy=LOOPBACK)


def test_a_catastrophic_pattern_is_judged_without_holding_the_loop(target: HostileServer) -> None:
    pattern = hostile_targets.CATASTROPHIC_PATTERN
    (result,), longest_stall = watched(probe(target, "/catastrophic", body_matches=pattern))

    assert (result.ok, result.reason) == (False, f"body does not match '{pattern}'")
    assert longest_stall < SCHEDULE.timeout_s


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
def test_a_50_mb_body_is_too_large_and_not_read_to_its_end(
    target: HostileServer, path: str
) -> None:
    (result,), longest_stall = watched(probe(target, path, body_contains="UP"))

    assert (result.ok, result.reason) == (False, "body too large (over 1 MiB)")
    assert longest_stall < SCHEDULE.timeout_s
    # The client left after at most the limit: the server could not push the rest through.
    assert target.sent[path] < hostile_targets.HUGE_BYTES
    assert BODY_LIMIT < hostile_targets.HUGE_BYTES


def test_json_nested_100_000_deep_is_refused_as_such(target: HostileServer) -> None:
    (result,), longest_stall = watched(probe(target, "/deep", json_condition="$.status"))

    assert (result.ok, result.reason) == (False, "body is not JSON")
    assert result.detail is not None
    assert result.detail.startswith("depth limit exceeded")
    assert longest_stall < SCHEDULE.timeout_s


def test_a_dripping_body_times_out_without_holding_the_loop(target: HostileServer) -> None:
    (result,), longest_stall = watched(probe(target, "/drip", body_contains="UP"))

    assert (result.ok, result.reason) == (False, "timed out after 3 s")
    assert longest_stall < SCHEDULE.timeout_s


def test_all_at_once_leave_the_loop_free(target: HostileServer) -> None:
    pattern = hostile_targets.CATASTROPHIC_PATTERN
    probes = [
        probe(target, "/catastrophic", body_matches=pattern),
        probe(target, "/huge", body_contains="UP"),
        probe(target, "/deep", json_condition="$.status"),
        probe(target, "/drip", body_contains="UP"),
    ]
    results, longest_stall = watched(*probes)

    assert [r.reason for r in results] == [
        f"body does not match '{pattern}'",
        "body too large (over 1 MiB)",
        "body is not JSON",
        "timed out after 3 s",
    ], results
    assert longest_stall < SCHEDULE.timeout_s
