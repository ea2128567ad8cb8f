"""One GET of a dashboard, without I/O: the request to send, what an answer means, which
failures deserve another attempt, and how httpx's exceptions read in the SDK's own words.

The sync and async clients share all of this and differ only in how they wait.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

from status_dashboard.sdk._errors import (
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
from status_dashboard.sdk._models import Dashboard
from status_dashboard.sdk._parse import parse_dashboard
from status_dashboard.sdk._useragent import UserAgent

DEFAULT_BASE_URL = "https://status.ehealth.fgov.be"
DASHBOARD_PATH = "/api/v1/dashboard"
DEFAULT_ENVIRONMENT = "prod"
MAX_BODY_BYTES = 8 * 1024 * 1024
"""A dashboard of 1,000 items is about 200 kB; anything this large is not one."""

RETRYABLE_STATUSES = frozenset({502, 503, 504})
_ENVIRONMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


@dataclass(frozen=True, slots=True)
class CallSettings:
    """What every call of one client shares."""

    base_url: str
    user_agent: UserAgent
    timeout: float
    retries: int
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def checked(
        cls, base_url: str, user_agent: UserAgent | str, timeout: float, retries: int
    ) -> CallSettings:
        agent = user_agent if isinstance(user_agent, UserAgent) else UserAgent.parse(user_agent)
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {base_url!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, not {retries!r}")
        return cls(base_url.rstrip("/"), agent, float(timeout), retries)

    def url(self, environment: str) -> str:
        """PROD is the cookbook's own URL; any other environment is its suffix."""
        if environment == DEFAULT_ENVIRONMENT:
            return self.base_url + DASHBOARD_PATH
        return f"{self.base_url}{DASHBOARD_PATH}/{environment}"

    def connect_timeout(self, remaining: float) -> float:
        """A share of the call's time, so that a connection attempt lost in a black hole leaves
        time for another one."""
        return min(remaining, max(1.0, self.timeout / (self.retries + 1)))

    def headers(self, cached: Dashboard | None) -> dict[str, str]:
        headers = {"User-Agent": str(self.user_agent), "Accept": "application/json"}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        return headers


def checked_environment(environment: str) -> str:
    if not isinstance(environment, str) or not _ENVIRONMENT.fullmatch(environment):
        raise ValueError(
            f"environment must be a name such as 'prod', 'acc' or 'int', not {environment!r}"
        )
    return environment


def attempt_timeout(settings: CallSettings, remaining: float) -> httpx.Timeout:
    return httpx.Timeout(remaining, connect=settings.connect_timeout(remaining))


def deadline_passed(settings: CallSettings, url: str) -> Timeout:
    return Timeout(f"no complete answer from {url} within {settings.timeout:g} s")


def not_modified(cached: Dashboard | None, headers: httpx.Headers, now: datetime) -> Dashboard:
    """A 304 confirms the cached dashboard: it is returned as it was parsed, only fresher."""
    if cached is None:
        raise ProtocolError("a 304 Not Modified answered a request that named no cached copy")
    return cached._refreshed(now, headers.get("etag"), max_age_of(headers))


def answer(
    status: int,
    headers: httpx.Headers,
    body: bytes,
    *,
    url: str,
    environment: str,
    now: datetime,
) -> Dashboard:
    """The dashboard a complete answer carries, or the error it stands for."""
    if status == 200:
        media = _media_type(headers)
        if media != "application/json" and not media.endswith("+json"):
            raise ProtocolError(
                f"the answer is {media or 'of no content type'}, not application/json"
            )
        if not body:
            raise ProtocolError("the answer has an empty body")
        return parse_dashboard(
            body,
            environment=environment,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            max_age=max_age_of(headers),
            fetched_at=now,
        )
    if status >= 400:
        raise status_error(status, headers, body, url, now)
    raise ProtocolError(f"unexpected answer {status} {_phrase(status)} from {url}")


def status_error(
    status: int, headers: httpx.Headers, body: bytes, url: str, now: datetime
) -> HTTPStatusError:
    problem = _problem(headers, body)
    said = (problem.get("detail") or problem.get("title")) if problem else None
    message = f"{status} {_phrase(status)} from {url}" + (f": {said}" if said else "")
    fields: dict[str, Any] = {
        "status_code": status,
        "url": url,
        "problem": problem,
        "trace_id": headers.get("belgov-trace-id"),
    }
    if status in (429, 503):
        retry_after = retry_after_of(headers.get("retry-after"), now)
        kind = RateLimited if status == 429 else ServiceUnavailable
        return kind(message, retry_after=retry_after, **fields)
    if status == 404:
        return NotFound(message, **fields)
    if status == 406:
        return NotAcceptable(message, **fields)
    if status >= 500:
        return ServerError(message, **fields)
    return HTTPStatusError(message, **fields)


