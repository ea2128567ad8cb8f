"""The public status page in a real browser: it shows the demo, follows an operator's change
live without reloading, switches language and environment, works without JavaScript, says so
when the stream goes quiet, passes axe-core's WCAG 2.1 A and AA rules in both themes, stays
light, and asks nothing of any host but ours."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Request, Response, expect

from support.server import CONFORMING_AGENT

if TYPE_CHECKING:
    from e2e.conftest import DemoServer

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
ITEM_ID = "2c7ab1fb8df82828f961293921177004"  # PROD "WebService eHealth - IAM Connect - eXchange"
# PROD items without a description, in groups that are not disrupted.
KGSS_NAME = "WebService eHealth - KGSS - Key generation & storage"
STS_NAME = "WebService eHealth - STS - Secure Token Service"
ADMIN_ITEMS = "/api/admin/v1/dashboards/prod/items/"
PAGES = ["/", "/acc", "/int", "/history", f"/items/{ITEM_ID}"]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WEIGHT_LIMIT = 150 * 1024
READER_ZONE = "Pacific/Auckland"  # far from the server's UTC, so a conversion shows
LIVE_WITHIN_MS = 5_000


# -- fixtures ---------------------------------------------------------------------------------


class Visit:
    """A browser context on the demo server that notes every URL it asks for."""

    def __init__(self, browser: Browser, base_url: str, **options: Any) -> None:
        options = {"locale": "en-GB", "timezone_id": READER_ZONE, **options}
        self.context: BrowserContext = browser.new_context(base_url=base_url, **options)
        self.context.set_default_timeout(10_000)
        self.requested: list[str] = []
        self.context.on("request", lambda request: self.requested.append(request.url))

    def page(self) -> Page:
        return self.context.new_page()

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requested if urlsplit(url).hostname != "127.0.0.1"]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Browser, status_server: DemoServer) -> Iterator[Callable[..., Visit]]:
    """Open contexts with the options given; each must have asked only 127.0.0.1."""
    opened: list[Visit] = []

    def open_visit(**options: Any) -> Visit:
        opened.append(Visit(browser, status_server.url, **options))
        return opened[-1]

    yield open_visit
    for each in opened:
        each.close()
    for each in opened:
        assert each.foreign_requests() == [], "requests left 127.0.0.1"


@pytest.fixture
def page(visit: Callable[..., Visit]) -> Page:
    return visit().page()


@pytest.fixture
def operator(status_server: DemoServer) -> Iterator[httpx.Client]:
    """The admin API with the demo admin token; every override it set is cleared afterwards."""
    headers = {
        "User-Agent": CONFORMING_AGENT,
        "Authorization": f"Bearer {status_server.admin_token}",
    }
    patched: set[str] = set()

    def note(request: httpx.Request) -> None:
        if request.method == "PATCH":
            patched.add(request.url.path)

    hooks = {"request": [note]}
    with httpx.Client(
        base_url=status_server.url, headers=headers, timeout=10.0, event_hooks=hooks
    ) as client:
        yield client
        for path in patched:
            client.delete(path + "/override")


# -- helpers ----------------------------------------------------------------------------------


def dashboard(server: DemoServer, env: str = "") -> dict[str, Any]:
    answer = httpx.get(
        f"{server.url}/api/v1/dashboard{env}",
        headers={"User-Agent": CONFORMING_AGENT, "Accept": "application/json"},
        timeout=5.0,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def item_id(server: DemoServer, name: str) -> str:
    groups = dashboard(server)["groups"]
    found: str = next(
        item["id"] for group in groups for item in group["items"] if item["name"] == name
    )
    return found


def strings(page: Page) -> dict[str, Any]:
    text = page.locator("#status-i18n").text_content()
    assert text, "the page has no #status-i18n strings"
    found: dict[str, Any] = json.loads(text)
    return found


def shown(page: Page) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each group id with its items (id, name, status code) in the order on the page."""
    groups = page.eval_on_selector_all(
        "#status section.group[data-group-id]",
        """sections => sections.map(section => [
            section.dataset.groupId,
            [...section.querySelectorAll("li.item[data-item-id]")].map(item => [
                item.dataset.itemId,
                item.querySelector(".item-name").textContent.trim(),
                item.dataset.status,
            ]),
        ])""",
    )
    return [(group_id, [tuple(item) for item in items]) for group_id, items in groups]


