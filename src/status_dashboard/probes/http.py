"""HTTP(S) checks: status, body keyword or pattern, JSON condition, response time, redirects.

Redirects are followed here, one request at a time, rather than by httpx: the limit is the
check's own (`max_redirects`), while httpx keeps it per client, and a client is shared by many
checks. With `max_redirects` 0 a redirect is not followed and its status is judged as is, so a
check can assert that a URL redirects. Every connection, the first and each redirect's, goes
through the outbound policy (probes/outbound.py).

Nothing the target sends may stall the server (docs/design.md §7): the body is read as a stream and
no further than `BODY_LIMIT`; it is decoded, parsed and matched off the event loop
(probes/judging.py), with RE2 for patterns and orjson (which refuses JSON nested deeper than
1,024 levels) for JSON, all within the check's timeout.

What a failing result says in `reason` is public (an item's status page shows it), so it never
quotes the target's answer: the excerpt, the value a JSON condition found, go to `detail`,
which only admins see.
"""

from __future__ import annotations

import ssl
import time
from datetime import datetime
from types import TracebackType

import httpx

from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck, validate_check
from status_dashboard.domain.outbound import OutboundPolicy
from status_dashboard.probes import wording
from status_dashboard.probes.base import guarded
from status_dashboard.probes.errors import CheckFailed
from status_dashboard.probes.judging import BodyJudge, off_loop
from status_dashboard.probes.outbound import guarded_transport

BODY_LIMIT = 1024 * 1024
"""Bytes of a body read at most: a health page is small, and a huge one must not eat memory
nor time. A check that examines the body fails on a larger one ("body too large")."""
USER_AGENT = "status-dashboard-monitor/1.0"


class HttpClients:
    """The worker's AsyncClients, shared by its checks so connections are pooled: one set per
    TLS verification setting, each split into `shards` by the check's URL. `ssl_context` is
    the trust used when verification is on (httpx's CA bundle by default). Every connection
    goes through `policy` (probes/outbound.py); the TCP and TLS probes take it from here too.
    Proxies from the environment are ignored: a monitor reaches the target itself, the same
    way every time, and judges the address it reaches.

    Why shards: httpcore's pool looks at every connection it holds on each request, so one pool
    for a hundred checks in flight costs more than the requests themselves (measured: 7.8 ms
    of CPU per check with one pool, 3.9 ms with sixteen). Connections stay pooled within a
    shard, so checks that share a shard and a host still reuse them.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        policy: OutboundPolicy | None = None,
        shards: int = 16,
    ) -> None:
        self._ssl_context = ssl_context
        self._limits = httpx.Limits(max_connections=max_connections)
        self.policy = OutboundPolicy() if policy is None else policy
        self._shards = max(1, shards)
        self._clients: dict[tuple[bool, int], httpx.AsyncClient] = {}

    def for_check(self, check: HttpCheck) -> httpx.AsyncClient:
        key = (check.verify_tls, _shard(check.url, self._shards))
        client = self._clients.get(key)
        if client is None:
            verify: ssl.SSLContext | bool = (
                (self._ssl_context or True) if check.verify_tls else False
            )
            client = new_client(verify, self.policy, self._limits)
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def __aenter__(self) -> HttpClients:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _shard(url: str, shards: int) -> int:
    """The shard of a URL (stable within the process)."""
    return hash(url) % shards


def new_client(
    verify: ssl.SSLContext | bool, policy: OutboundPolicy, limits: httpx.Limits | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=guarded_transport(verify, limits or httpx.Limits(), policy),
        trust_env=False,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


class HttpProbe:
    """Runs one `HttpCheck`. Pass the worker's shared client (`HttpClients.for_check`); without
    one, each run opens and closes its own through `policy`, which suits a one-off run."""

    def __init__(
        self,
        check: HttpCheck,
        schedule: CheckSchedule,
        client: httpx.AsyncClient | None = None,
        policy: OutboundPolicy | None = None,
    ) -> None:
        validate_check(check)
        self.check = check
        self.schedule = schedule
        self._client = client
        self._policy = OutboundPolicy() if policy is None else policy
        self._judge = BodyJudge(check)

    async def run(self, now: datetime) -> CheckResult:
        return await guarded(self._attempt, now, self.schedule.timeout_s)

    async def _attempt(self) -> str:
        started = time.perf_counter()
        if self._client is not None:
            response, body = await self._fetch(self._client)
        else:
            async with new_client(self.check.verify_tls, self._policy) as client:
                response, body = await self._fetch(client)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        # Off the loop, and within the check's timeout (`guarded` cancels the wait).
        await off_loop(self._judge.judge, response.status_code, body, response.charset_encoding)
        limit = self.check.max_response_ms
        if limit is not None and elapsed_ms > limit:
            raise CheckFailed(
                f"answered in {wording.milliseconds(elapsed_ms)}, "
                f"more than {wording.milliseconds(limit)}"
            )
        return f"HTTP {response.status_code} in {wording.milliseconds(elapsed_ms)}"

    async def _fetch(self, client: httpx.AsyncClient) -> tuple[httpx.Response, bytes]:
        check = self.check
        request = client.build_request(
            check.method,
            check.url,
            headers=dict(check.headers),
            timeout=httpx.Timeout(self.schedule.timeout_s),
        )
        redirects = 0
        while True:
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                if check.max_redirects and response.next_request is not None:
                    redirects += 1
                    if redirects > check.max_redirects:
                        raise CheckFailed(
                            f"too many redirects ({redirects})",
                            f"last Location: {response.headers.get('location')}",
                        )
                    request = _without_own_headers_elsewhere(response.next_request, check)
                    continue
                return response, await self._read_body(response)
            finally:
                await response.aclose()

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The body, up to `BODY_LIMIT`. "body too large" past it when the check examines the
        body; otherwise the part read serves as the excerpt of a failure's detail."""
        examined = self._judge.examines_body
        declared = response.headers.get("content-length", "")
        if examined and declared.isdigit() and int(declared) > BODY_LIMIT:
            raise _too_large(f"Content-Length: {declared}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > BODY_LIMIT:
                if examined:
                    raise _too_large(f"more than {BODY_LIMIT:,} bytes read")
                break
        return b"".join(chunks)[:BODY_LIMIT]


def _without_own_headers_elsewhere(request: httpx.Request, check: HttpCheck) -> httpx.Request:
    """The redirected request, without the check's own headers when it leaves the check's
    scheme, host and port: they may hold credentials (httpx drops only Authorization), and
    who sets the Location is the target, not the admin."""
    origin = httpx.URL(check.url)
    url = request.url
    if (url.scheme, url.host, url.port) == (origin.scheme, origin.host, origin.port):
        return request
    for name in check.headers:
        request.headers.pop(name, None)
    return request


def _too_large(detail: str) -> CheckFailed:
    return CheckFailed(f"body too large (over {BODY_LIMIT // (1024 * 1024)} MiB)", detail)
