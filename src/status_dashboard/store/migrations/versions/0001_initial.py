"""The initial schema: environments, groups, items, their translations and history, the client
register, and the revision counter; seeded with the default environments (docs/design.md §2).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The schema is spelled out here rather than imported from store.tables: a revision must keep
# creating the schema of its day after the tables module has moved on.
_MOMENT = sa.DateTime(timezone=True)
# The same goes for the seed: domain.model.DEFAULT_ENVIRONMENTS as it was when this revision was
# written (a test keeps the two equal for a new database).
_ENVIRONMENTS_OF_THE_DAY = (("prod", "Production"), ("acc", "Acceptance"), ("int", "Integration"))
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _cascade_fk(column: str, target: str, table: str) -> sa.ForeignKeyConstraint:
    referred_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{referred_table}"),
        onupdate="CASCADE",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    meta = op.create_table(
        "meta",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_meta_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meta")),
    )
    environments = op.create_table(
        "environments",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("strict", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_environments")),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("environment_key", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _cascade_fk("environment_key", "environments.key", "groups"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("environment_key", "key", name=op.f("uq_groups_environment_key_key")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("environment_key", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("last_updated", _MOMENT, nullable=False),
        sa.CheckConstraint("status_code BETWEEN 1 AND 3", name=op.f("ck_items_status_code")),
        _cascade_fk("environment_key", "environments.key", "items"),
        _cascade_fk("group_id", "groups.id", "items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("environment_key", "key", name=op.f("uq_items_environment_key_key")),
    )
    op.create_index("ix_items_group_id", "items", ["group_id"])
    op.create_table(
        "item_translations",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        _cascade_fk("item_id", "items.id", "item_translations"),
        sa.PrimaryKeyConstraint("item_id", "language", name=op.f("pk_item_translations")),
    )
    op.create_table(
        "item_status_events",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("environment_key", sa.String(length=64), nullable=False),
        sa.Column("at", _MOMENT, nullable=False),
        sa.Column("from_code", sa.SmallInteger(), nullable=True),
        sa.Column("to_code", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.CheckConstraint(
            "from_code BETWEEN 1 AND 3", name=op.f("ck_item_status_events_from_code")
        ),
        sa.CheckConstraint("to_code BETWEEN 1 AND 3", name=op.f("ck_item_status_events_to_code")),
        _cascade_fk("item_id", "items.id", "item_status_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_status_events")),
    )
    op.create_index("ix_item_status_events_item_id_at", "item_status_events", ["item_id", "at"])
    op.create_table(
        "client_register",
        sa.Column("environment_key", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=512), nullable=False),
        sa.Column("conforming", sa.Boolean(), nullable=False),
        sa.Column("request_count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", _MOMENT, nullable=False),
        sa.Column("last_seen", _MOMENT, nullable=False),
        _cascade_fk("environment_key", "environments.key", "client_register"),
        sa.PrimaryKeyConstraint("environment_key", "user_agent", name=op.f("pk_client_register")),
    )
    _seed(meta, environments)


def _seed(meta: sa.Table, environments: sa.Table) -> None:
    """Revision 0 and the environments every deployment has (PROD is the default)."""
    op.bulk_insert(meta, [{"id": 1, "revision": 0}])
    created = datetime.now(UTC)
    op.bulk_insert(
        environments,
        [
            {
                "key": key,
                "name": name,
                "position": position,
                "strict": False,
                "is_default": key == "prod",
                "created_at": created,
            }
            for position, (key, name) in enumerate(_ENVIRONMENTS_OF_THE_DAY, start=1)
        ],
    )


def downgrade() -> None:
    for table in (
        "client_register",
        "item_status_events",
        "item_translations",
        "items",
        "groups",
        "environments",
        "meta",
    ):
        op.drop_table(table)
