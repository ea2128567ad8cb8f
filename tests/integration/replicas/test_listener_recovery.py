"""A listening session that PostgreSQL terminates (a failover, an operator) is opened again by
itself, and changes keep arriving within a second, even one committed while nobody listened."""

from __future__ import annotations

import pytest

from integration.replicas.support import (
    Replica,
    listening_sessions,
    set_item,
    shown_item,
    terminate_listeners,
    wait_for,
)

pytestmark = pytest.mark.postgres

LIMIT_S = 1.0


def _listening_again(replica: Replica, old: set[int]) -> bool:
    """Both replicas listen on new sessions, and `replica` says so."""
    now = set(listening_sessions(replica.database))
    return len(now) == 2 and not now & old and replica.listener_status() == "UP"


def test_a_terminated_listener_listens_again_and_changes_still_arrive(
    replica_a: Replica, replica_b: Replica
) -> None:
    item_id = replica_a.database.item_ids[0]
    before = set(listening_sessions(replica_a.database))
    assert len(before) == 2

    assert terminate_listeners(replica_a.database) == 2
    wait_for(lambda: _listening_again(replica_b, before), 5.0, "B listening again")
    log = replica_b.server.log()
    assert "event=listen_lost" in log
    assert log.count("event=listen_connected") == 2

    set_item(replica_a, item_id, 2, "after the session was lost")
    with replica_b.public() as b:
        wait_for(
            lambda: shown_item(b, item_id).get("description") == "after the session was lost",
            LIMIT_S,
            "the change on replica B",
        )


def test_a_change_committed_while_the_session_is_gone_arrives_with_the_new_one(
    replica_a: Replica, replica_b: Replica
) -> None:
    item_id = replica_a.database.item_ids[1]
    before = set(listening_sessions(replica_a.database))
    terminate_listeners(replica_a.database)
    # Written at once: B's listener waits a quarter of a second before it connects again, so
    # this commit most likely finds nobody listening, and its notice is lost.
    set_item(replica_a, item_id, 2, "while nobody listened")
    with replica_b.public() as b:
        wait_for(
            lambda: shown_item(b, item_id).get("description") == "while nobody listened",
            LIMIT_S,
            "the change on replica B",
        )
    wait_for(lambda: _listening_again(replica_b, before), 5.0, "B listening again")
