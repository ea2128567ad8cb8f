"""Feed entries and calendar events assembled from incidents and maintenance windows, the Atom,
RSS and iCalendar bytes made of them, and the read path that keeps them per revision."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from status_dashboard.domain.audit import Page
from status_dashboard.domain.errors import NotFoundError, UnknownEnvironment
from status_dashboard.domain.model import Environment, Group, Item
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
)
from status_dashboard.domain.status import StatusCode
from status_dashboard.service import feed_formats
from status_dashboard.service.feed_source import PublicFeeds
from status_dashboard.service.public_feeds import (
    Links,
    calendar_document,
    calendar_windows,
    environment_status,
    feed_document,
    feed_entries,
    incident_entry,
    maintenance_entry,
    span_text,
    xml_text,
)
from status_dashboard.service.snapshot import DashboardSnapshot

ZONE = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BASE = "https://status.example.org/"
IDP, EXCHANGE = "715d31b5a498a4587fedc57dada6a9df", "2c7ab1fb8df82828f961293921177004"
ATOM = "{http://www.w3.org/2005/Atom}"


def _item(item_id: str, name: str, order: int, code: StatusCode = StatusCode.OPERATIONAL) -> Item:
    return Item(item_id, f"k{order}", name, order, code, NOW - timedelta(days=1))


def _env(
    key: str = "prod", codes: Sequence[StatusCode] = (StatusCode.OPERATIONAL,) * 2
) -> Environment:
    items = (_item(IDP, "eHealth IDP", 1, codes[0]), _item(EXCHANGE, "IAM Connect", 2, codes[1]))
    group = Group("AXAQooF-9v9nOdhekPYm", "iam", "1. IAM", 1, items)
    return Environment(key, key.upper(), 1, is_default=key == "prod", groups=(group,))


def _incident(number: int = 7, opened: datetime = NOW - timedelta(hours=2)) -> Incident:
    updates = (
        IncidentUpdate(1, IncidentState.INVESTIGATING, "Looking <into> it", opened, "user:ann"),
        IncidentUpdate(
            2, IncidentState.RESOLVED, "Renewed the certificate", opened + timedelta(hours=1), "x"
        ),
    )
    return Incident(
        number, "prod", "Token errors", Impact.MAJOR, IncidentState.RESOLVED,
        frozenset({EXCHANGE, IDP}), opened, "user:ann", opened + timedelta(hours=1), updates,
    )  # fmt: skip


def _window(
    number: int = 3,
    starts: datetime = NOW + timedelta(days=1),
    hours: float = 2,
    cancelled: datetime | None = None,
) -> MaintenanceWindow:
    return MaintenanceWindow(
        number, "prod", "SAN firmware", starts, starts + timedelta(hours=hours),
        frozenset({EXCHANGE}), Impact.MINOR, "user:ann", "Short outages possible", cancelled,
    )  # fmt: skip


def _links(env: Environment | None = None) -> Links:
    return Links.of(BASE, env or _env())


NAMES = {IDP: "eHealth IDP", EXCHANGE: "IAM Connect"}


# -- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "page", "history"),
    [
        ("prod", "https://status.example.org/", "https://status.example.org/history"),
        ("acc", "https://status.example.org/acc", "https://status.example.org/acc/history"),
    ],
)
def test_the_default_environment_lives_at_the_root_and_the_others_under_their_key(
    key: str, page: str, history: str
) -> None:
    links = _links(_env(key))
    assert (links.page, links.history) == (page, history)
    assert links.item(IDP) == f"https://status.example.org/items/{IDP}"
    assert links.feed("ics") == f"https://status.example.org/feeds/{key}.ics"


def test_ids_are_stable_and_differ_by_deployment_and_kind() -> None:
    one, again = _links().stable_id("incidents", 1), _links().stable_id("incidents", 1)
    other_host = Links.of("https://elsewhere.example/", _env()).stable_id("incidents", 1)
    assert one == again
    assert one.startswith("urn:uuid:")
    assert len({one, other_host, _links().stable_id("maintenance", 1)}) == 3


# -- entries -----------------------------------------------------------------------------------


def test_an_incident_entry_tells_its_impact_items_and_every_update() -> None:
    entry = incident_entry(_incident(), NAMES, _links(), ZONE)
    assert entry.title == "Incident: Token errors (Resolved)"
    assert entry.link == "https://status.example.org/history#incident-7"
    assert entry.updated == NOW - timedelta(hours=1)
    assert entry.published == NOW - timedelta(hours=2)
    assert entry.summary.startswith("Resolved, impact major. ")
    assert "eHealth IDP, IAM Connect" in entry.summary
    html = entry.content_html
    assert "Looking &lt;into&gt; it" in html
    assert "<into>" not in html
    assert html.index("<strong>Investigating</strong>") < html.index("<strong>Resolved</strong>")
    assert f'href="https://status.example.org/items/{EXCHANGE}"' in html
    assert "Opened 2026-03-10 11:00 CET; resolved 2026-03-10 12:00 CET" in html


def test_a_maintenance_entry_tells_when_what_and_why() -> None:
    entry = maintenance_entry(_window(), NAMES, _links(), ZONE)
    assert entry.title == "Maintenance: SAN firmware (2026-03-11 13:00–15:00 CET)"
    assert entry.updated == NOW + timedelta(days=1)
    assert "expected impact minor" in entry.summary
    assert "Short outages possible" in entry.summary
    assert "IAM Connect" in entry.content_html
    assert "eHealth IDP" not in entry.content_html


def test_a_cancelled_window_says_so() -> None:
    entry = maintenance_entry(_window(cancelled=NOW), NAMES, _links(), ZONE)
    assert "(cancelled)" in entry.title
    assert "cancelled" in entry.categories
    assert entry.updated == NOW


def test_an_item_no_longer_in_the_catalog_is_named_by_its_id() -> None:
    entry = incident_entry(_incident(), {IDP: "eHealth IDP"}, _links(), ZONE)
    assert f"item {EXCHANGE}" in entry.summary


def test_entries_come_newest_first_and_bounded() -> None:
    incidents = [_incident(n, NOW - timedelta(days=n)) for n in range(1, 6)]
    windows = [_window(n, NOW - timedelta(days=n, hours=12)) for n in range(1, 6)]
    entries = feed_entries(incidents, windows, NAMES, _links(), ZONE, limit=4)
    assert [e.kind for e in entries] == ["incident", "maintenance", "incident", "maintenance"]
    assert [e.updated for e in entries] == sorted((e.updated for e in entries), reverse=True)


@pytest.mark.parametrize(
    ("starts", "hours", "expected"),
    [
        (datetime(2026, 7, 1, 20, tzinfo=UTC), 1.5, "2026-07-01 22:00–23:30 CEST"),
        (datetime(2026, 7, 1, 21, tzinfo=UTC), 4, "2026-07-01 23:00 CEST – 2026-07-02 03:00 CEST"),
    ],
)
def test_a_window_is_worded_in_the_deployments_zone(
    starts: datetime, hours: float, expected: str
) -> None:
    assert span_text(starts, starts + timedelta(hours=hours), ZONE) == expected


def test_text_that_xml_cannot_carry_is_dropped() -> None:
    assert xml_text("a\x00b\x1bc\td\ne") == "abc\td\ne"


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ((StatusCode.OPERATIONAL, StatusCode.OPERATIONAL), StatusCode.OPERATIONAL),
        ((StatusCode.OPERATIONAL, StatusCode.UNKNOWN), StatusCode.UNKNOWN),
        ((StatusCode.UNKNOWN, StatusCode.DISRUPTED), StatusCode.DISRUPTED),
    ],
)
def test_an_environment_badge_shows_the_roll_up_of_its_groups(
    codes: tuple[StatusCode, StatusCode], expected: StatusCode
) -> None:
    assert environment_status(_env(codes=codes)) == expected


# -- calendar ----------------------------------------------------------------------------------


def test_the_calendar_holds_upcoming_and_recent_windows_but_not_cancelled_or_old_ones() -> None:
    upcoming = _window(1, NOW + timedelta(days=40))
    recent = _window(2, NOW - timedelta(days=29))
    old = _window(3, NOW - timedelta(days=31))
    cancelled = _window(4, NOW + timedelta(days=2), cancelled=NOW)
    running = _window(5, NOW - timedelta(hours=1))
    chosen = calendar_windows([upcoming, recent, old, cancelled, running, upcoming], NOW)
    assert [w.id for w in chosen] == [2, 5, 1]


def test_calendar_events_are_in_utc_with_stable_uids() -> None:
    document = calendar_document(_env(), [_window()], _links(), NOW)
    again = calendar_document(_env(), [_window()], _links(), NOW + timedelta(hours=3))
    (event,) = document.events
    assert event.uid == again.events[0].uid
    assert event.starts_at == NOW + timedelta(days=1)
    assert event.starts_at.tzinfo == UTC
    assert event.description.splitlines() == [
        "Affected: IAM Connect",
        "Expected impact: minor",
        "",
        "Short outages possible",
    ]


def test_the_ics_bytes_parse_back_to_the_same_events() -> None:
    body = feed_formats.ics(calendar_document(_env(), [_window()], _links(), NOW))
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert event["SUMMARY"] == "Maintenance: SAN firmware"
    assert event.decoded("DTSTART") == NOW + timedelta(days=1)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"\r\n" in body


def test_an_environment_name_over_two_lines_is_one_line_of_the_calendar() -> None:
    env = replace(_env(), name="PROD\r\nURL:javascript:alert(1)")
    body = feed_formats.ics(calendar_document(env, [_window()], _links(env), NOW))
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["NAME"]) == "PROD URL:javascript:alert(1) maintenance"
    assert str(calendar["URL"]) == BASE


# -- formats -----------------------------------------------------------------------------------


def _xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - bytes this code just made, not someone else's


def _document() -> feed_formats.FeedDocument:
    return feed_document(_env(), [_incident()], [_window()], _links(), ZONE)


def test_the_atom_feed_keeps_the_entries_order_and_says_when_it_changed() -> None:
    root = _xml(feed_formats.atom(_document()))
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert titles == [
        "Maintenance: SAN firmware (2026-03-11 13:00–15:00 CET)",
        "Incident: Token errors (Resolved)",
    ]
    assert root.findtext(f"{ATOM}updated") == "2026-03-11T12:00:00+00:00"
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href") == f"{BASE}feeds/prod.atom"


def test_the_rss_channel_links_to_the_page_and_its_items_to_their_own() -> None:
    channel = _xml(feed_formats.rss(_document())).find("channel")
    assert channel is not None
    assert channel.findtext("link") == BASE
    assert [i.findtext("link") for i in channel.iter("item")] == [BASE, f"{BASE}history#incident-7"]
    assert channel.findtext("lastBuildDate") == "Wed, 11 Mar 2026 12:00:00 +0000"


def test_an_rss_description_is_html_that_shows_what_was_typed() -> None:
    # Readers take an item's description as HTML: text typed as markup must stay text there.
    window = replace(_window(), description="<script>alert(1)</script>")
    document = feed_document(_env(), [], [window], _links(), ZONE)
    channel = _xml(feed_formats.rss(document)).find("channel")
    assert channel is not None
    description = channel.findtext("item/description")
    assert description is not None
    assert "<script>" not in description
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in description


def test_the_same_data_gives_the_same_bytes() -> None:
    assert feed_formats.atom(_document()) == feed_formats.atom(_document())
    assert feed_formats.rss(_document()) == feed_formats.rss(_document())


# -- the read path -----------------------------------------------------------------------------


@dataclass
class _Dashboards:
    environments_read: int = 0
    envs: tuple[Environment, ...] = (_env(), _env("acc"))

    def environments(self) -> Sequence[Environment]:
        self.environments_read += 1
        return self.envs


@dataclass
class _Operations:
    reads: list[str] = field(default_factory=list)
    windows: list[MaintenanceWindow] = field(default_factory=list)

    def incidents(
        self, environment_key: str, *, open_only: bool, cursor: int | None, limit: int
    ) -> Page[Incident]:
        self.reads.append(f"incidents {environment_key}")
        return Page((_incident(),) if environment_key == "prod" else ())

    def maintenance_windows(
        self, environment_key: str, *, include_past: bool, cursor: int | None, limit: int
    ) -> Page[MaintenanceWindow]:
        self.reads.append(f"windows {environment_key} past={include_past} cursor={cursor}")
        found = sorted(
            (w for w in self.windows if include_past or w.ends_at > NOW),
            key=lambda w: -w.id,
        )
        if cursor is not None:
            found = [w for w in found if w.id < cursor]
        page = found[:limit]
        return Page(tuple(page), page[-1].id if len(found) > limit else None)


def _feeds(
    operations: _Operations | None = None,
) -> tuple[PublicFeeds, DashboardSnapshot, _Dashboards, _Operations]:
    snapshot, dashboards, ops = DashboardSnapshot(), _Dashboards(), operations or _Operations()
    snapshot.revision = 1
    feeds = PublicFeeds(snapshot, dashboards, ops, zone=ZONE, clock=lambda: NOW)  # type: ignore[arg-type]
    return feeds, snapshot, dashboards, ops


def test_the_store_is_read_once_per_revision_whatever_the_number_of_requests() -> None:
    feeds, snapshot, dashboards, ops = _feeds()
    first = feeds.feed("prod", "atom", BASE)
    for _ in range(5):
        assert feeds.feed("prod", "atom", BASE) == first
        feeds.feed("prod", "rss", BASE)
        feeds.environment("acc")
        feeds.item(IDP)
    assert dashboards.environments_read == 1
    assert ops.reads == ["incidents prod", "windows prod past=True cursor=None"]

    snapshot.revision = 2
    feeds.feed("prod", "atom", BASE)
    assert dashboards.environments_read == 2
    assert len(ops.reads) == 4


def test_unknown_environments_and_items_are_refused() -> None:
    feeds, *_ = _feeds()
    with pytest.raises(UnknownEnvironment):
        feeds.feed("nope", "rss", BASE)
    with pytest.raises(UnknownEnvironment):
        feeds.environment("nope")
    with pytest.raises(NotFoundError):
        feeds.item("0" * 32)


def test_the_calendar_reads_every_page_of_upcoming_windows() -> None:
    windows = [_window(n, NOW + timedelta(days=n)) for n in range(1, 251)]
    feeds, *_ = _feeds(_Operations(windows=windows))
    calendar = icalendar.Calendar.from_ical(feeds.feed("prod", "ics", BASE))
    assert len(calendar.walk("VEVENT")) == 250


def test_rendered_feeds_per_host_are_bounded() -> None:
    feeds, *_ = _feeds()
    for n in range(200):
        feeds.feed("prod", "rss", f"http://host-{n}.example/")
    assert len(feeds._cache.rendered) <= 64  # type: ignore[union-attr]
