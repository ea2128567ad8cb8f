"""The public pages' read model (service.status_page): its pure rules, table by table, and the
read model itself on the in-memory stores, with what it reads again and when."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from status_dashboard.domain import ids
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.model import Environment, Group, Item, Translation
from status_dashboard.domain.operations import (
    Impact,
    Incident,
    IncidentState,
    IncidentUpdate,
    MaintenanceWindow,
    Override,
)
from status_dashboard.domain.status import StatusCode
from status_dashboard.domain.uptime import StatusSeconds
from status_dashboard.service.reconciler import Reconciler
from status_dashboard.service.status_page import (
    UPTIME_TTL_S,
    DayBar,
    StatusPage,
    incident_days,
    localized,
    overall_status,
    split_maintenance,
)
from status_dashboard.store.memory import (
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryOperationsStore,
    MemoryUptimeStore,
)
from status_dashboard.web.public.view import public_reason

START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
OK, BAD, UNKNOWN = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN
IDP = ids.item_id("prod", "idp")
STS = ids.item_id("prod", "sts")
EHBOX = ids.item_id("acc", "ehbox")


def _item(key: str, code: StatusCode, **extra: Any) -> Item:
    return Item(
        id=key, key=key, name=key.upper(), order=1, status_code=code, last_updated=START, **extra
    )


def _env(*groups: tuple[StatusCode, ...]) -> Environment:
    return Environment(
        key="prod",
        name="Production",
        order=1,
        groups=tuple(
            Group(
                id=f"g{n}",
                key=f"g{n}",
                name=f"G{n}",
                order=n,
                items=tuple(_item(f"i{n}{m}", code) for m, code in enumerate(codes)),
            )
            for n, codes in enumerate(groups)
        ),
    )


# -- the banner ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "banner"),
    [
        (((OK, OK), (OK,)), OK),
        (((OK, BAD), (OK,)), BAD),
        (((OK, UNKNOWN), (OK,)), UNKNOWN),
        (((UNKNOWN,), (BAD,)), BAD),
        (((OK,), ()), UNKNOWN),  # a group with no items knows nothing
        ((), UNKNOWN),
    ],
    ids=["all-up", "one-down", "one-unknown", "down-beats-unknown", "empty-group", "no-groups"],
)
def test_the_banner_is_the_roll_up_of_the_groups(
    groups: tuple[tuple[StatusCode, ...], ...], banner: StatusCode
) -> None:
    assert overall_status(_env(*groups)) is banner


# -- maintenance -----------------------------------------------------------------------------


def _window(
    window_id: int, starts: timedelta, ends: timedelta, *, cancelled: bool = False
) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=window_id,
        environment_key="prod",
        title=f"w{window_id}",
        starts_at=START + starts,
        ends_at=START + ends,
        item_ids=frozenset({IDP}),
        impact=Impact.MAJOR,
        created_by="user:alice",
        cancelled_at=START if cancelled else None,
    )


def test_maintenance_splits_into_running_and_upcoming_soonest_first() -> None:
    hour = timedelta(hours=1)
    windows = [
        _window(1, 5 * hour, 6 * hour),
        _window(2, -hour, 2 * hour),
        _window(3, 2 * hour, 3 * hour),
        _window(4, -3 * hour, -2 * hour),  # over
        _window(5, hour, 2 * hour, cancelled=True),
        _window(6, -2 * hour, hour),
    ]

    running, upcoming = split_maintenance(windows, START)

    assert [w.id for w in running] == [6, 2]  # the one ending first
    assert [w.id for w in upcoming] == [3, 1]


# -- daily bars ------------------------------------------------------------------------------


def _incident(
    incident_id: int, items: set[str], opened: datetime, resolved: datetime | None
) -> Incident:
    return Incident(
        id=incident_id,
        environment_key="prod",
        title="t",
        impact=Impact.MAJOR,
        state=IncidentState.RESOLVED if resolved else IncidentState.INVESTIGATING,
        item_ids=frozenset(items),
        created_at=opened,
        created_by="user:alice",
        resolved_at=resolved,
    )


def test_an_incident_counts_on_every_utc_day_it_was_open() -> None:
    day = timedelta(days=1)
    incidents = [
        _incident(1, {IDP, STS}, START - 2 * day, START - day),
        _incident(2, {IDP}, START - day, None),  # still open: up to today
    ]

    counts = incident_days(incidents, START)

    d = START.date()
    assert counts[IDP] == {d - 2 * day: 1, d - day: 2, d: 1}
    assert counts[STS] == {d - 2 * day: 1, d - day: 1}


@pytest.mark.parametrize(
    ("seconds", "code"),
    [
        (StatusSeconds(86_400, 0, 0), OK),
        (StatusSeconds(86_000, 400, 0), BAD),  # a short outage still marks the day
        (StatusSeconds(43_200, 0, 43_200), OK),
        (StatusSeconds(0, 0, 86_400), UNKNOWN),
        (StatusSeconds(), None),
    ],
    ids=["up", "some-downtime", "up-and-unknown", "only-unknown", "no-data"],
)
def test_a_day_shows_its_worst_known_status(
    seconds: StatusSeconds, code: StatusCode | None
) -> None:
    assert DayBar(date(2026, 3, 1), seconds).code is code


# -- languages -------------------------------------------------------------------------------


TRANSLATED = _item(
    "idp",
    BAD,
    description="Profiles cannot be chosen",
    translations={
        "nl": Translation("IDP (nl)", "Profielen kunnen niet gekozen worden"),
        "fr": Translation(None, "On ne peut pas choisir de profil"),
    },
)


@pytest.mark.parametrize(
    ("language", "catalog_description", "shown"),
    [
        ("nl", "Profiles cannot be chosen", ("IDP (nl)", "Profielen kunnen niet gekozen worden")),
        ("fr", "Profiles cannot be chosen", ("IDP", "On ne peut pas choisir de profil")),
        ("en", "Profiles cannot be chosen", ("IDP", "Profiles cannot be chosen")),
        # An override (or an incident) decided the description: its translation is not this.
        ("nl", "All fine", ("IDP (nl)", "Profiles cannot be chosen")),
    ],
    ids=["nl", "fr-description-only", "english", "decided-elsewhere"],
)
def test_an_item_is_shown_in_the_readers_language_where_translated(
    language: str, catalog_description: str, shown: tuple[str, str]
) -> None:
    assert localized(TRANSLATED, language, catalog_description) == shown


# -- the read model on the in-memory stores --------------------------------------------------


@dataclass
class Clock:
    now: datetime = START
    ticks: float = 0.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.ticks


class Counting:
    """A store that counts the calls of the methods named, passing everything through."""

    def __init__(self, inner: Any, *names: str) -> None:
        self._inner = inner
        self.calls = dict.fromkeys(names, 0)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name not in self.calls:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


@dataclass
class World:
    clock: Clock
    dashboards: Counting
    operations: MemoryOperationsStore
    uptime: Counting
    reconciler: Reconciler
    page: StatusPage

    def audit(self, action: str) -> AuditEntry:
        return AuditEntry(self.clock.now, "user:alice", action, "item")

    def open_incident(
        self, title: str, items: frozenset[str], impact: Impact = Impact.MAJOR
    ) -> Incident:
        first = IncidentUpdate(0, IncidentState.INVESTIGATING, "Looking", self.clock.now, "alice")
        return self.operations.open_incident(
            "prod", title, impact, items, first, "user:alice", self.audit("incident.open")
        )

    def settle(self) -> None:
        """Decide the items again, as the server's loop does; a change bumps the revision."""
        self.reconciler.run_once()


