"""The ClientRegister contract: every backend (memory, SQLite, PostgreSQL) passes the same tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from integration.store.backends import Backend
from status_dashboard.domain.ports import ClientSighting

T0 = datetime(2025, 5, 9, 8, 0, tzinfo=UTC)
PARTNER = "myProduct/62.310.4 Technical/3.19.0"


def seen(
    minutes: tuple[int, int],
    count: int = 1,
    *,
    agent: str = PARTNER,
    env: str = "prod",
    conforming: bool = True,
) -> ClientSighting:
    first, last = (T0 + timedelta(minutes=m) for m in minutes)
    return ClientSighting(env, agent, conforming, count, first, last)


def test_a_fresh_register_lists_no_clients(backend: Backend) -> None:
    assert list(backend.register.clients("prod").entries) == []


FLUSHES = [
    # (batches recorded one after another, expected (count, first, last) in minutes)
    ("one sighting", [[seen((0, 5), 3)]], (3, 0, 5)),
    ("a later flush adds up", [[seen((0, 5), 3)], [seen((6, 9), 2)]], (5, 0, 9)),
    ("an earlier first sighting widens the range", [[seen((5, 6))], [seen((1, 2))]], (2, 1, 6)),
    ("one client twice in a batch", [[seen((0, 1), 2), seen((3, 4), 5)]], (7, 0, 4)),
]


@pytest.mark.parametrize(("case", "batches", "expected"), FLUSHES, ids=[f[0] for f in FLUSHES])
def test_recording_adds_counts_and_widens_the_seen_range(
    backend: Backend,
    case: str,
    batches: list[list[ClientSighting]],
    expected: tuple[int, int, int],
) -> None:
    for batch in batches:
        backend.register.record(batch)

    [record] = backend.register.clients("prod").entries
    count, first, last = expected
    assert (record.request_count, record.first_seen, record.last_seen) == (
        count,
        T0 + timedelta(minutes=first),
        T0 + timedelta(minutes=last),
    )


def test_conforming_follows_the_latest_sighting(backend: Backend) -> None:
    backend.register.record([seen((0, 1), conforming=True)])
    backend.register.record([seen((2, 3), conforming=False)])
    assert [r.conforming for r in backend.register.clients("prod").entries] == [False]

    backend.register.record([seen((4, 5), conforming=True)])
    assert [r.conforming for r in backend.register.clients("prod").entries] == [True]


def test_clients_are_listed_per_environment_most_recently_seen_first(backend: Backend) -> None:
    backend.register.record(
        [
            seen((0, 1), agent="old/1.0 a/1"),
            seen((0, 9), agent="recent/1.0 a/1"),
            seen((0, 5), agent="middle/1.0 a/1"),
            seen((0, 7), agent="acceptance/1.0 a/1", env="acc"),
        ]
    )

    assert [r.user_agent for r in backend.register.clients("prod").entries] == [
        "recent/1.0 a/1",
        "middle/1.0 a/1",
        "old/1.0 a/1",
    ]
    assert [r.user_agent for r in backend.register.clients("acc").entries] == ["acceptance/1.0 a/1"]
    assert list(backend.register.clients("int").entries) == []


def test_an_overlong_user_agent_is_kept_cut_to_512_characters(backend: Backend) -> None:
    agent = "x" * 600
    backend.register.record([seen((0, 1), agent=agent), seen((2, 3), agent=agent + "y")])

    [record] = backend.register.clients("prod").entries
    assert (record.user_agent, record.request_count) == ("x" * 512, 2)


def test_recording_an_empty_batch_changes_nothing(backend: Backend) -> None:
    backend.register.record([])
    assert list(backend.register.clients("prod").entries) == []


def test_seen_moments_come_back_in_utc(backend: Backend) -> None:
    brussels = ZoneInfo("Europe/Brussels")
    sighting = seen((0, 1))
    backend.register.record(
        [
            ClientSighting(
                "prod",
                PARTNER,
                True,
                1,
                sighting.first_seen.astimezone(brussels),
                sighting.last_seen.astimezone(brussels),
            )
        ]
    )

    [record] = backend.register.clients("prod").entries
    assert (record.first_seen, record.first_seen.tzinfo) == (T0, UTC)
    assert record.last_seen.tzinfo is UTC
