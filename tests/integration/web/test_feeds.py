"""Feeds and badges over real HTTP: Atom, RSS and iCalendar of incidents and maintenance opened
through the admin API, SVG badges for every status, caching, and refusals."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import icalendar
import pytest

from support.admin import Admin, admin_server

IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, "eHealth IDP - ... Authorization management"
EXCHANGE = "2c7ab1fb8df82828f961293921177004"  # PROD, "WebService eHealth - IAM Connect - eXchange"
ADMIN = "/api/admin/v1/dashboards/prod"
ATOM = "{http://www.w3.org/2005/Atom}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"feeds-{request.param}")
    with admin_server(request.param, directory, default_role="operator") as admin:
        yield admin


@pytest.fixture
def public(admin: Admin) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=admin.server.url, timeout=10.0) as client:
        yield client


def _xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - our own test server's answer


def _open_incident(admin: Admin, title: str) -> int:
    with admin.client() as client:
        opened = client.post(
            f"{ADMIN}/incidents",
            json={"title": title, "impact": "major", "item_ids": [EXCHANGE], "message": "Looking"},
        )
        assert opened.status_code == 201, opened.text
        number: int = opened.json()["id"]
        update = client.post(
            f"{ADMIN}/incidents/{number}/updates",
            json={"state": "identified", "message": "Certificate expired"},
        )
        assert update.status_code == 201, update.text
    return number


def _schedule(admin: Admin, title: str, starts: datetime, hours: float = 2) -> int:
    window = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "item_ids": [IDP],
        "impact": "minor",
        "description": "Firmware on the storage arrays",
    }
    with admin.client() as client:
        created = client.post(f"{ADMIN}/maintenance", json=window)
    assert created.status_code == 201, created.text
    number: int = created.json()["id"]
    return number


# -- feeds -------------------------------------------------------------------------------------


def test_the_atom_feed_lists_an_incident_with_its_updates(
    admin: Admin, public: httpx.Client
) -> None:
    number = _open_incident(admin, "IAM Connect token errors")
    response = public.get("/feeds/prod.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = _xml(response.content)
    entries = {e.findtext(f"{ATOM}title"): e for e in root.iter(f"{ATOM}entry")}
    entry = entries["Incident: IAM Connect token errors (Identified)"]
    content = entry.findtext(f"{ATOM}content") or ""
    assert "Investigating" in content
    assert "Looking" in content
    assert "Identified" in content
    assert "Certificate expired" in content
    assert "WebService eHealth - IAM Connect - eXchange" in content
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"{admin.server.url}/history#incident-{number}"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == f"{admin.server.url}/feeds/prod.atom"


def test_the_rss_feed_holds_incidents_and_maintenance(admin: Admin, public: httpx.Client) -> None:
    _open_incident(admin, "eHealthBox delays")
    _schedule(admin, "Router replacement", datetime.now(UTC) + timedelta(days=3))
    response = public.get("/feeds/prod.rss")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = _xml(response.content).find("channel")
    assert channel is not None
    assert channel.findtext("link") == f"{admin.server.url}/"
    titles = [item.findtext("title") or "" for item in channel.iter("item")]
    assert "Incident: eHealthBox delays (Identified)" in titles
    assert any(title.startswith("Maintenance: Router replacement (") for title in titles)


def test_another_environment_has_its_own_feed_and_links(public: httpx.Client, admin: Admin) -> None:
    root = _xml(public.get("/feeds/acc.atom").content)
    assert list(root.iter(f"{ATOM}entry")) == []
    alternate = root.find(f"{ATOM}link[@rel='alternate']")
    assert alternate is not None
    assert alternate.get("href") == f"{admin.server.url}/acc"


def test_the_calendar_holds_a_scheduled_window_and_drops_it_when_cancelled(
    admin: Admin, public: httpx.Client
) -> None:
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    number = _schedule(admin, "SAN firmware upgrade", starts)
    response = public.get("/feeds/prod.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    events = {
        str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    }
    event = events["Maintenance: SAN firmware upgrade"]
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTEND") == starts + timedelta(hours=2)
    assert "eHealth IDP" in str(event["DESCRIPTION"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"DTSTART:" in response.content  # UTC ("...Z"), no time zone to resolve

    with admin.client() as client:
        assert client.delete(f"{ADMIN}/maintenance/{number}").status_code == 200
    again = icalendar.Calendar.from_ical(public.get("/feeds/prod.ics").content)
    assert "Maintenance: SAN firmware upgrade" not in [
        str(e["SUMMARY"]) for e in again.walk("VEVENT")
    ]


# -- badges ------------------------------------------------------------------------------------


def _badge(response: httpx.Response) -> tuple[list[str | None], list[str | None], str | None]:
    """The badge's visible texts, its fills, and its accessible name."""
    root = _xml(response.content)
    assert root.get("role") == "img"
    assert root.get("aria-label") == root.findtext(f"{SVG}title")
    texts = [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]
    return texts, [r.get("fill") for r in root.iter(f"{SVG}rect")], root.get("aria-label")