def expected(board: dict[str, Any]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return [
        (
            group["id"],
            [
                (item["id"], item["name"], str(item["status_code"]))
                for item in sorted(group["items"], key=lambda item: item["order"])
            ],
        )
        for group in board["groups"]
    ]


def item_row(page: Page, item_id: str = ITEM_ID) -> Locator:
    return page.locator(f'li.item[data-item-id="{item_id}"]')


def reader_clock(updated: Locator) -> str:
    """The hour and minute of a `time.updated` in the reader's zone (the server's is Brussels)."""
    stamp = datetime.fromisoformat(str(updated.get_attribute("datetime")))
    return f"{stamp.astimezone(ZoneInfo(READER_ZONE)):%H:%M}"


def mark_the_document(page: Page) -> None:
    """A property on window survives any change but a reload or a navigation."""
    page.evaluate("window.__notReloaded = true")


def was_not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.__notReloaded === true"))


def wait_for_stream(page: Page, path: str = "/") -> None:
    """Open `path` and wait until the page's EventSource has its answer."""
    with page.expect_response(lambda response: "/stream" in response.url):
        page.goto(path)


# -- the page ---------------------------------------------------------------------------------


def test_the_page_shows_every_group_and_item_of_the_demo_under_its_banner(
    page: Page, status_server: DemoServer
) -> None:
    page.goto("/")
    board = dashboard(status_server)

    assert shown(page) == expected(board)
    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    code = banner.get_attribute("data-status")
    assert code in {"1", "2", "3"}
    expect(banner).to_have_text(strings(page)["banner"][code])
    for status in page.locator("#status .status").all():
        # Colour, icon and text: never colour alone.
        expect(status.locator(".status-icon")).to_have_attribute("aria-hidden", "true")
        expect(status.locator(".status-text")).not_to_be_empty()


def test_times_are_shown_in_the_readers_zone_with_how_long_ago(page: Page) -> None:
    page.goto("/")
    updated = item_row(page).locator("time.updated")
    words = strings(page)
    ago = [words["just_now"]] + [
        words[key].split("{n}")[1].strip() for key in ("minutes_ago", "hours_ago", "days_ago")
    ]

    expect(updated).to_contain_text(reader_clock(updated))
    assert any(word in str(updated.text_content()) for word in ago), updated.text_content()


def test_an_operator_change_appears_at_once_and_is_announced_without_reload(
    page: Page, operator: httpx.Client, status_server: DemoServer
) -> None:
    kgss = item_id(status_server, KGSS_NAME)
    wait_for_stream(page)
    mark_the_document(page)
    words = strings(page)
    row = item_row(page, kgss)
    group = page.locator("section.group", has=row)
    assert group.locator("summary .status").get_attribute("data-status") != "2"
    row.evaluate("node => { window.__row = node }")

    changed = operator.patch(ADMIN_ITEMS + kgss, json={"status_code": 2})
    assert changed.status_code == 200, changed.text

    expect(row).to_have_attribute("data-status", "2", timeout=LIVE_WITHIN_MS)
    expect(row.locator(".status-text")).to_have_text(words["status"]["2"])
    expect(row.locator(".status")).to_have_attribute("data-status", "2")
    expect(group.locator("summary .status")).to_have_attribute("data-status", "2")
    expect(group.locator("summary .status-text")).to_have_text(words["status"]["2"])
    expect(page.locator("#banner")).to_have_attribute("data-status", "2")
    expect(page.locator("#banner")).to_have_text(words["banner"]["2"])
    announced = words["changed"].format(name=KGSS_NAME, status=words["status"]["2"])
    expect(page.locator("#live-announcer")).to_contain_text(announced)
    assert was_not_reloaded(page)
    # A change of status alone is made in place, on the very same element.
    assert row.evaluate("node => node === window.__row")


def test_a_new_description_comes_from_the_server_page_without_reload(
    page: Page, operator: httpx.Client, status_server: DemoServer
) -> None:
    sts = item_id(status_server, STS_NAME)
    wait_for_stream(page)
    mark_the_document(page)
    page.evaluate("window.__announcer = document.getElementById('live-announcer')")
    row = item_row(page, sts)
    expect(row.locator(".description")).to_have_count(0)

    changed = operator.patch(
        ADMIN_ITEMS + sts, json={"status_code": 3, "description": "Checking the signer"}
    )
    assert changed.status_code == 200, changed.text

    expect(row.locator(".description")).to_have_text("Checking the signer", timeout=LIVE_WITHIN_MS)
    expect(row).to_have_attribute("data-status", "3")
    words = strings(page)
    announced = words["changed"].format(name=STS_NAME, status=words["status"]["3"])
    expect(page.locator("#live-announcer")).to_contain_text(announced)
    assert was_not_reloaded(page)
    # Assistive technology keeps listening to the same live region after the swap.
    assert page.evaluate("document.getElementById('live-announcer') === window.__announcer")


def test_an_item_added_and_removed_by_an_operator_comes_and_goes_without_reload(
    page: Page, operator: httpx.Client
) -> None:
    wait_for_stream(page)
    mark_the_document(page)
    created = operator.post(
        "/api/admin/v1/dashboards/prod/items",
        json={"key": "e2e-live", "group": "iam", "name": "Live test service", "status_code": 1},
    )
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    try:
        row = item_row(page, new_id)
        expect(row.locator(".item-name")).to_have_text("Live test service", timeout=LIVE_WITHIN_MS)
        # The swapped-in part is live like the rest: its times are the reader's too.
        updated = row.locator("time.updated")
        expect(updated).to_contain_text(reader_clock(updated))
    finally:
        removed = operator.delete(ADMIN_ITEMS + new_id)
    assert removed.status_code == 200, removed.text
    expect(item_row(page, new_id)).to_have_count(0, timeout=LIVE_WITHIN_MS)
    assert was_not_reloaded(page)


def test_in_dutch_a_change_is_announced_in_dutch_and_the_texts_stay_dutch(
    page: Page, operator: httpx.Client, status_server: DemoServer
) -> None:
    kgss = item_id(status_server, KGSS_NAME)
    wait_for_stream(page, "/?lang=nl")
    words = strings(page)
    descriptions = page.locator("#status .description").all_text_contents()
    name = str(item_row(page, kgss).locator(".item-name").text_content()).strip()

    changed = operator.patch(ADMIN_ITEMS + kgss, json={"status_code": 2})
    assert changed.status_code == 200, changed.text

    announced = words["changed"].format(name=name, status=words["status"]["2"])
    expect(page.locator("#live-announcer")).to_contain_text(announced, timeout=LIVE_WITHIN_MS)
    expect(item_row(page, kgss).locator(".status-text")).to_have_text(words["status"]["2"])
    assert page.locator("#status .description").all_text_contents() == descriptions


# -- switches ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nl", "fr", "en"])
def test_the_language_switch_shows_the_page_in_that_language(page: Page, lang: str) -> None:
    page.goto("/")
    page.locator(f'a[hreflang="{lang}"]').first.click()

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#status")).to_have_attribute("data-lang", lang)
    code = str(page.locator("#banner").get_attribute("data-status"))
    expect(page.locator("#banner")).to_have_text(strings(page)["banner"][code])


def test_the_readers_browser_language_is_the_default(
    visit: Callable[..., Visit],
) -> None:
    dutch = visit(locale="nl-BE").page()
    dutch.goto("/")
    expect(dutch.locator("html")).to_have_attribute("lang", "nl")
    french = visit(locale="fr-BE").page()
    french.goto("/")
    expect(french.locator("html")).to_have_attribute("lang", "fr")


@pytest.mark.parametrize(("label", "path", "env"), [("ACC", "/acc", "acc"), ("INT", "/int", "int")])
def test_the_environment_switch_shows_that_environments_dashboard(
    page: Page, status_server: DemoServer, label: str, path: str, env: str
) -> None:
    page.goto("/")
    page.get_by_role("link", name=label, exact=True).click()

    expect(page).to_have_url(status_server.url + path)
    expect(page.locator("#status")).to_have_attribute("data-environment", env)
    assert shown(page) == expected(dashboard(status_server, f"/{env}"))
    page.get_by_role("link", name="PROD", exact=True).click()
    expect(page.locator("#status")).to_have_attribute("data-environment", "prod")


def test_without_javascript_the_page_shows_the_same_groups_and_items(
    visit: Callable[..., Visit], status_server: DemoServer
) -> None:
    scripted = visit().page()
    scripted.goto("/")
    plain = visit(java_script_enabled=False).page()
    plain.goto("/")

    assert shown(plain) == shown(scripted) == expected(dashboard(status_server))
    expect(plain.locator("#banner")).to_have_text(str(scripted.locator("#banner").text_content()))
    expect(plain.locator("time.updated").first).not_to_be_empty()


# -- a stream that goes quiet -----------------------------------------------------------------


def test_a_silent_stream_says_live_updates_are_paused_and_recovers(
    browser: Browser, quick_server: DemoServer
) -> None:
    visit = Visit(browser, quick_server.url)
    try:
        page = visit.page()
        wait_for_stream(page)
        expect(page.locator("#status")).to_have_attribute("data-heartbeat-s", "0.5")
        words = strings(page)
        paused_prefix = words["live_paused"].split("{time}")[0]
        state = page.locator("#live-state")
        expect(state).to_be_hidden()
        page.wait_for_timeout(1_500)  # three heartbeats: still live
        expect(state).to_be_hidden()

        # A frozen server keeps its connections open and says nothing: the worst case, since
        # EventSource sees no error at all.
        process = quick_server.server.process
        process.send_signal(signal.SIGSTOP)
        try:
            frozen_at = time.monotonic()
            expect(state).to_be_visible(timeout=5_000)
            noticed_in = time.monotonic() - frozen_at
            expect(state).to_contain_text(paused_prefix)
        finally:
            process.send_signal(signal.SIGCONT)
        assert noticed_in >= 0.9, "paused before two heartbeats were missed"

        expect(state).to_be_hidden(timeout=20_000)
        expect(page.locator("#live-announcer")).to_contain_text(words["live_resumed"])
    finally:
        visit.close()
    assert visit.foreign_requests() == []


@pytest.mark.parametrize("path", ["/", "/acc", "/int"])
def test_every_environments_page_stays_live(
    browser: Browser, quick_server: DemoServer, path: str
) -> None:
    visit = Visit(browser, quick_server.url)
    try:
        page = visit.page()
        answers: list[str] = []
        page.on(
            "response",
            lambda response: (
                answers.append(f"{response.status} {response.url}")
                if "/api/v1/dashboard" in response.url
                else None
            ),
        )
        page.goto(path)
        page.wait_for_timeout(2_500)  # five heartbeats
        assert page.locator("#live-state").is_hidden(), f"the page's live data: {answers}"
    finally:
        visit.close()


def is_poll(response: Response) -> bool:
    return urlsplit(response.url).path == "/api/v1/dashboard"


def test_without_eventsource_the_page_polls_with_the_etag(
    visit: Callable[..., Visit], operator: httpx.Client
) -> None:
    visited = visit()
    page = visited.page()
    page.add_init_script("delete window.EventSource")
    page.clock.install()

    with page.expect_response(is_poll) as first:
        page.goto("/")
    etag = first.value.headers.get("etag")
    assert first.value.status == 200
    assert etag

    with page.expect_response(is_poll) as second:
        page.clock.fast_forward("00:31")
    assert second.value.request.headers.get("if-none-match") == etag
    assert second.value.status == 304

    changed = operator.patch(ADMIN_ITEMS + ITEM_ID, json={"status_code": 2})
    assert changed.status_code == 200, changed.text
    with page.expect_response(is_poll) as third:
        page.clock.fast_forward("00:31")
    assert third.value.status == 200
    expect(item_row(page)).to_have_attribute("data-status", "2", timeout=LIVE_WITHIN_MS)
    assert not any("/stream" in url for url in visited.requested)


# -- accessibility, weight and hosts ----------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_wcag_21_aa_violation(
    visit: Callable[..., Visit], axe_script: Path, path: str, scheme: str
) -> None:
    # The page's CSP rightly refuses the injected axe-core script; the test lifts it.
    page = visit(bypass_csp=True).page()
    page.emulate_media(color_scheme=scheme)
    page.goto(path)
    page.wait_for_load_state("load")
    # Collapsed groups hide their items from the rules: open them all.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")
    page.add_script_tag(path=str(axe_script))
    violations = page.evaluate(
        """async tags => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                rule: v.id,
                impact: v.impact,
                help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => `${n.target.join(" ")}: ${n.failureSummary}`),
            }));
        }""",
        WCAG_21_AA,
    )
    assert violations == [], json.dumps(violations, indent=2)


