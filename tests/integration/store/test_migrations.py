"""Migrations: they create exactly the schema `store.tables` describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from integration.store.backends import EngineFor
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    is_up_to_date,
    upgrade,
)
from status_dashboard.store.sql import SqlDashboardStore
from status_dashboard.store.tables import metadata


def test_a_database_is_up_to_date_only_after_upgrade(empty_database_url: str) -> None:
    assert current_revision(empty_database_url) is None
    assert not is_up_to_date(empty_database_url)

    upgrade(empty_database_url)

    assert current_revision(empty_database_url) == head_revision()
    assert is_up_to_date(empty_database_url)


def test_upgrading_twice_is_the_same_as_upgrading_once(
    empty_database_url: str, engine_for: EngineFor
) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)

    store = SqlDashboardStore(engine_for(empty_database_url))
    assert [env.key for env in store.environments()] == ["prod", "acc", "int"]
    assert store.revision() == 0


def test_upgrading_a_current_database_leaves_its_data_alone(
    database_url: str, engine_for: EngineFor
) -> None:
    store = SqlDashboardStore(engine_for(database_url))
    spec = CatalogSpec(
        (
            EnvironmentSpec(
                "prod", 1, groups=(GroupSpec("iam", "IAM", 1, items=(ItemSpec("idp", "IDP", 1),)),)
            ),
        )
    )
    store.apply_catalog(spec, datetime(2025, 5, 9, tzinfo=UTC))
    before = (store.revision(), store.environments())

    upgrade(database_url)

    assert (store.revision(), store.environments()) == before


def test_the_migrated_schema_is_exactly_the_one_the_tables_describe(
    database_url: str, engine_for: EngineFor
) -> None:
    engine = engine_for(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_downgrading_to_base_removes_every_table(database_url: str, engine_for: EngineFor) -> None:
    engine = engine_for(database_url)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["alembic_version"]
