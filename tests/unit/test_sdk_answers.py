"""What an answer means to the SDK: which error a status is, what Retry-After and
Cache-Control say, which failures are worth another attempt."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from status_dashboard.sdk import (
    HTTPStatusError,
    NotAcceptable,
    NotFound,
    ProtocolError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    StatusDashboardError,
    Timeout,
    TransportError,
)
from status_dashboard.sdk._exchange import (
    answer,
    is_retryable,
    max_age_of,
    retry_after_of,
    retry_delay,
    status_error,
    transport_error,
)

NOW = datetime(2025, 5, 9, 7, 0, 0, tzinfo=UTC)
URL = "https://status.example/api/v1/dashboard/xyz"
PROBLEM = {
    "type": "urn:problem-type:belgif:resourceNotFound",
    "title": "Not Found",
    "status": 404,
    "detail": "No dashboard for environment 'xyz'",
    "instance": "urn:uuid:1a1b2dd7-cdd3-440f-98cc-6f663e9ff50f",
}


def headers(**values: str) -> httpx.Headers:
    return httpx.Headers({name.replace("_", "-"): value for name, value in values.items()})


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, HTTPStatusError),
        (403, HTTPStatusError),
        (404, NotFound),
        (405, HTTPStatusError),
        (406, NotAcceptable),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServiceUnavailable),
        (504, ServerError),
        (599, ServerError),
    ],
)
def test_each_error_status_is_its_own_exception(status: int, kind: type[HTTPStatusError]) -> None:
    error = status_error(status, headers(), b"", URL, NOW)
    assert type(error) is kind
    assert (error.status_code, error.url, error.problem) == (status, URL, None)


def test_a_problem_document_is_kept_and_its_detail_is_the_message() -> None:
    error = status_error(
        404,
        headers(content_type="application/problem+json", belgov_trace_id="1a1b2dd7"),
        json.dumps(PROBLEM).encode(),
        URL,
        NOW,
    )
    assert error.problem == PROBLEM
    assert error.trace_id == "1a1b2dd7"
    assert str(error) == f"404 Not Found from {URL}: No dashboard for environment 'xyz'"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<h1>Not Found</h1>"),
        ("application/problem+json", b"{not json"),
        ("application/problem+json", b"[1, 2]"),
    ],
)
def test_an_error_body_that_is_no_problem_document_leaves_the_status_to_speak(
    content_type: str, body: bytes
) -> None:
    error = status_error(404, headers(content_type=content_type), body, URL, NOW)
    assert error.problem is None
    assert str(error) == f"404 Not Found from {URL}"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("Fri, 09 May 2025 07:00:30 GMT", 30.0),
        ("Fri, 09 May 2025 06:59:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    value: str | None, seconds: float | None
) -> None:
    assert retry_after_of(value, NOW) == seconds


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_carry_their_retry_after(status: int) -> None:
    error = status_error(status, headers(retry_after="7"), b"", URL, NOW)
    assert error.retry_after == 7.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cache_control", "max_age"),
    [
        ("public, max-age=15", 15),
        ("max-age=0", 0),
        ('public, max-age="30"', 30),
        ("public, s-maxage=600, max-age=20", 20),
        ("no-cache", 0),
        ("no-store", 0),
        ("public", None),
        (None, None),
    ],
)
def test_max_age_is_read_from_cache_control(cache_control: str | None, max_age: int | None) -> None:
    given = headers() if cache_control is None else headers(cache_control=cache_control)
    assert max_age_of(given) == max_age


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("text/html; charset=utf-8", "the answer is text/html, not application/json"),
        ("", "the answer is of no content type, not application/json"),
    ],
)
def test_a_200_that_is_not_json_is_a_protocol_error(content_type: str, reason: str) -> None:
    given = headers(content_type=content_type) if content_type else headers()
    with pytest.raises(ProtocolError) as refused:
        answer(200, given, b'{"groups": []}', url=URL, environment="prod", now=NOW)
    assert refused.value.reason == reason


def test_a_json_content_type_with_parameters_is_json() -> None:
    given = headers(content_type="application/json; charset=utf-8", etag='"abc"')
    dashboard = answer(200, given, b'{"groups": []}', url=URL, environment="acc", now=NOW)
    assert (dashboard.environment, dashboard.etag, dashboard.fetched_at) == ("acc", '"abc"', NOW)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(204, "unexpected answer 204 No Content"), (302, "unexpected answer 302 Found")],
)
def test_a_success_or_redirect_without_a_dashboard_is_a_protocol_error(
    status: int, reason: str
) -> None:
    with pytest.raises(ProtocolError, match=reason):
        answer(status, headers(), b"", url=URL, environment="prod", now=NOW)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (TransportError("refused"), True),
        (Timeout("late"), True),
        (ProtocolError("the body was cut short", truncated=True), True),
        (ProtocolError("not JSON"), False),
        (ServerError("502", status_code=502, url=URL), True),
        (ServiceUnavailable("503", status_code=503, url=URL, retry_after=None), True),
        (ServerError("504", status_code=504, url=URL), True),
        (ServerError("500", status_code=500, url=URL), False),
        (RateLimited("429", status_code=429, url=URL, retry_after=None), False),
        (NotFound("404", status_code=404, url=URL), False),
        (HTTPStatusError("400", status_code=400, url=URL), False),
    ],
)
def test_only_what_another_get_may_mend_is_retried(
    error: StatusDashboardError, retryable: bool
) -> None:
    assert is_retryable(error) is retryable


def test_retries_back_off_jittered_and_wait_at_least_the_retry_after() -> None:
    refused = TransportError("refused")
    assert [retry_delay(n, refused, 0.0) for n in (1, 2, 3, 4, 5)] == [0.125, 0.25, 0.5, 1.0, 1.0]
    assert retry_delay(1, refused, 0.9999999) == pytest.approx(0.25)
    busy = ServiceUnavailable("503", status_code=503, url=URL, retry_after=3.0)
    assert retry_delay(1, busy, 0.5) == 3.0


@pytest.mark.parametrize(
    ("exc", "in_body", "kind", "message"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), False, TransportError, "cannot connect to status.example: Connection refused"),
        (httpx.ConnectTimeout("timed out"), False, Timeout, "connecting to status.example timed out"),
        (httpx.ReadTimeout("timed out"), False, Timeout, "status.example did not answer in time (ReadTimeout)"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), False, TransportError, "status.example broke off the exchange: Server disconnected without sending a response."),
        (httpx.RemoteProtocolError("peer closed connection without sending complete message body"), True, ProtocolError, "the body was cut short (peer closed connection without sending complete message body)"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), True, ProtocolError, "the body was cut short (Connection reset by peer)"),
        (httpx.DecodingError("Error -3 while decompressing data"), True, ProtocolError, "the body cannot be decoded (Error -3 while decompressing data)"),
    ],
)  # fmt: skip
def test_httpx_errors_read_in_the_sdks_own_words(
    exc: httpx.HTTPError, in_body: bool, kind: type[StatusDashboardError], message: str
) -> None:
    translated = transport_error(exc, URL, in_body=in_body)
    assert type(translated) is kind
    assert str(translated) == message
    if isinstance(translated, ProtocolError):
        assert translated.truncated == ("cut short" in message)
