"""`StatusClient`: the blocking client.

Each call has one deadline (`timeout`, retries and their pauses included), enforced by
`_deadline.run_bounded`. Connections are not kept alive between calls: a poller asks every 15 s
or more, longer than many servers and proxies keep an idle connection, and a fresh connection
per call is one whose socket the deadline can always cut.
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Iterator
from types import TracebackType

import httpx

from status_dashboard.sdk import _exchange as exchange
from status_dashboard.sdk._changes import Change
from status_dashboard.sdk._deadline import Cancellation, run_bounded
from status_dashboard.sdk._errors import StatusDashboardError
from status_dashboard.sdk._gate import RetryAfterGate
from status_dashboard.sdk._models import Dashboard
from status_dashboard.sdk._useragent import UserAgent
from status_dashboard.sdk._watch import ErrorHook, WatchPlan

_NO_KEEPALIVE = httpx.Limits(max_connections=10, max_keepalive_connections=0)


class StatusClient:
    """Reads the Status Dashboard: `dashboard()` once, or `watch()` for changes.

    >>> agent = UserAgent("myProduct", "62.310.4", connector=("Technical", "3.19.0"))
    >>> with StatusClient(user_agent=agent) as client:  # doctest: +SKIP
    ...     print(client.dashboard().disrupted())
    """

    def __init__(
        self,
        base_url: str = exchange.DEFAULT_BASE_URL,
        environment: str = exchange.DEFAULT_ENVIRONMENT,
        *,
        user_agent: UserAgent | str,
        timeout: float = 10.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = exchange.CallSettings.checked(base_url, user_agent, timeout, retries)
        self._environment = exchange.checked_environment(environment)
        self._cache = exchange.DashboardCache()
        self._gate = RetryAfterGate()
        self._http = httpx.Client(
            transport=transport,
            limits=_NO_KEEPALIVE,
            follow_redirects=True,
            max_redirects=5,
        )

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def environment(self) -> str:
        return self._environment

    @property
    def user_agent(self) -> UserAgent:
        return self._settings.user_agent

    def dashboard(self, environment: str | None = None) -> Dashboard:
        """The environment's dashboard (this client's own unless named).

        Asks conditionally when a copy is cached, and answers a 304 with that copy, unparsed.
        Raises a StatusDashboardError; never takes longer than `timeout`.
        """
        env = (
            self._environment if environment is None else exchange.checked_environment(environment)
        )
        return self._fetch(env, gated=True)

    def _fetch(self, env: str, *, gated: bool) -> Dashboard:
        url = self._settings.url(env)
        return run_bounded(
            lambda cancellation: self._call(url, env, cancellation, gated=gated),
            self._settings.timeout,
            lambda: exchange.deadline_passed(self._settings, url),
        )

    def watch(
        self,
        interval: float | None = None,
        *,
        environment: str | None = None,
        since: Dashboard | None = None,
        max_polls: int | None = None,
        on_error: ErrorHook | None = None,
        sleep: Callable[[float], object] = time.sleep,
        random: Callable[[], float] = _random.random,
    ) -> Iterator[Change]:
        """Poll and yield each change as it is seen; see `WatchPlan` for the pace.

        The first dashboard is the baseline (pass `since` to use one already fetched).
        Transient failures are reported to `on_error(error, seconds_until_next_poll)` and
        waited out; an error no retry can mend (404, 406, other 4xx) is raised. `max_polls`
        ends the iteration after that many requests; `sleep` and `random` are the hooks for
        tests.
        """
        env = (
            self._environment if environment is None else exchange.checked_environment(environment)
        )
        plan = WatchPlan(interval, random, since=since, environment=env, max_polls=max_polls)
        # A Retry-After this client was given before still holds; from then on the plan's
        # pace honours every new one, so the polls themselves are not gated again.
        first_wait = max(plan.delay if since is not None else 0.0, self._gate.remaining(env))
        if first_wait > 0:
            sleep(first_wait)
        while True:
            try:
                changes = plan.succeeded(self._fetch(env, gated=False))
            except StatusDashboardError as error:
                plan.failed(error)
                if on_error is not None:
                    on_error(error, plan.delay)
            else:
                yield from changes
            if plan.done:
                return
            sleep(plan.delay)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StatusClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, url: str, env: str, cancellation: Cancellation, *, gated: bool) -> Dashboard:
        if gated:
            self._gate.check(env)
        deadline = time.monotonic() + self._settings.timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(url, env, deadline, cancellation)
            except StatusDashboardError as error:
                pause = exchange.retry_pause(self._settings, attempt, error, deadline)
                if pause is None or cancellation.wait(pause):
                    self._gate.hold(env, error)
                    raise

    def _attempt(
        self, url: str, env: str, deadline: float, cancellation: Cancellation
    ) -> Dashboard:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or cancellation.cancelled:
            raise exchange.deadline_passed(self._settings, url)
        cached = self._cache.get(env)
        request = self._http.build_request(
            "GET",
            url,
            headers=self._settings.headers(cached),
            timeout=exchange.attempt_timeout(self._settings, remaining),
            extensions={"trace": cancellation.trace},
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise exchange.transport_error(exc, url, in_body=False) from exc
        try:
            if response.status_code == 304:
                confirmed = exchange.not_modified(cached, response.headers, exchange.utc_now())
                return self._cache.keep(confirmed)
            reader = exchange.BodyReader(self._settings, url, deadline)
            try:
                for chunk in response.iter_bytes():
                    reader.add(chunk)
            except httpx.HTTPError as exc:
                raise exchange.transport_error(exc, url, in_body=True) from exc
        finally:
            response.close()
        dashboard = exchange.answer(
            response.status_code,
            response.headers,
            reader.body(),
            url=url,
            environment=env,
            now=exchange.utc_now(),
        )
        return self._cache.keep(dashboard)
