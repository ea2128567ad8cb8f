"""Fixtures of the browser tests: a real server with the operators' UI, and Debian's Chromium
driven by Playwright.

Without /usr/bin/chromium these tests skip, except where STATUS_DASHBOARD_TEST_REQUIRE_ALL=1
(CI): there a skipped browser would hide a failure, so they fail and say what to install.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.web.ui_server import UiServer, ui_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("STATUS_DASHBOARD_TEST_REQUIRE_ALL") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("ui-e2e")) as running:
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
