"""`AsyncStatusClient`: the asyncio client, the same calls as `StatusClient`, awaited.

Its deadline is `asyncio.timeout` around the whole call, retries included: cancelling the task
stops the exchange wherever it is, so connections can be kept alive between calls.
"""

from __future__ import annotations

import asyncio
import random as _random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType

import httpx

from status_dashboard.sdk import _exchange as exchange
from status_dashboard.sdk._changes import Change
from status_dashboard.sdk._errors import StatusDashboardError
from status_dashboard.sdk._gate import RetryAfterGate
from status_dashboard.sdk._models import Dashboard
from status_dashboard.sdk._useragent import UserAgent
from status_dashboard.sdk._watch import ErrorHook, WatchPlan


class AsyncStatusClient:
    """Reads the Status Dashboard from asyncio code.

    >>> agent = UserAgent("myProduct", "62.310.4", connector=("Technical", "3.19.0"))
    >>> async with AsyncStatusClient(user_agent=agent) as client:  # doctest: +SKIP
    ...     dashboard = await client.dashboard()
    """

    def __init__(
        self,
        base_url: str = exchange.DEFAULT_BASE_URL,
        environment: str = exchange.DEFAULT_ENVIRONMENT,
        *,
        user_agent: UserAgent | str,
        timeout: float = 10.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = exchange.CallSettings.checked(base_url, user_agent, timeout, retries)
        self._environment = exchange.checked_environment(environment)
        self._cache = exchange.DashboardCache()
        self._gate = RetryAfterGate()
        self._http = httpx.AsyncClient(transport=transport, follow_redirects=True, max_redirects=5)

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def environment(self) -> str:
        return self._environment

    @property
    def user_agent(self) -> UserAgent:
        return self._settings.user_agent

    async def dashboard(self, environment: str | None = None) -> Dashboard:
        """As `StatusClient.dashboard`: conditional, retried, bounded by `timeout`."""
        env = (
            self._environment if environment is None else exchange.checked_environment(environment)
        )
        return await self._fetch(env, gated=True)

    async def _fetch(self, env: str, *, gated: bool) -> Dashboard:
        url = self._settings.url(env)
        try:
            async with asyncio.timeout(self._settings.timeout):
                return await self._call(url, env, gated=gated)
        except TimeoutError:
            raise exchange.deadline_passed(self._settings, url) from None

    async def watch(
        self,
        interval: float | None = None,
        *,
        environment: str | None = None,
        since: Dashboard | None = None,
        max_polls: int | None = None,
        on_error: ErrorHook | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> AsyncIterator[Change]:
        """As `StatusClient.watch`, as an async iterator; `sleep` is awaited."""
        env = (
            self._environment if environment is None else exchange.checked_environment(environment)
        )
        plan = WatchPlan(interval, random, since=since, environment=env, max_polls=max_polls)
        first_wait = max(plan.delay if since is not None else 0.0, self._gate.remaining(env))
        if first_wait > 0:
            await sleep(first_wait)
        while True:
            try:
                changes = plan.succeeded(await self._fetch(env, gated=False))
            except StatusDashboardError as error:
                plan.failed(error)
                if on_error is not None:
                    on_error(error, plan.delay)
            else:
                for change in changes:
                    yield change
            if plan.done:
                return
            await sleep(plan.delay)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncStatusClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _call(self, url: str, env: str, *, gated: bool) -> Dashboard:
        if gated:
            self._gate.check(env)
        deadline = time.monotonic() + self._settings.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(url, env, deadline)
            except StatusDashboardError as error:
                pause = exchange.retry_pause(self._settings, attempt, error, deadline)
                if pause is None:
                    self._gate.hold(env, error)
                    raise
                await asyncio.sleep(pause)

    async def _attempt(self, url: str, env: str, deadline: float) -> Dashboard:
        # asyncio.timeout in dashboard() is the deadline; httpx's own timeouts only need to
        # be no longer, and to cut a silent connection attempt short enough to retry it.
        remaining = max(0.001, deadline - time.monotonic())
        cached = self._cache.get(env)
        request = self._http.build_request(
            "GET",
            url,
            headers=self._settings.headers(cached),
            timeout=exchange.attempt_timeout(self._settings, remaining),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise exchange.transport_error(exc, url, in_body=False) from exc
        try:
            if response.status_code == 304:
                confirmed = exchange.not_modified(cached, response.headers, exchange.utc_now())
                return self._cache.keep(confirmed)
            reader = exchange.BodyReader(self._settings, url, deadline)
            try:
                async for chunk in response.aiter_bytes():
                    reader.add(chunk)
            except httpx.HTTPError as exc:
                raise exchange.transport_error(exc, url, in_body=True) from exc
        finally:
            await response.aclose()
        dashboard = exchange.answer(
            response.status_code,
            response.headers,
            reader.body(),
            url=url,
            environment=env,
            now=exchange.utc_now(),
        )
        return self._cache.keep(dashboard)
