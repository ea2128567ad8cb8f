"""Stores on a real database for the worker tests, loaded with a small catalog.

stores    the SQL stores of a migrated SQLite file holding `integration.store.catalogs.BASE`
target    a real HTTP server on 127.0.0.1 (integration.probes.servers.HttpServer)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.probes.servers import HttpServer, serving
from integration.store.catalogs import BASE
from status_dashboard.bootstrap import Stores, open_stores
from status_dashboard.config import Settings
from status_dashboard.service.publisher import utc_now


@pytest.fixture
def stores(sqlite_url: str) -> Stores:
    opened = open_stores(Settings(database_url=sqlite_url))
    opened.dashboards.apply_catalog(BASE, utc_now())
    return opened


@pytest.fixture
def target() -> Iterator[HttpServer]:
    server = HttpServer()
    with serving(server):
        yield server
