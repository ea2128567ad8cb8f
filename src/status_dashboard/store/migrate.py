"""Bring a database to this version's schema (`status-dashboard db upgrade`), and tell whether it is.

The migrations ship inside the package (`store/migrations`), and Alembic is configured here in
code, so an installed wheel needs no alembic.ini and no working directory.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from status_dashboard.store.engine import create_engine_for, immediate
from status_dashboard.store.errors import translated

SCRIPT_LOCATION = "status_dashboard.store:migrations"

# Any constant shared by every process of the service: replicas that start together and all run
# `db upgrade` take this lock in turn, and the later ones find the schema already at head.
_UPGRADE_LOCK = 0x5D_0001


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, running on `connection` (required by `migrations/env.py`)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The revision this version of the code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the package ships no migrations")
    return head


def upgrade(url: str) -> None:
    """Migrate the database at `url` to head; does nothing when it is already there.

    All pending revisions run in one transaction (both engines have transactional DDL), so a
    failed upgrade leaves the schema as it was.
    """
    # Unbounded: a migration may take long, and waits for any other upgrade to finish.
    engine = create_engine_for(url, timeout_s=None)
    try:
        with translated(engine.url), immediate(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _UPGRADE_LOCK}
                )
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at; None when it has never been migrated."""
    engine = create_engine_for(url)
    try:
        with translated(engine.url), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_up_to_date(url: str) -> bool:
    """Whether the database at `url` has exactly the schema this version of the code expects."""
    return current_revision(url) == head_revision()
