"""The public status pages over real HTTP, on `serve --demo`: what they show (groups, items,
banner, incidents, maintenance, history, item detail) in which language, and how they are
served (security headers, ETag, fingerprinted static files), all without JavaScript."""

from __future__ import annotations

import gzip
import html
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from status_dashboard.domain.status import StatusCode, rollup

from support.admin import Admin, admin_server
from support.server import CONFORMING_AGENT

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, disrupted in the demo, translated
EXCHANGE = "2c7ab1fb8df82828f961293921177004"  # PROD, operational, translated name only
BANNERS = {
    1: "All services operational",
    2: "Some services disrupted",
    3: "Status unknown for some services",
}
ASSET = re.compile(r'(?:href|src)="(/static/status\.[0-9a-f]{10}\.(?:css|js))"')


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"pages-{request.param}")
    with admin_server(request.param, directory, default_role="operator") as running:
        yield running


@pytest.fixture
def browser(admin: Admin) -> Iterator[httpx.Client]:
    """A client as a browser without JavaScript is: HTML wanted, cookies kept."""
    headers = {"User-Agent": CONFORMING_AGENT, "Accept": "text/html", "Accept-Language": "en"}
    with httpx.Client(base_url=admin.server.url, headers=headers, timeout=10.0) as client:
        yield client


def dashboard(admin: Admin, env: str = "") -> dict[str, Any]:
    with admin.server.client() as client:
        answer = client.get(f"/api/v1/dashboard{env}")
    answer.raise_for_status()
    document: dict[str, Any] = answer.json()
    return document


def shown(page: str) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """Each group id with its items (id, name, status) in the order of the page."""
    groups = []
    for section in re.split(r'<section class="group" ', page)[1:]:
        group_id = re.match(r'data-group-id="([^"]+)"', section)
        assert group_id, section[:200]
        items = [
            (item_id, html.unescape(name), int(code))
            for item_id, code, name in re.findall(
                r'<li class="item" data-item-id="([0-9a-f]{32})" data-status="(\d)">.*?'
                r'<span class="item-name">(.*?)</span>',
                section,
                re.DOTALL,
            )
        ]
        groups.append((group_id.group(1), items))
    return groups


def expected(board: dict[str, Any]) -> list[tuple[str, list[tuple[str, str, int]]]]:
    return [
        (
            group["id"],
            [
                (item["id"], item["name"], item["status_code"])
                for item in sorted(group["items"], key=lambda item: item["order"])
            ],
        )
        for group in board["groups"]
    ]


def banner(page: str) -> tuple[int, str]:
    found = re.search(r'<div id="banner" class="banner" data-status="(\d)">([^<]*)</div>', page)
    assert found, "the page has no banner"
    return int(found.group(1)), html.unescape(found.group(2))


def agreeing(
    browser: httpx.Client, admin: Admin, path: str, env: str
) -> tuple[str, dict[str, Any]]:
    """The page and the JSON dashboard of one moment. The demo's monitor may move an item
    between two reads; the page follows within the publisher's refresh, so try again."""
    deadline = time.monotonic() + 10
    while True:
        board = dashboard(admin, env)
        page = browser.get(path).text
        if shown(page) == expected(board) or time.monotonic() > deadline:
            return page, board
        time.sleep(0.2)


def item_ids(admin: Admin, env: str) -> list[str]:
    return [item["id"] for group in dashboard(admin, env)["groups"] for item in group["items"]]


# -- what the pages show ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "env"), [("/", ""), ("/prod", ""), ("/acc", "/acc"), ("/int", "/int")]
)
def test_each_environment_page_shows_its_groups_and_items_in_order(
    admin: Admin, browser: httpx.Client, path: str, env: str
) -> None:
    answer = browser.get(path)
    page, board = agreeing(browser, admin, path, env)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert shown(page) == expected(board)
    assert len(board["groups"]) >= 5


@pytest.mark.parametrize(("path", "env"), [("/", ""), ("/acc", "/acc"), ("/int", "/int")])
def test_the_banner_says_what_the_groups_roll_up_to(
    admin: Admin, browser: httpx.Client, path: str, env: str
) -> None:
    page, board = agreeing(browser, admin, path, env)
    code = rollup(StatusCode(group["status_code"]) for group in board["groups"])

    assert banner(page) == (int(code), BANNERS[int(code)])


