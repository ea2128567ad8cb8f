"""A write through one replica reaches another within a second, announced by PostgreSQL
(LISTEN/NOTIFY), while the replicas' own polls are 30 s apart: on its dashboard and on its
live stream."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from integration.replicas.support import (
    STREAM_HEADERS,
    Replica,
    dashboard_events,
    listening_sessions,
    percentile,
    set_item,
    shown_item,
    wait_for,
)

pytestmark = pytest.mark.postgres

CHANGES = 20
LIMIT_S = 1.0


def test_twenty_writes_through_a_reach_b_each_within_a_second(
    replica_a: Replica, replica_b: Replica
) -> None:
    item_id = replica_a.database.item_ids[0]
    delays = []
    with replica_b.public() as b:
        for n in range(CHANGES):
            description = f"change {n}: tokens are refused"
            status = 2 if n % 2 == 0 else 3
            written = set_item(replica_a, item_id, status, description)
            shown = wait_for(_showing(b, item_id, description), LIMIT_S, f"change {n} on B")
            delays.append(time.monotonic() - written)
            assert shown["status_code"] == status
    p50, worst = percentile(delays, 0.5), max(delays)
    print(f"A -> B over {CHANGES} changes: p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms")
    assert worst < LIMIT_S, delays


def _showing(
    client: httpx.Client, item_id: str, description: str
) -> Callable[[], dict[str, Any] | None]:
    """A check: the item as `client`'s replica shows it, once it has `description`."""

    def check() -> dict[str, Any] | None:
        item = shown_item(client, item_id)
        return item if item.get("description") == description else None

    return check


def test_a_write_through_a_reaches_the_live_stream_of_b_within_a_second(
    replica_a: Replica, replica_b: Replica
) -> None:
    item_id = replica_a.database.item_ids[1]
    timeout = httpx.Timeout(10.0, read=5.0)
    with (
        httpx.Client(base_url=replica_b.server.url, headers=STREAM_HEADERS, timeout=timeout) as b,
        b.stream("GET", "/api/v1/dashboard/prod/stream") as response,
    ):
        assert response.status_code == 200
        events = dashboard_events(response.iter_lines())
        first = next(events)
        assert {i["id"] for g in first["groups"] for i in g["items"]} >= {item_id}
        written = set_item(replica_a, item_id, 2, "STS refuses every token")
        changed = next(events)
        arrived = time.monotonic() - written
    item = next(i for g in changed["groups"] for i in g["items"] if i["id"] == item_id)
    assert (item["status_code"], item["description"]) == (2, "STS refuses every token")
    assert arrived < LIMIT_S


def test_every_replica_listens_with_one_session_of_its_own(
    replica_a: Replica, replica_b: Replica
) -> None:
    assert replica_a.listener_status() == replica_b.listener_status() == "UP"
    assert len(listening_sessions(replica_a.database)) == 2