@pytest.fixture
def world() -> World:
    database = MemoryDatabase()
    spec = CatalogSpec(
        (
            EnvironmentSpec(
                "prod",
                1,
                name="Production",
                is_default=True,
                groups=(
                    GroupSpec(
                        "iam",
                        "IAM",
                        1,
                        items=(
                            ItemSpec(
                                "idp",
                                "IDP",
                                1,
                                status=OK,
                                translations={"nl": Translation("IDP nl", None)},
                            ),
                            ItemSpec("sts", "STS", 2, status=OK),
                        ),
                    ),
                ),
            ),
            EnvironmentSpec(
                "acc",
                2,
                groups=(
                    GroupSpec(
                        "box", "Box", 1, items=(ItemSpec("ehbox", "eHealthBox", 1, status=BAD),)
                    ),
                ),
            ),
        )
    )
    dashboards = MemoryDashboardStore(database=database)
    dashboards.apply_catalog(spec, START)
    clock = Clock()
    operations = MemoryOperationsStore(database, clock=clock)
    counted_dashboards = Counting(dashboards, "environments")
    uptime = Counting(MemoryUptimeStore(database), "uptime", "daily_bars")
    page = StatusPage(
        counted_dashboards,  # type: ignore[arg-type]
        operations,
        uptime,  # type: ignore[arg-type]
        revision=dashboards.revision,
        clock=clock,
        monotonic=clock.monotonic,
    )
    return World(clock, counted_dashboards, operations, uptime, Reconciler(operations, clock), page)


