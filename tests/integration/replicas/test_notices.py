"""The notices themselves, on PostgreSQL: sent by the transaction that bumps the revision and
delivered only if it commits; and the listener that hears them, on an event loop of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, text

from integration.replicas.support import CATALOG, wait_for
from status_dashboard.service.catalog import parse_catalog
from status_dashboard.service.publisher import utc_now
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.listener import Backoff, ChangeListener, connection_parameters
from status_dashboard.store.notify import CHANNEL, ChangeNotice, decode_notice, encode_notice
from status_dashboard.store.sql import SqlDashboardStore
from status_dashboard.store.transactions import bump_revision, writing

pytestmark = pytest.mark.postgres


@pytest.fixture
def listening(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A session of the test's own, listening on the channel."""
    conninfo = make_conninfo("", **connection_parameters(postgres_url))
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f"LISTEN {CHANNEL}")
        yield connection


def _notices(connection: psycopg.Connection[tuple[object, ...]]) -> list[ChangeNotice]:
    return [decode_notice(n.payload) for n in connection.notifies(timeout=0.5)]


def test_a_committed_bump_is_announced_with_its_revision_and_environment(
    postgres_url: str, listening: psycopg.Connection[tuple[object, ...]]
) -> None:
    engine = create_engine_for(postgres_url)
    try:
        with writing(engine) as connection:
            revision = bump_revision(connection, "prod")
    finally:
        engine.dispose()
    assert _notices(listening) == [ChangeNotice(revision, "prod")]


def test_a_rolled_back_write_announces_nothing(
    postgres_url: str, listening: psycopg.Connection[tuple[object, ...]]
) -> None:
    engine = create_engine_for(postgres_url)
    try:
        with pytest.raises(RuntimeError):
            _bump_then_fail(engine)
    finally:
        engine.dispose()
    assert _notices(listening) == []


def test_a_catalog_load_is_one_notice_about_no_environment_in_particular(
    postgres_url: str, listening: psycopg.Connection[tuple[object, ...]]
) -> None:
    engine = create_engine_for(postgres_url)
    store = SqlDashboardStore(engine)
    try:
        store.apply_catalog(parse_catalog(CATALOG), utc_now())
        revision = store.revision()
    finally:
        engine.dispose()
    assert _notices(listening) == [ChangeNotice(revision, None)]


@pytest.mark.parametrize(
    ("payload", "notice"),
    [
        ('{"revision":7,"environment":"prod"}', ChangeNotice(7, "prod")),
        ('{"revision":7,"environment":null}', ChangeNotice(7, None)),
        ('{"revision":"7"}', ChangeNotice(None, None)),
        ('{"revision":true}', ChangeNotice(None, None)),
        ("[7]", ChangeNotice(None, None)),
        ("", ChangeNotice(None, None)),
        ("not json", ChangeNotice(None, None)),
    ],
)
def test_any_payload_is_a_notice_and_only_what_it_says_plainly_is_read(
    payload: str, notice: ChangeNotice
) -> None:
    assert decode_notice(payload) == notice


def test_a_notice_is_read_back_as_it_was_sent() -> None:
    sent = ChangeNotice(12345678901, "int")
    assert decode_notice(encode_notice(sent)) == sent


def test_the_listener_hears_notices_and_closes_its_session_when_stopped(
    postgres_url: str,
) -> None:
    heard: list[ChangeNotice] = []
    connects: list[bool] = []
    losses: list[bool] = []
    listener = ChangeListener(
        postgres_url,
        on_notice=heard.append,
        on_connect=lambda: connects.append(True),
        on_lost=lambda: losses.append(True),
        backoff=Backoff(first=0.05),
    )
    engine = create_engine_for(postgres_url)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(stop))
        while not listener.connected:
            await asyncio.sleep(0.01)
        with writing(engine) as connection:
            revision = bump_revision(connection, "acc")
        while not heard:
            await asyncio.sleep(0.01)
        assert heard == [ChangeNotice(revision, "acc")]
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    try:
        asyncio.run(asyncio.wait_for(scenario(), 10))
        assert connects == losses == [True]
        assert not listener.connected
        wait_for(lambda: not _listener_sessions(engine), 5.0, "the listener's session closed")
    finally:
        engine.dispose()


def _bump_then_fail(engine: Engine) -> None:
    with writing(engine) as connection:
        bump_revision(connection)
        raise RuntimeError("the write fails after the bump")


def _listener_sessions(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [
            row.pid
            for row in connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND application_name = 'status-dashboard-listener'"
                )
            )
        ]
