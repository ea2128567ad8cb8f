"""Fresh databases for tests: a SQLite file, or a new database on the PostgreSQL test server.

The PostgreSQL server is named by STATUS_DASHBOARD_TEST_PG_URL. Without it the PostgreSQL tests
skip, except where STATUS_DASHBOARD_TEST_REQUIRE_ALL=1 (CI sets it): there a skipped database
would hide a failure, so they fail and say why.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from status_dashboard.store.engine import create_engine_for, parse_url

PG_URL_VARIABLE = "STATUS_DASHBOARD_TEST_PG_URL"
REQUIRE_ALL_VARIABLE = "STATUS_DASHBOARD_TEST_REQUIRE_ALL"
_EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def sqlite_database_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'var' / 'status-dashboard.db'}"


def postgres_server_url() -> str:
    """The server the PostgreSQL tests create their databases on; skips or fails without one."""
    url = os.environ.get(PG_URL_VARIABLE)
    if url:
        return url
    if os.environ.get(REQUIRE_ALL_VARIABLE) == "1":
        pytest.fail(
            f"{PG_URL_VARIABLE} is not set; CI must run the PostgreSQL tests (e.g. {PG_URL_VARIABLE}={_EXAMPLE})",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL tests need {PG_URL_VARIABLE}, e.g. {_EXAMPLE}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards; yields its URL."""
    server_url = postgres_server_url()
    name = f"sd_test_{secrets.token_hex(6)}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    server = create_engine_for(server_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        try:
            with server.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            pytest.fail(f"the PostgreSQL test server is not reachable: {exc.orig}", pytrace=False)
        yield parse_url(server_url).set(database=name).render_as_string(hide_password=False)
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()
