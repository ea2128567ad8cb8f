from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.databases import postgres_database, sqlite_database_url
from support.server import RunningServer, running_server


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """`serve --demo` on a fresh database of each kind: migrated and loaded by the server itself."""
    directory = tmp_path_factory.mktemp(f"demo-{request.param}")
    if request.param == "sqlite":
        with running_server(sqlite_database_url(directory), directory, "--demo") as server:
            yield server
    else:
        with postgres_database() as url, running_server(url, directory, "--demo") as server:
            yield server
