"""When notices are lost, the poll still brings every change: at `REFRESH_INTERVAL` while the
listener cannot connect, at `LISTEN_FALLBACK_INTERVAL` while it is connected but a write was
not announced."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from integration.replicas.support import (
    CatalogDatabase,
    Replica,
    replica,
    set_item,
    shown_item,
    wait_for,
)

from support.server import free_port

pytestmark = pytest.mark.postgres


def test_with_the_listener_down_the_poll_brings_the_change_within_its_interval(
    catalog_database: CatalogDatabase, replica_a: Replica, tmp_path: Path
) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing_listens_here"
    settings = {
        "STATUS_DASHBOARD_LISTEN_DATABASE_URL": nowhere,
        "STATUS_DASHBOARD_REFRESH_INTERVAL": "0.5",
    }
    item_id = catalog_database.item_ids[0]
    with replica(catalog_database, tmp_path / "deaf", env=settings) as deaf:
        assert deaf.listener_status() == "DOWN"
        assert deaf.health()["status"] == "UP"
        assert "event=listen_connect_failed" in deaf.server.log()
        set_item(replica_a, item_id, 2, "heard by polling")
        with deaf.public() as client:
            wait_for(
                lambda: shown_item(client, item_id).get("description") == "heard by polling",
                0.5 + 0.7,
                "the change on the replica that cannot listen",
            )


def test_a_write_nobody_announced_arrives_within_the_fallback_interval(
    catalog_database: CatalogDatabase, replica_a: Replica, tmp_path: Path
) -> None:
    item_id = catalog_database.item_ids[1]
    settings = {"STATUS_DASHBOARD_LISTEN_FALLBACK_INTERVAL": "1.0"}
    with replica(catalog_database, tmp_path / "b", env=settings) as b:
        assert b.listener_status() == "UP"
        _rename_without_notice(catalog_database, item_id, "Renamed behind the listener's back")
        with b.public() as client:
            wait_for(
                lambda: shown_item(client, item_id)["name"] == "Renamed behind the listener's back",
                1.0 + 0.7,
                "the unannounced change on the replica with a 1 s fallback",
            )
        # A, whose fallback poll is 30 s away, has not seen it: only the poll brought it.
        with replica_a.public() as client:
            assert shown_item(client, item_id)["name"] != "Renamed behind the listener's back"


def _rename_without_notice(database: CatalogDatabase, item_id: str, name: str) -> None:
    """A write as an older version, or a hand-made fix in psql, would do it: no NOTIFY."""
    engine = database.engine()
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE items SET name = :name WHERE id = :id"), {"name": name, "id": item_id}
            )
            connection.execute(text("UPDATE meta SET revision = revision + 1 WHERE id = 1"))
    finally:
        engine.dispose()
