"""The async client against the service's own ASGI app, in process (httpx.ASGITransport): the
same answers as over a socket, without one, as a partner's integration tests could run them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from integration.sdk.sessions import AGENT
from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings
from status_dashboard.sdk import AsyncStatusClient, Dashboard, NotFound, StatusCode


@pytest.fixture
def app(sqlite_url: str) -> httpx.ASGITransport:
    """The demo's app, its dashboards rendered once; no monitor, so every state is the
    catalog's own."""
    settings = Settings(database_url=sqlite_url, demo=True, monitor=False)
    runtime = ServerRuntime(settings, open_stores(settings))
    runtime.load_startup_catalog()
    runtime.publisher.refresh()
    return httpx.ASGITransport(app=runtime.app())


def _twice(transport: httpx.ASGITransport, environment: str) -> tuple[Dashboard, Dashboard]:
    async def run() -> tuple[Dashboard, Dashboard]:
        async with AsyncStatusClient(
            "http://status.test", environment, user_agent=AGENT, transport=transport
        ) as client:
            return await client.dashboard(), await client.dashboard()

    return asyncio.run(asyncio.wait_for(run(), 30))


@pytest.mark.parametrize("environment", ["prod", "acc", "int"])
def test_each_environment_is_read_and_revalidated_in_process(
    app: httpx.ASGITransport, environment: str
) -> None:
    first, second = _twice(app, environment)
    assert len(first.items()) > 30
    assert first.max_age == 15
    assert second.groups is first.groups


def test_the_demos_hand_set_states_read_in_process(app: httpx.ASGITransport) -> None:
    dashboard, _ = _twice(app, "prod")
    assert dashboard.item("715d31b5a498a4587fedc57dada6a9df").status_code is StatusCode.DISRUPTED
    assert {i.status_code for i in dashboard.find("Vitalink")} == {StatusCode.UNKNOWN}


def test_an_unknown_environment_is_not_found_in_process(app: httpx.ASGITransport) -> None:
    with pytest.raises(NotFound, match="No dashboard for environment 'qa'"):
        _twice(app, "qa")
