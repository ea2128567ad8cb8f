"""Alembic's entry point: runs the revisions on the connection `store.migrate` hands over.

Configuration is programmatic (no alembic.ini): `store.migrate.alembic_config` sets the script
location and passes an open connection in `config.attributes["connection"]`, so the URL, with its
password, never passes through Alembic's config parser.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from status_dashboard.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead. A batch
        # migration of a referenced table must first turn `PRAGMA foreign_keys` off (outside
        # the transaction), or the recreate cascades its deletes.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use `db upgrade`")

_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("run migrations through status_dashboard.store.migrate, not the alembic CLI")
_run(_connection)
