from __future__ import annotations

from datetime import UTC, datetime

import pytest

from status_dashboard.domain.ports import OVERFLOW_IDENTITY
from status_dashboard.service.tracing import (
    MAX_CLIENTS_PER_ENVIRONMENT,
    ClientTracker,
    user_agent_conforms,
)


@pytest.mark.parametrize(
    "agent",
    [
        "myProduct/62.310.4 Technical/3.19.0",
        "Topaz-XXXX/123.23.X freeconnector/XXXXX.XXX",
        "MyCompany/myProduct/62.310.4 eHealth/Technical/3.19.0",
        "Topaz/1.0.0-beta eHealthConnector/4.0.0",
        "Python/3.11 aiohttp/3.9.1",
        "a/1 b/2 c/3",
    ],
)
def test_the_cookbook_examples_and_their_kin_conform(agent: str) -> None:
    assert user_agent_conforms(agent)


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "curl/8.5.0",
        "python-requests/2.31.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
        "myProduct/62.310.4  Technical/3.19.0",
        "myProduct/ Technical/3.19.0",
        "myProduct 62.310.4",
        " myProduct/1 Technical/2",
    ],
)
def test_a_single_product_or_anything_off_pattern_does_not_conform(agent: str) -> None:
    assert not user_agent_conforms(agent)


def test_the_tracker_counts_each_identity_per_environment_until_drained() -> None:
    tracker = ClientTracker()
    tracker.seen("prod", "a/1 b/2", True, 100.0)
    tracker.seen("prod", "a/1 b/2", True, 160.0)
    tracker.seen("acc", "a/1 b/2", True, 120.0)
    tracker.seen("prod", "curl/8", False, 130.0)
    sightings = {(s.environment_key, s.user_agent): s for s in tracker.drain()}
    assert sightings["prod", "a/1 b/2"].count == 2
    assert sightings["prod", "a/1 b/2"].first_seen == datetime.fromtimestamp(100.0, UTC)
    assert sightings["prod", "a/1 b/2"].last_seen == datetime.fromtimestamp(160.0, UTC)
    assert sightings["acc", "a/1 b/2"].count == 1
    assert not sightings["prod", "curl/8"].conforming
    assert tracker.drain() == []


def test_sightings_put_back_after_a_failed_write_are_counted_again() -> None:
    tracker = ClientTracker()
    tracker.seen("prod", "a/1 b/2", True, 100.0)
    failed = tracker.drain()
    tracker.seen("prod", "a/1 b/2", True, 200.0)
    tracker.restore(failed)
    (sighting,) = tracker.drain()
    assert sighting.count == 2
    assert sighting.first_seen == datetime.fromtimestamp(100.0, UTC)


def test_a_flood_of_distinct_identities_is_capped_into_one_line() -> None:
    tracker = ClientTracker()
    for n in range(MAX_CLIENTS_PER_ENVIRONMENT + 50):
        tracker.seen("prod", f"bot{n}/1 x/1", True, 1.0)
    sightings = tracker.drain()
    assert len(sightings) == MAX_CLIENTS_PER_ENVIRONMENT + 1
    overflow = next(s for s in sightings if s.user_agent == OVERFLOW_IDENTITY)
    assert overflow.count == 50


def test_very_long_identities_are_cut() -> None:
    tracker = ClientTracker()
    tracker.seen("prod", "x" * 5000, False, 1.0)
    (sighting,) = tracker.drain()
    assert len(sighting.user_agent) == 512