def test_an_item_shows_status_by_icon_and_text_with_its_description_and_time(
    browser: httpx.Client,
) -> None:
    page = browser.get("/").text
    row = re.search(rf'<li class="item" data-item-id="{IDP}".*?</li>', page, re.DOTALL)
    assert row
    item = row.group(0)

    assert 'data-status="2"' in item
    assert re.search(
        r'<span class="status" data-status="2"><span class="status-icon" aria-hidden="true">'
        r'[^<]+</span><span class="status-text">Disrupted</span></span>',
        item,
    )
    assert '<p class="description">User can not select profile anymore' in item
    stamp = re.search(r'<time class="updated" datetime="([^"]+)">([^<]+)</time>', item)
    assert stamp
    assert datetime.fromisoformat(stamp.group(1)).utcoffset() in (
        timedelta(hours=1),
        timedelta(hours=2),
    )
    assert re.search(r"\((just now|\d+ min ago|\d+ h ago|\d+ days? ago)\)", stamp.group(2))
    # The 90 daily bars, each with its tooltip, and the uptime figures.
    assert item.count("<rect x=") == 90
    assert item.count("<title>") == 90
    assert re.search(r"Uptime \S+ over 30 days, \S+ over 90 days", item)


def test_the_page_carries_the_live_scripts_contract(browser: httpx.Client) -> None:
    prod = browser.get("/").text
    acc = browser.get("/acc").text

    assert (
        '<main id="status" tabindex="-1" data-environment="prod" '
        'data-dashboard-url="/api/v1/dashboard" data-stream-url="/api/v1/dashboard/stream" '
        'data-heartbeat-s="15" data-lang="en">'
    ) in prod
    assert 'data-dashboard-url="/api/v1/dashboard/acc"' in acc
    assert 'data-stream-url="/api/v1/dashboard/acc/stream"' in acc
    assert '<p id="live-announcer" class="visually-hidden" aria-live="polite"></p>' in prod
    assert '<p id="live-state" hidden></p>' in prod
    assert re.search(r'<script src="/static/status\.[0-9a-f]{10}\.js" defer></script>', prod)
    strings = re.search(
        r'<script type="application/json" id="status-i18n">(.*?)</script>', prod, re.DOTALL
    )
    assert strings
    words = httpx.Response(200, content=strings.group(1)).json()
    assert words["status"] == {"1": "Operational", "2": "Disrupted", "3": "Unknown"}
    assert words["banner"]["2"] == BANNERS[2]
    assert words["live_paused"] == "Live updates paused, last refreshed at {time}"
    assert words["changed"] == "{name} is now {status}"
    assert {"live_resumed", "just_now", "minutes_ago", "hours_ago", "days_ago"} <= set(words)


def test_the_page_works_without_javascript(browser: httpx.Client) -> None:
    page = browser.get("/").text

    # Everything is in the HTML: no script but the deferred enhancement and its strings, no
    # inline style, landmarks, one h1 and a skip link to the main content.
    scripts = re.findall(r"<script([^>]*)>", page)
    assert len(scripts) == 2
    assert re.fullmatch(r' src="/static/status\.[0-9a-f]{10}\.js" defer', scripts[0])
    assert scripts[1] == ' type="application/json" id="status-i18n"'
    assert " style=" not in page
    assert "<meta http-equiv" not in page.lower()  # no timed refresh
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in page
    assert page.count("<h1") == 1
    assert '<a class="skip-link" href="#status">' in page
    assert "<details open>" in page
    assert "<summary>" in page


