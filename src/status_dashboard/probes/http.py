"""HTTP(S) checks: status, body keyword or pattern, JSON condition, response time, redirects.

Redirects are followed here, one request at a time, rather than by httpx: the limit is the
check's own (`max_redirects`), while httpx keeps it per client, and a client is shared by many
checks. With `max_redirects` 0 a redirect is not followed and its status is judged as is, so a
check can assert that a URL redirects.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from datetime import datetime
from types import TracebackType

import httpx

from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck, validate_check
from status_dashboard.probes import wording
from status_dashboard.probes.base import guarded
from status_dashboard.probes.errors import CheckFailed
from status_dashboard.probes.jsoncheck import CompiledCondition

BODY_LIMIT = 1024 * 1024
"""Bytes of a body read at most: a health page is small, and a huge one must not eat memory."""
USER_AGENT = "status-dashboard-monitor/1.0"
_EXCERPT_CHARS = 200


class HttpClients:
    """The worker's AsyncClients, shared by its checks so connections are pooled: one set per
    TLS verification setting, each split into `shards` by the check's URL. `ssl_context` is
    the trust used when verification is on (httpx's CA bundle by default). Proxies from the
    environment are ignored unless `trust_env`: a monitor should reach the target the same way
    every time.

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
        trust_env: bool = False,
        shards: int = 16,
    ) -> None:
        self._ssl_context = ssl_context
        self._limits = httpx.Limits(max_connections=max_connections)
        self._trust_env = trust_env
        self._shards = max(1, shards)
        self._clients: dict[tuple[bool, int], httpx.AsyncClient] = {}

    def for_check(self, check: HttpCheck) -> httpx.AsyncClient:
        key = (check.verify_tls, _shard(check.url, self._shards))
        client = self._clients.get(key)
        if client is None:
            verify: ssl.SSLContext | bool = (
                (self._ssl_context or True) if check.verify_tls else False
            )
            client = new_client(verify, self._limits, self._trust_env)
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
    verify: ssl.SSLContext | bool, limits: httpx.Limits | None = None, trust_env: bool = False
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        verify=verify,
        limits=limits or httpx.Limits(),
        trust_env=trust_env,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


class HttpProbe:
    """Runs one `HttpCheck`. Pass the worker's shared client (`HttpClients.for_check`); without
    one, each run opens and closes its own, which suits a one-off run."""

    def __init__(
        self, check: HttpCheck, schedule: CheckSchedule, client: httpx.AsyncClient | None = None
    ) -> None:
        validate_check(check)
        self.check = check
        self.schedule = schedule
        self._client = client
        self._pattern = re.compile(check.body_matches) if check.body_matches else None
        self._condition = (
            CompiledCondition.parse(check.json_condition) if check.json_condition else None
        )

    async def run(self, now: datetime) -> CheckResult:
        return await guarded(self._attempt, now, self.schedule.timeout_s)

    async def _attempt(self) -> str:
        started = time.perf_counter()
        if self._client is not None:
            response, body = await self._fetch(self._client)
        else:
            async with new_client(self.check.verify_tls) as client:
                response, body = await self._fetch(client)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        self._judge(response, body, elapsed_ms)
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
                    request = response.next_request
                    continue
                return response, await _read_limited(response)
            finally:
                await response.aclose()

    def _judge(self, response: httpx.Response, body: bytes, elapsed_ms: float) -> None:
        """Raise `CheckFailed` with the first condition the answer breaks, in the order a
        person would look: status, body, JSON, then speed."""
        check = self.check
        text = _decode(body, response.charset_encoding)
        excerpt = text[:_EXCERPT_CHARS] or None
        if not check.accepts_status(response.status_code):
            raise CheckFailed(f"HTTP {response.status_code}", excerpt)
        if check.body_contains is not None and check.body_contains not in text:
            raise CheckFailed(f"body lacks {wording.value(check.body_contains)}", excerpt)
        if self._pattern is not None and not self._pattern.search(text):
            raise CheckFailed(
                f"body does not match {wording.value(self._pattern.pattern)}", excerpt
            )
        if self._condition is not None:
            self._judge_json(text, excerpt)
        limit = check.max_response_ms
        if limit is not None and elapsed_ms > limit:
            raise CheckFailed(
                f"answered in {wording.milliseconds(elapsed_ms)}, "
                f"more than {wording.milliseconds(limit)}"
            )

    def _judge_json(self, text: str, excerpt: str | None) -> None:
        assert self._condition is not None
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
            raise CheckFailed("body is not JSON", excerpt) from None
        failure = self._condition.failure(document)
        if failure is not None:
            raise CheckFailed(failure, excerpt)


async def _read_limited(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= BODY_LIMIT:
            break
    return b"".join(chunks)[:BODY_LIMIT]


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")
