"""The SDK's one exception tree (drawn in the package docstring).

Foreign exceptions (httpx's, json's, the socket's) never leave the SDK: they are translated at
the edge into one of these, with a short reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class StatusDashboardError(Exception):
    """Every error the SDK raises on purpose is one of these."""


class InvalidUserAgent(StatusDashboardError, ValueError):
    """A User-Agent that does not follow the cookbook's pattern; `part` names the bad piece
    (`"product"`, `"connector"`, `"token 2"`, ...)."""

    def __init__(self, message: str, part: str) -> None:
        super().__init__(message)
        self.part = part


class TransportError(StatusDashboardError):
    """No answer arrived: the connection was refused, reset or could not be made (DNS, TLS)."""


class Timeout(TransportError):
    """The call's deadline passed before a complete answer arrived."""


class ProtocolError(StatusDashboardError):
    """An answer arrived but is not the v1 contract: not JSON, the wrong content type, a field
    missing or of the wrong type, or a body cut short.

    `path` names the offending place in the document, e.g. `groups[2].items[0].status_code`, or
    is None when the answer as a whole is at fault. `truncated` is True when the body ended
    before its announced end (a dropped connection): such an answer is retried.
    """

    def __init__(self, reason: str, path: str | None = None, *, truncated: bool = False) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path
        self.truncated = truncated


class HTTPStatusError(StatusDashboardError):
    """The service answered with an error status.

    `problem` is the RFC 9457 problem document when the body was one (the service's errors all
    are), and `trace_id` the answer's `BelGov-Trace-Id`, to quote to the eHealth helpdesk.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        url: str,
        problem: Mapping[str, Any] | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.url = url
        self.problem = problem
        self.trace_id = trace_id


class NotFound(HTTPStatusError):
    """404: no such environment (or path) on this service."""


class NotAcceptable(HTTPStatusError):
    """406: the service cannot answer in the media type asked for."""


class _RetryLater(HTTPStatusError):
    def __init__(self, message: str, *, retry_after: float | None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.retry_after = retry_after
        """Seconds the service asked to wait (its `Retry-After`), or None when it did not say."""


class RateLimited(_RetryLater):
    """429: too many requests; wait `retry_after` seconds (None: the service did not say)."""


class ServiceUnavailable(_RetryLater):
    """503: the service is starting or overloaded; wait `retry_after` seconds if given."""


class ServerError(HTTPStatusError):
    """Any other 5xx: the service failed to answer this request."""