class DashboardCache:
    """The last dashboard of each environment that came with a validator (ETag or
    Last-Modified), for the next conditional request."""

    def __init__(self) -> None:
        self._by_environment: dict[str, Dashboard] = {}

    def get(self, environment: str) -> Dashboard | None:
        return self._by_environment.get(environment)

    def keep(self, dashboard: Dashboard) -> Dashboard:
        if dashboard.etag or dashboard.last_modified:
            self._by_environment[dashboard.environment] = dashboard
        return dashboard


class BodyReader:
    """Collects a body chunk by chunk, refusing one too large or arriving past the deadline."""

    def __init__(self, settings: CallSettings, url: str, deadline: float) -> None:
        self._settings = settings
        self._url = url
        self._deadline = deadline
        self._chunks: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._settings.max_body_bytes:
            raise ProtocolError(f"the body is larger than {self._settings.max_body_bytes} bytes")
        if time.monotonic() > self._deadline:
            raise deadline_passed(self._settings, self._url)
        self._chunks.append(chunk)

    def body(self) -> bytes:
        return b"".join(self._chunks)


def retry_pause(
    settings: CallSettings, attempt: int, error: StatusDashboardError, deadline: float
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None: give up and raise `error`
    (retries spent, nothing a retry could mend, or no time left before the deadline)."""
    if attempt > settings.retries or not is_retryable(error):
        return None
    delay = retry_delay(attempt, error, random.random())
    return delay if delay < deadline - time.monotonic() else None


def is_retryable(error: StatusDashboardError) -> bool:
    """Worth another GET within the same call: the answer may well differ."""
    if isinstance(error, TransportError):
        return True
    if isinstance(error, ProtocolError):
        return error.truncated
    return isinstance(error, HTTPStatusError) and error.status_code in RETRYABLE_STATUSES


def retry_delay(attempt: int, error: StatusDashboardError, jitter: float) -> float:
    """Seconds before attempt `attempt + 1`: 0.25 s doubling to 2 s, jittered into its upper
    half, and never sooner than the service's Retry-After. `jitter` is in [0, 1)."""
    delay = min(2.0, 0.25 * 2.0 ** (attempt - 1)) * (0.5 + jitter / 2)
    retry_after = getattr(error, "retry_after", None)
    return max(delay, retry_after) if retry_after is not None else delay


def transport_error(exc: httpx.HTTPError, url: str, *, in_body: bool) -> StatusDashboardError:
    """httpx's exception, in the SDK's words; `in_body`: it struck while the body arrived."""
    reason = _reason(exc)
    host = httpx.URL(url).netloc.decode("ascii", errors="replace")
    if isinstance(exc, httpx.ConnectTimeout):
        return Timeout(f"connecting to {host} timed out")
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(f"{host} did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.DecodingError):
        return ProtocolError(f"the body cannot be decoded ({reason})")
    if isinstance(exc, httpx.TooManyRedirects):
        return ProtocolError(f"too many redirects from {url}")
    if in_body and isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ProtocolError(f"the body was cut short ({reason})", truncated=True)
    if isinstance(exc, httpx.ConnectError):
        return TransportError(f"cannot connect to {host}: {reason}")
    if isinstance(exc, httpx.RemoteProtocolError):
        return TransportError(f"{host} broke off the exchange: {reason}")
    return TransportError(f"request to {url} failed: {reason}")


def _reason(exc: BaseException) -> str:
    """The system's own words when an OS error lies beneath (asyncio's say only "All
    connection attempts failed" on top), else the exception's message."""
    cause: BaseException | None = exc
    for _ in range(8):
        if cause is None:
            break
        errno = getattr(cause, "errno", None)
        if isinstance(errno, int):
            return os.strerror(errno)
        cause = cause.__cause__ or cause.__context__
    return _ERRNO.sub("", str(exc)) or type(exc).__name__


def max_age_of(headers: httpx.Headers) -> int | None:
    control = headers.get("cache-control")
    if control is None:
        return None
    found = _MAX_AGE.search(control)
    if found is not None:
        return int(found.group(1))
    return 0 if "no-cache" in control or "no-store" in control else None


def retry_after_of(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP date; None if unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def utc_now() -> datetime:
    return datetime.now(UTC)


def _media_type(headers: httpx.Headers) -> str:
    value: str = headers.get("content-type", "")
    return value.partition(";")[0].strip().lower()


def _problem(headers: httpx.Headers, body: bytes) -> Mapping[str, Any] | None:
    media = _media_type(headers)
    if not body or not (media == "application/json" or media.endswith("+json")):
        return None
    try:
        document = json.loads(body)
    except ValueError:  # a broken error body: the status still says what happened
        return None
    return document if isinstance(document, dict) else None


def _phrase(status: int) -> str:
    try:
        return str(HTTPStatus(status).phrase)
    except ValueError:
        return "(unknown status)"
