"""The sync and the async client behind one face, so that each behaviour is tested on both."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from status_dashboard.sdk import AsyncStatusClient, Dashboard, StatusClient, UserAgent

AGENT = UserAgent("statusDashboardTests", "1.0", connector=("status-dashboard-sdk", "test"))
CALL_LIMIT_S = 30.0
"""No call of these tests may take longer, whatever it is waiting for."""


class Session(Protocol):
    def dashboard(self, environment: str | None = None) -> Dashboard: ...


class _SyncSession:
    def __init__(self, url: str, **settings: Any) -> None:
        self.client = StatusClient(url, user_agent=settings.pop("user_agent", AGENT), **settings)

    def dashboard(self, environment: str | None = None) -> Dashboard:
        return self.client.dashboard(environment)

    def close(self) -> None:
        self.client.close()


class _AsyncSession:
    def __init__(self, url: str, **settings: Any) -> None:
        self.runner = asyncio.Runner()
        agent = settings.pop("user_agent", AGENT)

        async def make() -> AsyncStatusClient:
            return AsyncStatusClient(url, user_agent=agent, **settings)

        self.client = self.runner.run(make())

    def dashboard(self, environment: str | None = None) -> Dashboard:
        async def bounded() -> Dashboard:
            return await asyncio.wait_for(self.client.dashboard(environment), CALL_LIMIT_S)

        return self.runner.run(bounded())

    def close(self) -> None:
        self.runner.run(self.client.aclose())
        self.runner.close()


@contextmanager
def open_session(kind: str, url: str, **settings: Any) -> Iterator[Session]:
    """A client of `kind` ("sync" or "async") for `url`; `settings` go to its constructor."""
    session = _SyncSession(url, **settings) if kind == "sync" else _AsyncSession(url, **settings)
    try:
        yield session
    finally:
        session.close()
