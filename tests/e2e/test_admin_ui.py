"""An operator in a real browser: sign in, change an item on the board, run an incident, and
see the public dashboard follow."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from integration.web.ui_server import PASSWORDS, UiServer

from support.server import CONFORMING_AGENT

pytestmark = pytest.mark.browser

ITEM_ID = "2c7ab1fb8df82828f961293921177004"  # PROD "WebService eHealth - IAM Connect - eXchange"
ITEM_NAME = "WebService eHealth - IAM Connect - eXchange"
STS_NAME = "WebService eHealth - STS - Secure Token Service"


@pytest.fixture
def page(browser: Browser, server: UiServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    try:
        yield opened
    finally:
        context.close()


def sign_in(page: Page, name: str = "alice") -> None:
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Board: PROD")).to_be_visible()


def public_item(server: UiServer, name: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{server.url}/api/v1/dashboard",
        headers={"User-Agent": CONFORMING_AGENT, "Accept": "application/json"},
        timeout=5.0,
    )
    answer.raise_for_status()
    for group in answer.json()["groups"]:
        for item in group["items"]:
            if item["name"] == name:
                found: dict[str, Any] = item
                return found
    raise AssertionError(f"no item {name!r} on the public dashboard")


def within_a_second(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 1.0
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_an_operator_sets_an_item_disrupted_and_clears_it_again(
    page: Page, server: UiServer
) -> None:
    sign_in(page)
    row = page.locator(f"#item-{ITEM_ID}")
    row.get_by_label(f"Status of {ITEM_NAME}").select_option(label="Disrupted")
    row.get_by_label(f"Description of {ITEM_NAME}").fill("Token exchange fails for some users")
    row.get_by_role("button", name="Set").click()

    expect(page.get_by_role("status")).to_contain_text("set to Disrupted")
    expect(row.locator(".st")).to_contain_text("Disrupted")
    expect(row.locator(".src")).to_contain_text("override")
    assert within_a_second(
        lambda: (
            public_item(server, ITEM_NAME).get("status_code") == 2
            and public_item(server, ITEM_NAME).get("description")
            == "Token exchange fails for some users"
        )
    )

    row.get_by_role("button", name="Clear override").click()

    expect(page.get_by_role("status")).to_contain_text("override cleared")
    expect(row.locator(".st")).to_contain_text("Operational")
    assert within_a_second(lambda: public_item(server, ITEM_NAME)["status_code"] == 1)


def test_an_operator_opens_an_incident_and_resolves_it(page: Page, server: UiServer) -> None:
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Incidents").click()
    page.get_by_role("link", name="Open an incident").click()
    page.get_by_label("Title").fill("STS refuses tokens")
    page.get_by_label("Impact").select_option("major")
    page.get_by_label(STS_NAME).check()
    page.get_by_label("First message").fill("We are looking into failing token requests.")
    page.get_by_role("button", name="Open incident").click()

    expect(page.get_by_role("heading", name="STS refuses tokens")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("We are looking into failing token requests.")
    assert within_a_second(lambda: public_item(server, STS_NAME)["status_code"] == 2)

    page.get_by_label("State").select_option("resolved")
    page.get_by_label("Message").fill("Fixed: the signing key was rotated back.")
    page.get_by_role("button", name="Post update").click()

    expect(page.locator(".timeline")).to_contain_text("Fixed: the signing key was rotated back.")
    expect(page.locator("#incident-state")).to_contain_text("resolved")
    assert within_a_second(lambda: public_item(server, STS_NAME)["status_code"] == 1)
