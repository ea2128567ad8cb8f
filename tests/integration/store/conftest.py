"""Backends for the store contract suites: every test taking `backend` runs once per backend.

backend            a `Backend` of the parametrised kind: memory, sqlite, postgres; its stores
                   share one database, and its operations store's clock stands at `NOW`
database_url       a migrated database URL, once per SQL engine: sqlite, postgres
empty_database_url the same, never migrated
engine_for         engine_for(url): an engine, disposed after the test
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy

from integration.store.backends import BACKENDS, SQL_ENGINES, Backend, EngineFor
from integration.store.catalogs import NOW
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.memory import (
    MemoryAccountStore,
    MemoryAuditLog,
    MemoryClientRegister,
    MemoryDashboardStore,
    MemoryDatabase,
    MemoryMonitorStore,
    MemoryOperationsStore,
)
from status_dashboard.store.sql import (
    SqlAccountStore,
    SqlAuditLog,
    SqlClientRegister,
    SqlDashboardStore,
    SqlMonitorStore,
    SqlOperationsStore,
)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        database = MemoryDatabase()
        yield Backend(
            "memory",
            MemoryDashboardStore(database=database),
            MemoryClientRegister(),
            MemoryAccountStore(database),
            MemoryOperationsStore(database, clock=lambda: NOW),
            MemoryAuditLog(database),
            MemoryMonitorStore(database),
        )
        return
    engine = create_engine_for(request.getfixturevalue(f"{request.param}_url"))
    yield Backend(
        request.param,
        SqlDashboardStore(engine),
        SqlClientRegister(engine),
        SqlAccountStore(engine),
        SqlOperationsStore(engine, clock=lambda: NOW),
        SqlAuditLog(engine),
        SqlMonitorStore(engine),
        engine,
    )
    engine.dispose()


@pytest.fixture(params=SQL_ENGINES)
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(params=SQL_ENGINES)
def empty_database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"empty_{request.param}_url")
    return url


@pytest.fixture
def engine_for() -> Iterator[EngineFor]:
    engines: list[sqlalchemy.Engine] = []

    def make(url: str) -> sqlalchemy.Engine:
        engines.append(create_engine_for(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()
