"""Server replicas on one PostgreSQL database, each a real `status-dashboard serve` process.

catalog_database   a fresh, migrated PostgreSQL database with a small catalog loaded, and an
                   operator token for the admin API
replica_a / _b     two server processes on it; their own polls are 30 s apart, so whatever
                   reaches one of them sooner was announced by PostgreSQL
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.replicas.support import (
    CatalogDatabase,
    Replica,
    catalog_database_on,
    replica,
)


@pytest.fixture
def catalog_database(postgres_url: str, tmp_path: Path) -> CatalogDatabase:
    return catalog_database_on(postgres_url, tmp_path)


@pytest.fixture
def replica_a(catalog_database: CatalogDatabase, tmp_path: Path) -> Iterator[Replica]:
    with replica(catalog_database, tmp_path / "a") as started:
        yield started


@pytest.fixture
def replica_b(catalog_database: CatalogDatabase, tmp_path: Path) -> Iterator[Replica]:
    with replica(catalog_database, tmp_path / "b") as started:
        yield started
