"""Fixtures shared by every test: databases to run against (see support/databases.py).

empty_sqlite_url    a SQLite file in tmp_path, never migrated
sqlite_url          the same, migrated to head
empty_postgres_url  a fresh, uniquely named database on the STATUS_DASHBOARD_TEST_PG_URL
                    server, never migrated; dropped after the test
postgres_url        the same, migrated to head
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from status_dashboard.store.migrate import upgrade

from support.databases import postgres_database, postgres_server_url, sqlite_database_url


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    return sqlite_database_url(tmp_path)


@pytest.fixture
def sqlite_url(empty_sqlite_url: str) -> str:
    upgrade(empty_sqlite_url)
    return empty_sqlite_url


@pytest.fixture(scope="session", name="postgres_server_url")
def postgres_server_url_fixture() -> str:
    return postgres_server_url()


@pytest.fixture
def empty_postgres_url(postgres_server_url: str) -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def postgres_url(empty_postgres_url: str) -> str:
    upgrade(empty_postgres_url)
    return empty_postgres_url