def test_the_page_weighs_less_than_150_kb(visit: Callable[..., Visit]) -> None:
    page = visit().page()
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    wait_for_stream(page)
    page.wait_for_timeout(500)

    # The event stream never finishes: it is not part of the page's weight.
    sizes = {request.url: request.sizes() for request in finished}
    weight = sum(size["responseBodySize"] + size["responseHeadersSize"] for size in sizes.values())
    assert weight < WEIGHT_LIMIT, json.dumps(sizes, indent=2)
    assert any(url.endswith(".js") for url in sizes), "status.js was not loaded"


def test_no_page_asks_any_host_but_127_0_0_1(visit: Callable[..., Visit]) -> None:
    visited = visit()
    page = visited.page()
    for path in PAGES:
        page.goto(path)
        page.wait_for_load_state("load")
    assert visited.requested
    assert visited.foreign_requests() == []


# -- screenshots for the README ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "width", "height"), [("status-desktop", 1280, 900), ("status-phone", 390, 844)]
)
def test_screenshots_of_the_status_page(
    visit: Callable[..., Visit], name: str, width: int, height: int, tmp_path: Path
) -> None:
    """Always taken; written over docs/screenshots/ only with STATUS_DASHBOARD_SCREENSHOTS=1, so
    that `make test` leaves tracked files alone."""
    folder = SCREENSHOTS if os.environ.get("STATUS_DASHBOARD_SCREENSHOTS") == "1" else tmp_path
    options = {"viewport": {"width": width, "height": height}, "color_scheme": "light"}
    page = visit(**options, timezone_id="Europe/Brussels").page()
    wait_for_stream(page)
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / f"{name}.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 10_000