def test_open_incidents_show_with_their_timeline_and_the_history_pages(
    admin: Admin, browser: httpx.Client
) -> None:
    (first, second, *_) = item_ids(admin, "/acc")
    opened = []
    with admin.client() as client:
        for number in range(12):
            answer = client.post(
                "/api/admin/v1/dashboards/acc/incidents",
                json={
                    "title": f"Slow answers #{number}",
                    "impact": "none",
                    "item_ids": [first if number % 2 else second],
                    "message": "We are looking into it",
                },
            )
            assert answer.status_code == 201, answer.text
            opened.append(answer.json()["id"])
        url = f"/api/admin/v1/dashboards/acc/incidents/{opened[-1]}/updates"
        assert (
            client.post(url, json={"state": "identified", "message": "A full disk"}).status_code
            == 201
        )
        for incident_id in opened[:-1]:
            url = f"/api/admin/v1/dashboards/acc/incidents/{incident_id}/updates"
            assert (
                client.post(url, json={"state": "resolved", "message": "Done"}).status_code == 201
            )

    overview = browser.get("/acc").text
    newest = browser.get("/acc/history").text
    older_link = re.search(r'<a rel="next" href="(/acc/history\?before=\d+)">', newest)
    assert older_link
    older = browser.get(html.unescape(older_link.group(1))).text

    open_part = overview.split('id="maintenance-heading"')[0]
    assert "Slow answers #11" in open_part
    assert "Slow answers #10" not in open_part
    assert open_part.index("A full disk") < open_part.index("We are looking into it")
    assert "Identified" in open_part
    titles = re.findall(r'class="incident-title">Slow answers #(\d+)<', newest)
    assert titles[:10] == [str(n) for n in range(11, 1, -1)]
    assert re.findall(r'class="incident-title">Slow answers #(\d+)<', older)[-2:] == ["1", "0"]
    assert 'href="/acc/history">Newest incidents</a>' in older
    assert "Resolved" in older


def test_planned_maintenance_shows_before_it_starts(admin: Admin, browser: httpx.Client) -> None:
    (item_id, *_) = item_ids(admin, "/int")
    start = datetime.now(UTC) + timedelta(days=2)
    with admin.client() as client:
        answer = client.post(
            "/api/admin/v1/dashboards/int/maintenance",
            json={
                "title": "Database upgrade",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
                "item_ids": [item_id],
                "impact": "major",
            },
        )
        assert answer.status_code == 201, answer.text

    page = browser.get("/int").text
    part = page.split('id="maintenance-heading"')[1].split('id="services-heading"')[0]

    assert "Planned:</span> Database upgrade" in part
    assert "may be unavailable (major impact)" in part
    assert f'href="/items/{item_id}"' in part


def test_the_item_page_shows_status_bars_changes_and_incidents(
    admin: Admin, browser: httpx.Client
) -> None:
    (*_, item_id) = item_ids(admin, "/int")
    with admin.client() as client:
        for number in range(22):
            answer = client.patch(
                f"/api/admin/v1/dashboards/int/items/{item_id}",
                json={"status_code": 2 if number % 2 == 0 else 1, "description": f"step {number}"},
            )
            assert answer.status_code == 200, answer.text
        # Without the override, the incident decides what the item shows.
        cleared = client.delete(f"/api/admin/v1/dashboards/int/items/{item_id}/override")
        assert cleared.status_code in (200, 204), cleared.text
        opened = client.post(
            "/api/admin/v1/dashboards/int/incidents",
            json={"title": "Certificate expired", "item_ids": [item_id], "message": "Renewing"},
        )
        assert opened.status_code == 201, opened.text

    page = browser.get(f"/items/{item_id}").text
    older_link = re.search(rf'<a rel="next" href="(/items/{item_id}\?before=\d+)">', page)
    assert older_link
    older = browser.get(older_link.group(1)).text

    assert page.count("<h1") == 1
    assert 'data-environment="int"' in page
    assert "data-stream-url" not in page
    assert page.count("<rect x=") == 90
    for window in ("Last 24 hours", "Last 7 days", "Last 30 days", "Last 90 days"):
        assert f"<dt>{window}</dt>" in page
    assert "Certificate expired" in page.split('id="changes-heading"')[0]
    changes = page.split('id="changes-heading"')[1]
    assert changes.count("<tr data-event-id=") == 20
    assert "Set by the operators" in changes
    assert "Incident #" in changes  # the incident made it Disrupted: why, in public words
    assert "step 21" in changes
    assert "t-operator" not in changes  # who did it stays on the admin side
    assert older.split('id="changes-heading"')[1].count("<tr data-event-id=") >= 3
    assert f'href="/items/{item_id}">Latest changes</a>' in older


# -- languages -------------------------------------------------------------------------------


def test_accept_language_picks_the_language_and_item_translations_are_used(
    browser: httpx.Client,
) -> None:
    page = browser.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"})

    assert '<html lang="nl">' in page.text
    assert page.headers["content-language"] == "nl"
    assert banner(page.text)[1] in (
        "Sommige diensten verstoord",
        "Status van sommige diensten onbekend",
        "Alle diensten operationeel",
    )
    assert "eHealth IDP - Identiteitsprovider - Beheer van autorisaties" in page.text
    assert "De gebruiker kan geen profiel meer kiezen" in page.text
    assert 'data-lang="nl"' in page.text
    assert '"Operationeel"' in page.text  # the script's strings follow


