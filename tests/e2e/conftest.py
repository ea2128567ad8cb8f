"""Fixtures of the browser tests: a real server with the operators' UI, a `serve --demo` server
for the public pages, and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium these tests skip, except where STATUS_DASHBOARD_TEST_REQUIRE_ALL=1
(CI): there a skipped browser would hide a failure, so they fail and say what to install.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.web.ui_server import UiServer, ui_server

from support.databases import sqlite_database_url
from support.server import RunningServer, running_server

CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        _missing(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")


def _missing(message: str) -> None:
    if os.environ.get("STATUS_DASHBOARD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser bundle, which `make test` installs (scripts/install-axe.sh)."""
    if not AXE_SCRIPT.exists():
        _missing(
            f"the accessibility tests need axe-core at {AXE_SCRIPT} (sh scripts/install-axe.sh)"
        )
    return AXE_SCRIPT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("ui-e2e")) as running:
        yield running


@dataclass
class DemoServer:
    """`serve --demo --no-monitor`: the demo catalog, and the admin token it prints."""

    server: RunningServer
    admin_token: str

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def demo_server(directory: Path, env: dict[str, str] | None = None) -> Iterator[DemoServer]:
    url = sqlite_database_url(directory)
    with running_server(url, directory, "--demo", "--no-monitor", env=env) as server:
        printed = re.search(
            r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)", server.log()
        )
        assert printed, f"serve --demo printed no admin token:\n{server.log()}"
        yield DemoServer(server, printed.group(1))


@pytest.fixture(scope="module")
def status_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with demo_server(tmp_path_factory.mktemp("status-e2e")) as running:
        yield running


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A demo server whose stream beats every half second, so silence shows within seconds."""
    environment = {"STATUS_DASHBOARD_SSE_HEARTBEAT": "0.5"}
    with demo_server(tmp_path_factory.mktemp("quick-e2e"), env=environment) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