def test_the_overview_of_the_default_environment_has_its_groups_in_order(world: World) -> None:
    overview = world.page.overview(None)
    by_key = world.page.overview("prod")

    assert overview is not None
    assert by_key is not None
    assert overview.environment.key == by_key.environment.key == "prod"
    assert [i.name for g in overview.environment.groups for i in g.items] == ["IDP", "STS"]
    assert overview.status is OK
    assert set(overview.figures) == {IDP, STS}
    assert all(len(f.bars) == 90 for f in overview.figures.values())
    assert world.page.overview("nowhere") is None


def test_an_open_incident_shows_and_disrupts_its_item(world: World) -> None:
    world.open_incident("Token errors", frozenset({STS}))
    world.settle()

    overview = world.page.overview(None)

    assert overview is not None
    assert [i.title for i in overview.open_incidents] == ["Token errors"]
    assert overview.status is BAD
    assert overview.figures[STS].bars[-1].incidents == 1


def test_the_catalog_is_read_once_per_revision(world: World) -> None:
    world.page.overview(None)
    world.page.overview("acc")
    world.page.overview(None)
    assert world.dashboards.calls["environments"] == 1

    world.open_incident("Token errors", frozenset({STS}))  # moves the revision
    world.page.overview(None)

    assert world.dashboards.calls["environments"] == 2


def test_uptime_is_kept_a_minute_then_read_again_in_the_background(world: World) -> None:
    world.page.overview(None)
    world.page.overview(None)
    assert world.uptime.calls == {"uptime": 1, "daily_bars": 2}

    world.clock.ticks += UPTIME_TTL_S
    stale = world.page.overview(None)  # answers at once with what it has
    deadline = time.monotonic() + 5
    while world.uptime.calls["uptime"] < 2 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert stale is not None
    assert world.uptime.calls == {"uptime": 2, "daily_bars": 4}


def test_the_item_detail_has_its_history_and_the_incidents_that_named_it(world: World) -> None:
    world.operations.set_override(
        Override(IDP, UNKNOWN, "Checking", "user:alice", START), world.audit("override.set")
    )
    world.settle()
    world.clock.now += timedelta(minutes=5)
    world.operations.clear_override(IDP, world.audit("override.clear"))
    world.open_incident("Login errors", frozenset({IDP}))
    world.open_incident("Elsewhere", frozenset({STS}))
    world.settle()

    detail = world.page.item_detail(IDP, None, 10)
    first_page = world.page.item_detail(IDP, None, 1)

    assert detail is not None
    assert first_page is not None
    assert detail.located.group.key == "iam"
    assert [public_reason(e.reason)[0] for e in detail.changes][:2] == ["incident", "override"]
    assert [i.title for i in detail.incidents] == ["Login errors"]
    assert len(detail.figures.bars) == 90
    assert len(first_page.changes) == 1
    assert first_page.next_cursor is not None
    assert world.page.item_detail("0" * 32, None, 10) is None


def test_the_incident_history_pages_newest_first(world: World) -> None:
    for number in range(3):
        world.open_incident(f"#{number}", frozenset({IDP}), Impact.NONE)

    first = world.page.incident_history(None, None, 2)

    assert first is not None
    assert [i.title for i in first.incidents] == ["#2", "#1"]
    rest = world.page.incident_history(None, first.next_cursor, 2)
    assert rest is not None
    assert [i.title for i in rest.incidents] == ["#0"]
    assert rest.next_cursor is None
    assert world.page.incident_history("nowhere", None, 2) is None


def test_catalog_descriptions_are_the_catalogs_not_the_decided_ones(world: World) -> None:
    world.open_incident("Token errors", frozenset({IDP}))
    world.settle()

    catalog = world.page.catalog()

    assert catalog.items[IDP].item.description == "Token errors"
    assert catalog.catalog_descriptions[IDP] is None
    assert catalog.items[EHBOX].environment.key == "acc"