def test_the_language_switch_sets_a_cookie_that_outranks_accept_language(
    browser: httpx.Client,
) -> None:
    switched = browser.get("/?lang=fr")
    later = browser.get("/acc", headers={"Accept-Language": "nl"})

    assert '<html lang="fr">' in switched.text
    assert "sd_lang=fr" in switched.headers["set-cookie"]
    assert '<html lang="fr">' in later.text
    assert "Service web eHealth - IAM Connect - eXchange" in switched.text
    assert re.search(r'<a href="/acc\?lang=nl" hreflang="nl" lang="nl">Nederlands</a>', later.text)


def test_an_unknown_language_falls_back_to_english(admin: Admin) -> None:
    answer = httpx.get(
        admin.server.url + "/?lang=xx", headers={"Accept-Language": "de-DE, es;q=0.5"}
    )

    assert '<html lang="en">' in answer.text
    assert "set-cookie" not in answer.headers


# -- not found -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/nowhere", "There is no environment called “nowhere”."),
        ("/nowhere/history", "There is no environment called “nowhere”."),
        ("/items/0123456789abcdef0123456789abcdef", "There is no service with this identifier."),
        ("/items/not-an-id", "There is no service with this identifier."),
    ],
)
def test_an_unknown_environment_or_item_is_an_html_404_in_the_same_style(
    browser: httpx.Client, path: str, text: str
) -> None:
    answer = browser.get(path)

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-security-policy"] == CSP
    assert text in answer.text
    assert ASSET.search(answer.text)


def test_a_bad_page_link_is_an_html_400(browser: httpx.Client) -> None:
    answer = browser.get("/history?before=yesterday")

    assert answer.status_code == 400
    assert "This page link is not valid." in answer.text


def test_other_parts_keep_their_paths(admin: Admin) -> None:
    with admin.server.client() as client:
        index = client.get("/api/v1")
        health = client.get("/health")
        admin_page = client.get("/admin/login", headers={"Accept": "text/html"})

    assert index.json()["default"].endswith("/api/v1/dashboard")
    assert health.status_code == 200
    assert admin_page.status_code == 200
    assert "Content-Security-Policy" in admin_page.headers


# -- how they are served ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/acc", "/history", "/int/history", f"/items/{EXCHANGE}", "/nowhere"]
)
def test_every_page_has_the_security_headers_and_is_revalidated(
    browser: httpx.Client, path: str
) -> None:
    answer = browser.get(path)

    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("encoding", ["identity", "gzip", "br"])
def test_a_page_has_an_etag_and_answers_304_to_if_none_match(
    browser: httpx.Client, encoding: str
) -> None:
    first = browser.get("/", headers={"Accept-Encoding": encoding})
    again = browser.get(
        "/", headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["etag"]}
    )

    assert first.status_code == 200
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert "vary" in again.headers


def test_head_answers_the_headers_of_the_page(browser: httpx.Client) -> None:
    full = browser.get("/", headers={"Accept-Encoding": "gzip"})
    head = browser.head("/", headers={"Accept-Encoding": "gzip"})

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == full.headers["etag"]


def test_static_files_are_fingerprinted_and_cached_for_a_year(browser: httpx.Client) -> None:
    page = browser.get("/").text
    urls = ASSET.findall(page)

    assert sorted(url.rsplit(".", 1)[1] for url in urls) == ["css", "js"]
    for url in urls:
        answer = browser.get(url)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers["content-type"].startswith(
            "text/css" if url.endswith(".css") else "text/javascript"
        )
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert browser.get("/static/status.css").status_code == 404
    assert browser.get("/static/status.0000000000.css").status_code == 404


def test_the_page_and_its_files_weigh_less_than_150_kb_on_the_wire(
    browser: httpx.Client,
) -> None:
    page = browser.get("/", headers={"Accept-Encoding": "gzip"})
    weight = len(gzip.compress(page.content))  # httpx has decoded it: compress it again
    for url in ASSET.findall(page.text):
        weight += len(gzip.compress(browser.get(url).content))

    assert weight < 150 * 1024
