"""Engines: how URLs are read, how SQLite is configured, and how driver failures are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from integration.store.backends import EngineFor
from integration.store.catalogs import NOW, catalog, group, item
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.errors import (
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
    UnsupportedDatabase,
    translated,
)
from status_dashboard.store.sql import SqlClientRegister, SqlDashboardStore


def test_a_sqlite_file_gets_its_directory_and_the_pragmas_for_concurrent_use(
    tmp_path: Path, engine_for: EngineFor
) -> None:
    database = tmp_path / "nested" / "var" / "status.db"
    engine = engine_for(f"sqlite:///{database}")

    with engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }

    assert database.parent.is_dir()
    # synchronous: 1 is NORMAL
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "synchronous": 1,
    }


def test_a_sqlite_file_where_no_directory_can_be_made_is_reported(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a directory")

    with pytest.raises(StoreError, match="cannot create"):
        create_engine_for(f"sqlite:///{tmp_path / 'taken' / 'status.db'}")


POSTGRES_SPELLINGS = [
    "postgresql+psycopg://status@db.example/dashboard",
    "postgresql://status@db.example/dashboard",
    "postgres://status@db.example/dashboard",
]


@pytest.mark.parametrize("url", POSTGRES_SPELLINGS)
def test_every_spelling_of_a_postgresql_url_uses_psycopg(url: str) -> None:
    engine = create_engine_for(url)
    assert (engine.url.drivername, engine.url.host, engine.url.database) == (
        "postgresql+psycopg",
        "db.example",
        "dashboard",
    )
    engine.dispose()


UNSUPPORTED = [
    ("another database", "mysql://status:s3cret@db.example/dashboard"),
    ("another PostgreSQL driver", "postgresql+asyncpg://status:s3cret@db.example/dashboard"),
    ("not a URL", "status:s3cret at db.example"),
]


@pytest.mark.parametrize(("case", "url"), UNSUPPORTED, ids=[case for case, _ in UNSUPPORTED])
def test_an_unsupported_url_is_refused_without_showing_its_password(case: str, url: str) -> None:
    with pytest.raises(UnsupportedDatabase, match="expected sqlite") as refused:
        create_engine_for(url)
    assert "s3cret" not in str(refused.value)


def test_an_unreachable_server_is_reported_briefly_and_without_the_password() -> None:
    # Port 9 (discard) on the loopback: nothing listens there, so the connection is refused.
    engine = create_engine_for("postgresql://status:s3cret@127.0.0.1:9/dashboard")

    with pytest.raises(StoreUnavailable) as unavailable:
        SqlDashboardStore(engine).ping()

    message = str(unavailable.value)
    assert message.startswith("database unavailable: ")
    assert "\n" not in message
    assert "s3cret" not in message
    assert unavailable.value.__cause__ is None


def test_an_unmigrated_database_asks_for_an_upgrade(
    empty_database_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_database_url)

    with pytest.raises(SchemaOutOfDate, match="db upgrade"):
        SqlDashboardStore(engine).revision()
    with pytest.raises(SchemaOutOfDate, match="db upgrade"):
        SqlClientRegister(engine).clients("prod")


def test_reading_the_dashboards_takes_the_same_few_queries_however_many_items(
    database_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(database_url)
    store = SqlDashboardStore(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def queries_to_read() -> int:
        statements.clear()
        store.environments()
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    store.apply_catalog(catalog(group("g1", item("a"))), NOW)
    few = queries_to_read()
    store.apply_catalog(
        catalog(*(group(f"g{n}", *(item(f"i{n}-{m}", m) for m in range(10))) for n in range(8))),
        NOW,
    )
    many = queries_to_read()

    assert few == many == 4


def test_every_operation_returns_its_connection_to_the_pool(
    database_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(database_url)
    store = SqlDashboardStore(engine)

    store.apply_catalog(catalog(group("g1", item("a"))), NOW)
    store.environments()
    store.revision()
    SqlClientRegister(engine).clients("prod")

    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_every_postgresql_connection_bounds_its_statements_and_lock_waits(
    postgres_url: str,
) -> None:
    engine = create_engine_for(postgres_url, timeout_s=2.5)
    try:
        with engine.connect() as connection:
            server_side = {
                name: connection.exec_driver_sql(f"SHOW {name}").scalar()
                for name in ("statement_timeout", "lock_timeout")
            }
            driver = connection.connection.driver_connection
            assert driver is not None
            client_side = driver.info.get_parameters()
    finally:
        engine.dispose()

    # PostgreSQL cancels first, a little before the bound: see store.engine.
    assert server_side == {"statement_timeout": "2s", "lock_timeout": "2s"}
    assert {name: client_side.get(name) for name in ("keepalives", "tcp_user_timeout")} == {
        "keepalives": "1",
        "tcp_user_timeout": "2500",
    }


@pytest.mark.postgres
def test_a_statement_past_the_bound_is_store_unavailable_and_the_pool_serves_on(
    postgres_url: str,
) -> None:
    engine = create_engine_for(postgres_url, timeout_s=2.5)
    try:
        with (
            pytest.raises(StoreUnavailable, match=r"^database unavailable: "),
            translated(engine.url),
            engine.connect() as connection,
        ):
            connection.exec_driver_sql("SELECT pg_sleep(5)")
        with translated(engine.url), engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_migrations_run_without_the_bound(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url, timeout_s=None)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
    finally:
        engine.dispose()
