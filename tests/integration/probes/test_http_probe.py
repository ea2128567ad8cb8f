"""HTTP(S) checks against a real HTTP server on 127.0.0.1: each condition passes and fails with
the reason a person reads on the dashboard."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable

import pytest

from integration.probes.servers import NOW, RUN_LIMIT_S, Answer, HttpServer, refused_port, run
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck, StatusRange
from status_dashboard.probes import HttpClients, HttpProbe

from support.outbound import LOOPBACK

SCHEDULE = CheckSchedule(interval_s=60, timeout_s=3)
HEALTH_JSON = b'{"status": "DOWN", "checks": [{"name": "db", "up": false}], "queue": 12}'
JSON = {"Content-Type": "application/json"}

CASES = {
    # name: (answer, check fields, ok, reason, or its start when it ends with "…")
    "a 200 passes": (Answer(200), {}, True, "HTTP 200 in …"),
    "a 503 fails": (Answer(503), {}, False, "HTTP 503"),
    "a 404 fails by default": (Answer(404), {}, False, "HTTP 404"),
    "an expected 404 passes": (Answer(404), {"expect_status": (404,)}, True, "HTTP 404 in …"),
    "a status outside the ranges fails": (
        Answer(204),
        {"expect_status": (StatusRange(200, 200), 301)},
        False,
        "HTTP 204",
    ),
    "a body with the keyword passes": (Answer(body=b"all UP"), {"body_contains": "UP"}, True, "…"),
    "a body without the keyword fails": (
        Answer(body=b"all DOWN"),
        {"body_contains": "UP"},
        False,
        "body lacks 'UP'",
    ),
    "a body matching the pattern passes": (
        Answer(body=b"version 4.2.1"),
        {"body_matches": r"version \d+\.\d+"},
        True,
        "…",
    ),
    "a body not matching the pattern fails": (
        Answer(body=b"version unknown"),
        {"body_matches": r"version \d+"},
        False,
        "body does not match 'version \\d+'",
    ),
    "a JSON condition that holds passes": (
        Answer(body=HEALTH_JSON, headers=JSON),
        {"json_condition": '$.status == "DOWN"'},
        True,
        "…",
    ),
    "a JSON condition that fails says so, not the value": (
        Answer(body=HEALTH_JSON, headers=JSON),
        {"json_condition": '$.status == "UP"'},
        False,
        "JSON condition not met",
    ),
    "a JSON number compared": (
        Answer(body=HEALTH_JSON, headers=JSON),
        {"json_condition": "$.queue < 10"},
        False,
        "JSON condition not met",
    ),
    "a JSON filter in the path": (
        Answer(body=HEALTH_JSON, headers=JSON),
        {"json_condition": '$.checks[?@.name == "db"].up'},
        False,
        "JSON condition not met",
    ),
    "a missing JSON field fails": (
        Answer(body=HEALTH_JSON, headers=JSON),
        {"json_condition": "$.version exists"},
        False,
        "JSON condition not met",
    ),
    "a body that is not JSON fails the JSON condition": (
        Answer(body=b"<html>"),
        {"json_condition": "$.status"},
        False,
        "body is not JSON",
    ),
    "a fast answer passes the response time": (Answer(), {"max_response_ms": 2000}, True, "…"),
    "a slow answer fails the response time": (
        Answer(delay_s=0.3),
        {"max_response_ms": 100},
        False,
        "answered in …",
    ),
    "three redirects are followed": (None, {"url": "/redirect/3"}, True, "HTTP 200 in …"),
    "more redirects than allowed fail": (
        None,
        {"url": "/redirect/9"},
        False,
        "too many redirects (6)",
    ),
    "with redirects off, a redirect is judged by its status": (
        None,
        {"url": "/redirect/1", "max_redirects": 0, "expect_status": (302,)},
        True,
        "HTTP 302 in …",
    ),
    "HEAD is sent as HEAD": (Answer(204, b""), {"method": "HEAD"}, True, "HTTP 204 in …"),
}


@pytest.mark.parametrize(
    ("condition", "found"),
    [
        ('$.status == "UP"', "$.status is 'DOWN', expected 'UP'"),
        ("$.queue < 10", "$.queue is 12, expected < 10"),
        (
            '$.checks[?@.name == "db"].up',
            '$.checks[?@.name == "db"].up is false, expected a true value',
        ),
        ("$.version exists", "$.version is missing"),
    ],
)
def test_what_a_json_condition_found_is_in_the_detail_only(
    http_server: HttpServer, condition: str, found: str
) -> None:
    url = http_server.answer(
        "/detail/" + str(abs(hash(condition))), Answer(body=HEALTH_JSON, headers=JSON)
    )
    result = run(HttpProbe(HttpCheck(url, json_condition=condition), SCHEDULE, policy=LOOPBACK))
    assert (result.ok, result.reason) == (False, "JSON condition not met")
    assert result.detail is not None
    assert result.detail.startswith(found + "; body: {")


def _assert_reason(actual: str, expected: str) -> None:
    if expected.endswith("…"):
        assert actual.startswith(expected[:-1]), actual
    else:
        assert actual == expected


@pytest.mark.parametrize(("answer", "fields", "ok", "reason"), CASES.values(), ids=CASES.keys())
def test_each_condition_passes_or_fails_with_its_reason(
    http_server: HttpServer,
    request: pytest.FixtureRequest,
    answer: Answer | None,
    fields: dict[str, object],
    ok: bool,
    reason: str,
) -> None:
    fields = dict(fields)
    path = str(fields.pop("url", "/case/" + request.node.callspec.id.replace(" ", "-")))
    url = http_server.answer(path, answer) if answer else http_server.base_url + path
    result = run(HttpProbe(HttpCheck(url, **fields), SCHEDULE, policy=LOOPBACK))  # type: ignore[arg-type]
    assert result.ok is ok, result
    _assert_reason(result.reason, reason)


def test_a_slow_answer_reason_gives_both_times_in_milliseconds(http_server: HttpServer) -> None:
    url = http_server.answer("/slow-ish", Answer(delay_s=1.2))
    result = run(HttpProbe(HttpCheck(url, max_response_ms=1000), SCHEDULE, policy=LOOPBACK))
    assert result.reason.startswith("answered in 1,")
    assert result.reason.endswith(" ms, more than 1,000 ms")


def test_a_failing_status_keeps_a_body_excerpt_as_detail(http_server: HttpServer) -> None:
    url = http_server.answer("/broken", Answer(503, b"database unreachable"))
    result = run(HttpProbe(HttpCheck(url), SCHEDULE, policy=LOOPBACK))
    assert (result.reason, result.detail) == ("HTTP 503", "database unreachable")


def test_the_method_and_headers_of_the_check_are_sent(http_server: HttpServer) -> None:
    url = http_server.answer("/headers", Answer())
    run(
        HttpProbe(
            HttpCheck(url, method="POST", headers={"X-Probe": "yes"}), SCHEDULE, policy=LOOPBACK
        )
    )
    method, headers = http_server.requests["/headers"]
    assert (method, headers["X-Probe"]) == ("POST", "yes")
    assert headers["User-Agent"].startswith("status-dashboard-monitor/")


def test_a_hanging_target_is_cut_at_the_timeout(http_server: HttpServer) -> None:
    url = http_server.answer("/hang", Answer(delay_s=60))
    started = time.monotonic()
    result = run(
        HttpProbe(HttpCheck(url), CheckSchedule(interval_s=60, timeout_s=1), policy=LOOPBACK)
    )
    assert time.monotonic() - started < 2
    assert (result.ok, result.reason) == (False, "timed out after 1 s")


def test_a_refused_connection_says_so() -> None:
    with refused_port() as port:
        result = run(HttpProbe(HttpCheck(f"http://127.0.0.1:{port}/"), SCHEDULE, policy=LOOPBACK))
    assert (result.ok, result.reason) == (False, "Connection refused")
    assert result.detail is not None
    assert "ConnectionRefusedError" in result.detail


def test_an_unknown_host_is_named_as_such() -> None:
    result = run(HttpProbe(HttpCheck("http://no-such-host.invalid/"), SCHEDULE, policy=LOOPBACK))
    assert not result.ok
    assert result.reason in {"Name or service not known", "No address associated with hostname"}


def test_a_body_over_a_mebibyte_fails_a_check_that_examines_it(http_server: HttpServer) -> None:
    body = b"x" * (3 * 1024 * 1024) + b"UP"
    url = http_server.answer("/huge", Answer(body=body))
    result = run(HttpProbe(HttpCheck(url, body_contains="UP"), SCHEDULE, policy=LOOPBACK))
    assert (result.ok, result.reason) == (False, "body too large (over 1 MiB)")
    assert result.detail == f"Content-Length: {len(body)}"


def test_a_large_body_does_not_fail_a_check_of_the_status_alone(http_server: HttpServer) -> None:
    url = http_server.answer("/huge-ok", Answer(body=b"x" * (3 * 1024 * 1024)))
    result = run(HttpProbe(HttpCheck(url), SCHEDULE, policy=LOOPBACK))
    assert result.ok, result


class TestHttps:
    def test_a_trusted_certificate_passes(
        self, https_server: HttpServer, trust: Callable[[], ssl.SSLContext]
    ) -> None:
        check = HttpCheck(https_server.answer("/", Answer()))
        result = self._run(check, trust())
        assert result.ok, result

    def test_an_untrusted_certificate_fails_by_default(self, untrusted_https: HttpServer) -> None:
        check = HttpCheck(untrusted_https.answer("/", Answer()))
        result = self._run(check, None)
        assert not result.ok
        assert result.reason.startswith("TLS certificate not trusted: ")

    def test_an_untrusted_certificate_passes_with_verification_off(
        self, untrusted_https: HttpServer
    ) -> None:
        check = HttpCheck(untrusted_https.answer("/", Answer()), verify_tls=False)
        assert self._run(check, None).ok

    @staticmethod
    def _run(check: HttpCheck, trusted: ssl.SSLContext | None) -> CheckResult:
        async def once() -> CheckResult:
            async with HttpClients(ssl_context=trusted, policy=LOOPBACK) as clients:
                return await HttpProbe(check, SCHEDULE, clients.for_check(check)).run(NOW)

        return asyncio.run(asyncio.wait_for(once(), RUN_LIMIT_S))
