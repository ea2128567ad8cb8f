"""The public pages' render cache under concurrent readers: one render per page and moment, the
others wait for it; a failed render reaches every reader waiting on it; a reader who hangs up
does not cancel the render. The real routes, templates and read model, over the memory stores
and in-process ASGI."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.status import StatusCode
from status_dashboard.service.status_page import StatusPage
from status_dashboard.store.memory import (
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryOperationsStore,
    MemoryUptimeStore,
)
from status_dashboard.web.public import status_pages
from status_dashboard.web.public.pages import PublicPages

NOW = datetime(2026, 3, 10, 9, 0, 30, tzinfo=UTC)
READERS = 20
HEADERS = {"Accept": "text/html", "Accept-Encoding": "br", "User-Agent": "reader/1.0 test/1.0"}


class Renders:
    """Counts the overview renders and holds each until released, so that readers pile up
    behind it as they do behind a slow render; wraps the real method."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.release = threading.Event()
        self.fail: Exception | None = None
        real = PublicPages.overview

        def overview(pages: PublicPages, *args: Any, **kwargs: Any) -> bytes:
            self.count += 1
            if not self.release.wait(timeout=10):
                raise AssertionError("the render was never released")
            if self.fail is not None:
                raise self.fail
            return real(pages, *args, **kwargs)

        monkeypatch.setattr(PublicPages, "overview", overview)


class Unavailable(Exception):
    """As the store's outage errors are: they carry a Retry-After."""

    retry_after_s = 5


def _catalog(status: StatusCode) -> CatalogSpec:
    item = ItemSpec("idp", "IDP", 1, status=status)
    group = GroupSpec("iam", "IAM", 1, items=(item,))
    return CatalogSpec(
        (EnvironmentSpec("prod", 1, name="Production", is_default=True, groups=(group,)),)
    )


def _change(dashboards: MemoryDashboardStore) -> None:
    """An operator's change: the item goes Disrupted, and the revision moves."""
    before = dashboards.revision()
    dashboards.apply_catalog(_catalog(StatusCode.DISRUPTED), NOW)
    assert dashboards.revision() > before


@pytest.fixture
def dashboards() -> MemoryDashboardStore:
    store = MemoryDashboardStore(database=MemoryDatabase())
    store.apply_catalog(_catalog(StatusCode.OPERATIONAL), NOW)
    return store


@pytest.fixture
def site(dashboards: MemoryDashboardStore) -> httpx.AsyncClient:
    database = dashboards.database
    page = StatusPage(
        dashboards,
        MemoryOperationsStore(database, clock=lambda: NOW),
        MemoryUptimeStore(database),
        revision=dashboards.revision,
        clock=lambda: NOW,
    )
    routes = status_pages(page, zone=UTC, clock=lambda: NOW, environment_keys=lambda: ["prod"])
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    return httpx.AsyncClient(transport=transport, base_url="http://pages.test", headers=HEADERS)


async def _readers(client: httpx.AsyncClient, renders: Renders) -> list[httpx.Response]:
    asking = [asyncio.create_task(client.get("/")) for _ in range(READERS)]
    await _until(lambda: renders.count >= 1)
    await asyncio.sleep(0.05)  # every reader has asked by now, and found the render under way
    renders.release.set()
    return await asyncio.gather(*asking)


async def _until(condition: Any, limit_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_readers_who_ask_during_a_render_wait_for_it_instead_of_rendering_again(
    site: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = Renders(monkeypatch)

    async def scenario() -> None:
        answers = await _readers(site, renders)
        assert [a.status_code for a in answers] == [200] * READERS
        assert len({a.headers["etag"] for a in answers}) == 1
        assert "IDP" in answers[0].text
        assert renders.count == 1
        # Then it is served from memory: no render at all.
        assert (await site.get("/")).status_code == 200
        assert renders.count == 1

    asyncio.run(scenario())


def test_a_change_costs_one_more_render_for_all_readers(
    site: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, dashboards: MemoryDashboardStore
) -> None:
    renders = Renders(monkeypatch)

    async def scenario() -> None:
        renders.release.set()
        first = await site.get("/")
        renders.release.clear()
        _change(dashboards)
        answers = await _readers(site, renders)
        assert renders.count == 2
        assert {a.status_code for a in answers} == {200}
        assert {a.headers["etag"] for a in answers} != {first.headers["etag"]}

    asyncio.run(scenario())


def test_a_failed_render_reaches_every_reader_waiting_for_it(
    site: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, dashboards: MemoryDashboardStore
) -> None:
    renders = Renders(monkeypatch)

    async def scenario() -> None:
        renders.release.set()
        kept = await site.get("/")
        renders.release.clear()
        # The store goes away: every reader gets the last page, from one failed render.
        renders.fail = Unavailable("the database is unavailable")
        _change(dashboards)
        answers = await _readers(site, renders)
        assert renders.count == 2
        assert [a.status_code for a in answers] == [200] * READERS
        assert {a.headers["etag"] for a in answers} == {kept.headers["etag"]}
        # Nothing of the failed render is kept: the next reader tries again.
        renders.fail = None
        assert (await site.get("/")).status_code == 200
        assert renders.count == 3

    asyncio.run(scenario())


def test_a_reader_who_hangs_up_does_not_cancel_the_render_others_wait_for(
    site: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders = Renders(monkeypatch)

    async def scenario() -> None:
        leaving = asyncio.create_task(site.get("/"))
        await _until(lambda: renders.count >= 1)
        staying = asyncio.create_task(site.get("/"))
        await asyncio.sleep(0.05)
        leaving.cancel()
        renders.release.set()
        answer = await staying
        assert answer.status_code == 200
        assert renders.count == 1
        with pytest.raises(asyncio.CancelledError):
            await leaving

    asyncio.run(scenario())