@pytest.mark.parametrize(
    ("code", "word", "colour"),
    [(1, "operational", "#1a7f37"), (2, "disrupted", "#c62828"), (3, "unknown", "#6e7781")],
)
def test_an_item_badge_says_its_status_in_words_and_colour(
    admin: Admin, public: httpx.Client, code: int, word: str, colour: str
) -> None:
    with admin.client() as client:
        assert client.patch(f"{ADMIN}/items/{EXCHANGE}", json={"status_code": code}).is_success
    try:
        response = public.get(f"/badges/items/{EXCHANGE}.svg")
    finally:
        with admin.client() as client:
            client.delete(f"{ADMIN}/items/{EXCHANGE}/override")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["access-control-allow-origin"] == "*"
    texts, fills, name = _badge(response)
    assert texts == ["WebService eHealth - IAM…", word]
    assert colour in fills
    assert name == f"WebService eHealth - IAM Connect - eXchange: {word}"


@pytest.mark.parametrize("env", ["prod", "acc", "int"])
def test_an_environment_badge_says_the_roll_up_of_its_dashboard(
    admin: Admin, public: httpx.Client, env: str
) -> None:
    with admin.server.client() as api:  # a conforming client: INT is strict
        groups = api.get(f"/api/v1/dashboard/{env}").json()["groups"]
    codes = {group["status_code"] for group in groups}
    expected = (
        "disrupted" if 2 in codes else "unknown" if 3 in codes or not codes else "operational"
    )
    texts, _, _ = _badge(public.get(f"/badges/{env}.svg"))
    assert texts == ["status", expected]


def test_a_label_and_a_style_can_be_chosen(public: httpx.Client) -> None:
    response = public.get(
        "/badges/prod.svg", params={"label": "eHealth PROD", "style": "flat-square"}
    )
    texts, _, name = _badge(response)
    assert texts[0] == "eHealth PROD"
    assert name is not None
    assert name.startswith("eHealth PROD: ")
    assert b'rx="0"' in response.content


@pytest.mark.parametrize(
    ("params", "name"),
    [({"label": "x" * 41}, "label"), ({"label": "a\nb"}, "label"), ({"style": "plastic"}, "style")],
)
def test_a_bad_query_value_is_a_400_problem_naming_it(
    public: httpx.Client, params: dict[str, str], name: str
) -> None:
    response = public.get(f"/badges/items/{IDP}.svg", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [issue["name"] for issue in response.json()["issues"]] == [name]


# -- caching and refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/prod.atom",
        "/feeds/int.rss",
        "/feeds/acc.ics",
        "/badges/prod.svg",
        f"/badges/items/{IDP}.svg",
    ],
)
def test_every_feed_and_badge_is_cacheable_with_a_strong_etag(
    public: httpx.Client, path: str
) -> None:
    first = public.get(path)
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert first.headers["cache-control"] == "public, max-age=60"
    assert public.get(path).headers["etag"] == etag  # the same data, the same bytes

    again = public.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    listed = public.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304

    head = public.head(path)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert head.headers["etag"] == etag


def test_a_write_gives_the_feed_new_bytes_and_a_new_etag(
    admin: Admin, public: httpx.Client
) -> None:
    before = public.get("/feeds/prod.atom")
    _open_incident(admin, "Recip-e slow")
    after = public.get("/feeds/prod.atom", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert b"Recip-e slow" in after.content
    assert after.headers["etag"] != before.headers["etag"]


@pytest.mark.parametrize("path", ["/feeds/nope.atom", "/feeds/nope.rss", "/feeds/nope.ics"])
def test_an_unknown_environment_has_no_feed(public: httpx.Client, path: str) -> None:
    response = public.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:problem-type:belgif:resourceNotFound"


@pytest.mark.parametrize("path", ["/badges/nope.svg", f"/badges/items/{'0' * 32}.svg"])
def test_an_unknown_badge_is_a_not_found_badge_with_404(public: httpx.Client, path: str) -> None:
    response = public.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "image/svg+xml"
    assert "etag" not in response.headers
    texts, _, _ = _badge(response)
    assert texts == ["status", "not found"]


def test_feeds_are_read_only(public: httpx.Client) -> None:
    response = public.post("/feeds/prod.atom")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
