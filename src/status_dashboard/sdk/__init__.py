"""The partner SDK: a small, typed client of the Status Dashboard's v1 API (cookbook §7.1.2).

    from status_dashboard.sdk import StatusClient, UserAgent

    agent = UserAgent("myProduct", "62.310.4", connector=("Technical", "3.19.0"))
    with StatusClient(environment="acc", user_agent=agent) as client:
        for item in client.dashboard().disrupted():
            print(item.name, item.description)

It needs only httpx and the standard library, and keeps the cookbook's etiquette for you: a
conforming User-Agent and `Accept: application/json` on every request, conditional requests
(ETag / Last-Modified; a 304 returns the copy already parsed), polling no faster than the
service's `Cache-Control: max-age`, and `Retry-After` honoured. Every call has one deadline,
`timeout`, which retries cannot stretch and a trickling server cannot hold open.

Errors, one tree:

    StatusDashboardError
    ├── InvalidUserAgent          also a ValueError; .part names the bad piece
    ├── TransportError            no answer: refused, reset, DNS, TLS
    │   └── Timeout               the call's deadline passed
    ├── ProtocolError             an answer, but not the v1 contract; .path, .truncated
    └── HTTPStatusError           an error status; .status_code, .problem, .trace_id
        ├── NotFound              404: no such environment
        ├── NotAcceptable         406
        ├── RateLimited           429; .retry_after (seconds or None)
        ├── ServiceUnavailable    503; .retry_after
        └── ServerError           any other 5xx

A call retries (at most `retries` times, 2 by default, with jittered backoff, inside its
deadline) only what another GET may mend: connection failures and timeouts, a body cut short,
and 502/503/504. A 4xx is never retried; `watch()` waits out a 429 as its Retry-After says.

See docs/sdk.md for the models, polling etiquette and the `status-dashboard client` command.
"""

from __future__ import annotations

from status_dashboard import __version__
from status_dashboard.sdk._async_client import AsyncStatusClient
from status_dashboard.sdk._changes import Change, ChangeKind
from status_dashboard.sdk._client import StatusClient
from status_dashboard.sdk._errors import (
    HTTPStatusError,
    InvalidUserAgent,
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
from status_dashboard.sdk._exchange import DEFAULT_BASE_URL
from status_dashboard.sdk._models import Dashboard, Group, Item, StatusCode
from status_dashboard.sdk._useragent import UserAgent

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncStatusClient",
    "Change",
    "ChangeKind",
    "Dashboard",
    "Group",
    "HTTPStatusError",
    "InvalidUserAgent",
    "Item",
    "NotAcceptable",
    "NotFound",
    "ProtocolError",
    "RateLimited",
    "ServerError",
    "ServiceUnavailable",
    "StatusClient",
    "StatusCode",
    "StatusDashboardError",
    "Timeout",
    "TransportError",
    "UserAgent",
    "__version__",
]
