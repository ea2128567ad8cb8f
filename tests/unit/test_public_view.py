"""How the public pages write things (web.public.view), what goes on the wire
(web.public.encoding, web.public.assets), which paths they claim (web.public.routes), and the
pages rendered from view data without a server (web.public.pages)."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import brotli
import pytest

from status_dashboard.domain.model import Environment, Group, Item, Translation
from status_dashboard.domain.operations import Impact, Incident, IncidentState, IncidentUpdate
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import ItemUptime, StatusSeconds
from status_dashboard.service.status_page import (
    DayBar,
    ItemFigures,
    Overview,
    build_catalog,
    overall_status,
)
from status_dashboard.web.public import view
from status_dashboard.web.public.assets import Assets, fingerprinted
from status_dashboard.web.public.encoding import accepted_codings, encode, etag_matches
from status_dashboard.web.public.i18n import catalogs
from status_dashboard.web.public.pages import PublicPages, Where, environment_href
from status_dashboard.web.public.routes import claims_environment, parse_cursor
from status_dashboard.web.public.view import public_reason

ZONE = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 5, 9, 10, 0, tzinfo=UTC)
EN, NL, FR = (catalogs()[language] for language in ("en", "nl", "fr"))


# -- words -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=-30), "just now"),  # a clock a little ahead
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=3, minutes=10), "3 h ago"),
        (timedelta(days=1, hours=2), "1 day ago"),
        (timedelta(days=12), "12 days ago"),
    ],
)
def test_relative_times_count_down_to_the_minute(ago: timedelta, text: str) -> None:
    assert view.relative_text(NOW - ago, NOW, EN) == text


@pytest.mark.parametrize(
    ("ratio", "messages", "text"),
    [
        (1.0, EN, "100%"),
        (0.99996, EN, "99.99%"),  # cut, not rounded up to a spotless 100 %
        (0.5, EN, "50.00%"),
        (0.9995, NL, "99,95%"),
        (0.9995, FR, "99,95 %"),
        (None, EN, "no data"),
        (None, NL, "geen gegevens"),
    ],
)
def test_uptime_percentages_in_each_language(
    ratio: float | None, messages: object, text: str
) -> None:
    assert view.percent_text(ratio, messages) == text  # type: ignore[arg-type]


def test_moments_are_written_in_brussels_time_in_the_readers_language() -> None:
    summer = datetime(2025, 5, 9, 6, 55, tzinfo=UTC)

    assert view.iso(summer, ZONE) == "2025-05-09T08:55:00+02:00"
    assert view.date_time_text(summer, EN, ZONE) == "9 May 2025, 08:55"
    assert view.date_time_text(summer, NL, ZONE) == "9 mei 2025, 08:55"
    assert view.date_time_text(summer, FR, ZONE) == "9 mai 2025, 08:55"


# -- reasons ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "public"),
    [
        ("override: set by alice", ("override", None)),
        ("incident: incident #12", ("incident", "12")),
        ("maintenance: maintenance #3", ("maintenance", "3")),
        ("checks: Connection timed out", ("checks", "Connection timed out")),
        ("stale: no recent check result", ("stale", None)),
        ("monitor-down: monitor down", ("monitor-down", None)),
        ("catalog: item created", ("catalog", None)),
        ("catalog load", ("catalog", None)),
        ("something new", ("other", None)),
    ],
)
def test_a_history_reason_is_told_without_who(reason: str, public: tuple[str, str | None]) -> None:
    assert public_reason(reason) == public


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("override: set by alice", "Set by the operators"),
        ("incident: incident #4", "Incident #4"),
        ("checks: HTTP 503", "Automatic check: HTTP 503"),
        ("catalog load", "Catalogue update"),
    ],
)
def test_reasons_read_in_public_words(reason: str, text: str) -> None:
    assert view.reason_text(reason, EN) == text


def test_the_bars_have_one_rect_and_tooltip_per_day_and_a_summary() -> None:
    days = [
        DayBar(date(2026, 5, 7), StatusSeconds()),
        DayBar(date(2026, 5, 8), StatusSeconds(86_000, 400, 0), incidents=2),
        DayBar(date(2026, 5, 9), StatusSeconds(36_000, 0, 0)),
    ]

    svg = view.BarPainter(EN).svg(days)

    assert svg.startswith('<svg class="bars" viewBox="0 0 11 28"')
    assert 'role="img"' in svg
    assert "Days with disruptions: 1; days without data: 1." in svg
    assert re.findall(r'class="(d\d)"', svg) == ["d0", "d2", "d1"]
    assert re.findall(r"<title>(.*?)</title>", svg) == [
        "7 May 2026: no data, no incidents",
        "8 May 2026: 99.53% uptime, 2 incidents",
        "9 May 2026: 100% uptime, no incidents",
    ]


def test_bar_titles_are_escaped() -> None:
    painter = view.BarPainter(type(EN)("en", {"bar.no_data": "<{date}>"}, {}))

    svg = painter.svg([DayBar(date(2026, 5, 7), StatusSeconds())])

    assert "<title>&lt;" in svg


# -- the wire --------------------------------------------------------------------------------


def test_every_coding_of_a_body_has_its_own_strong_etag_and_the_same_content() -> None:
    body = b"<p>status</p>" * 100
    encoded = encode(body)

    assert gzip.decompress(encoded.gzip.body) == body
    assert brotli.decompress(encoded.brotli.body) == body
    tags = {encoded.identity.etag, encoded.gzip.etag, encoded.brotli.etag}
    assert len(tags) == 3
    assert all(tag.startswith('"') and tag.endswith('"') for tag in tags)
    assert encode(body).gzip.body == encoded.gzip.body  # the same bytes on every replica


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip;q=0.5", "gzip"),
        ("", None),
        ("identity", None),
    ],
)
def test_the_best_accepted_coding_is_sent(header: str, chosen: str | None) -> None:
    assert encode(b"x").choose(header).coding == chosen


def test_accepted_codings_drop_those_with_q_zero() -> None:
    assert accepted_codings("gzip;q=0, BR") == frozenset({"br"})


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("", False),
    ],
)
def test_if_none_match_compares_weakly(header: str, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches


def test_static_files_are_named_by_their_content(tmp_path: Path) -> None:
    (tmp_path / "status.css").write_text("body{}")
    (tmp_path / "status.js").write_text("")
    assets = Assets(tmp_path)
    url = assets.url("status.css")

    assert re.fullmatch(r"/static/status\.[0-9a-f]{10}\.css", url)
    assert fingerprinted("status.css", b"body{}") == url.removeprefix("/static/")
    assert fingerprinted("status.css", b"body{ }") != url.removeprefix("/static/")
    asset = assets.get(url.removeprefix("/static/"))
    assert asset is not None
    assert asset.media_type == "text/css; charset=utf-8"
    assert assets.get("status.css") is None


# -- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "claimed"),
    [
        ("prod", True),
        ("acc", True),
        ("nowhere", True),  # unknown: answered with the 404 page
        ("admin", False),
        ("api", False),
        ("health", False),
        ("static", False),
        ("robots.txt", False),
        ("Prod", False),
        ("v1.2", True),  # a known environment with a dot in its key
    ],
)
def test_environment_paths_leave_other_parts_their_segments(segment: str, claimed: bool) -> None:
    assert claims_environment(segment, ("prod", "acc", "v1.2")) is claimed


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (None, (True, None)),
        ("42", (True, 42)),
        ("0", (False, None)),
        ("-1", (False, None)),
        ("4x", (False, None)),
        ("١٢", (False, None)),  # digits, but not ASCII ones
        ("9" * 19, (False, None)),
    ],
)
def test_a_page_cursor_is_a_positive_whole_number(
    value: str | None, parsed: tuple[bool, int | None]
) -> None:
    assert parse_cursor(value) == parsed


# -- pages rendered --------------------------------------------------------------------------


def _environment(*codes: StatusCode, default: bool = True, key: str = "prod") -> Environment:
    items = tuple(
        Item(
            id=f"{n:032x}",
            key=f"i{n}",
            name=f"Item {n}",
            order=n,
            status_code=code,
            last_updated=NOW - timedelta(minutes=7),
            description="Broken" if code is StatusCode.DISRUPTED else None,
            translations={"nl": Translation(f"Dienst {n}", None)},
        )
        for n, code in enumerate(codes, start=1)
    )
    group = Group(id="AXAQooF-9v9nOdhekPYm", key="iam", name="1. IAM", order=1, items=items)
    return Environment(key=key, name="Production", order=1, is_default=default, groups=(group,))


def _render(
    environment: Environment, language: str = "en", incidents: tuple[Incident, ...] = ()
) -> str:
    catalog = build_catalog(7, [environment], {})
    figures = {
        item.id: ItemFigures(
            ItemUptime(), tuple(DayBar(date(2026, 5, 9), StatusSeconds()) for _ in range(90))
        )
        for group in environment.groups
        for item in group.items
    }
    overview = Overview(
        environment=catalog.environments[0],
        status=overall_status(environment),
        open_incidents=incidents,
        running=(),
        upcoming=(),
        figures=figures,
    )
    pages = PublicPages(Assets(), ZONE, 15.0)
    path = environment_href(environment)
    return pages.overview(overview, catalog, Where(path, language), NOW).decode()


@pytest.mark.parametrize(
    ("codes", "banner"),
    [
        ((StatusCode.OPERATIONAL, StatusCode.OPERATIONAL), (1, "All services operational")),
        ((StatusCode.OPERATIONAL, StatusCode.DISRUPTED), (2, "Some services disrupted")),
        ((StatusCode.UNKNOWN, StatusCode.OPERATIONAL), (3, "Status unknown for some services")),
    ],
)
def test_the_banner_says_the_overall_status_in_words(
    codes: tuple[StatusCode, ...], banner: tuple[int, str]
) -> None:
    page = _render(_environment(*codes))

    assert f'<div id="banner" class="banner" data-status="{banner[0]}">{banner[1]}</div>' in page


def test_the_page_has_the_dom_the_live_script_reads() -> None:
    page = _render(_environment(StatusCode.OPERATIONAL, StatusCode.DISRUPTED))

    assert '<section class="group" data-group-id="AXAQooF-9v9nOdhekPYm" data-status="2"' in page
    assert re.search(
        r'<summary><h3 class="group-name" id="group-AXAQooF-9v9nOdhekPYm">1\. IAM</h3> '
        r'<span class="status" data-status="2"><span class="status-icon" aria-hidden="true">✖'
        r'</span><span class="status-text">Disrupted</span></span></summary>',
        page,
    )
    assert f'<li class="item" data-item-id="{1:032x}" data-status="1">' in page
    assert '<span class="item-name">Item 1</span>' in page
    # A description only where there is one.
    assert page.count('<p class="description">') == 1
    assert '<time class="updated" datetime="2026-05-09T11:53:00+02:00">' in page
    assert "9 May 2026, 11:53 (7 min ago)</time>" in page


def test_an_environment_other_than_the_default_points_at_its_own_api() -> None:
    page = _render(_environment(StatusCode.OPERATIONAL, default=False, key="acc"))

    assert 'data-environment="acc" data-dashboard-url="/api/v1/dashboard/acc"' in page
    assert 'data-stream-url="/api/v1/dashboard/acc/stream"' in page


def test_dutch_pages_use_dutch_words_and_item_translations() -> None:
    page = _render(_environment(StatusCode.OPERATIONAL, StatusCode.DISRUPTED), "nl")

    assert '<html lang="nl">' in page
    assert "Sommige diensten verstoord" in page
    assert '<span class="item-name">Dienst 1</span>' in page
    assert "9 mei 2026, 11:53 (7 min geleden)" in page


def test_an_incident_shows_its_timeline_newest_first() -> None:
    updates = (
        IncidentUpdate(1, IncidentState.INVESTIGATING, "Looking <into> it", NOW, "alice"),
        IncidentUpdate(2, IncidentState.IDENTIFIED, "A full disk", NOW, "alice"),
    )
    incident = Incident(
        id=3,
        environment_key="prod",
        title="Slow answers",
        impact=Impact.MAJOR,
        state=IncidentState.IDENTIFIED,
        item_ids=frozenset({f"{2:032x}"}),
        created_at=NOW,
        created_by="user:alice",
        updates=updates,
    )

    page = _render(
        _environment(StatusCode.OPERATIONAL, StatusCode.DISRUPTED), incidents=(incident,)
    )

    part = page.split('id="incidents-heading"')[1].split('id="maintenance-heading"')[0]
    assert '<h3 class="incident-title">Slow answers</h3>' in part
    assert part.index("A full disk") < part.index("Looking &lt;into&gt; it")
    assert "Impact: major" in part
    assert f'<a href="/items/{2:032x}">Item 2</a>' in part
    assert "alice" not in part
