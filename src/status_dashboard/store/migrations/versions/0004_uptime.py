"""History aggregates: seconds per status per item and runs per check, per hour and per UTC day,
and the roll-up's marker (docs/design.md §4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported (store.tables): see 0001.
_MOMENT = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ITEM_TABLES = ("item_status_hours", "item_status_days")
_CHECK_TABLES = ("check_run_hours", "check_run_days")


def upgrade() -> None:
    for table in _ITEM_TABLES:
        op.create_table(
            table,
            sa.Column("item_id", sa.String(length=32), nullable=False),
            sa.Column("starts_at", _MOMENT, nullable=False),
            sa.Column("operational_s", sa.Float(), nullable=False),
            sa.Column("disrupted_s", sa.Float(), nullable=False),
            sa.Column("unknown_s", sa.Float(), nullable=False),
            sa.ForeignKeyConstraint(
                ["item_id"],
                ["items.id"],
                name=op.f(f"fk_{table}_item_id_items"),
                onupdate="CASCADE",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("item_id", "starts_at", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_starts_at"), table, ["starts_at"])
    for table in _CHECK_TABLES:
        op.create_table(
            table,
            sa.Column("check_id", _SERIAL, nullable=False),
            sa.Column("starts_at", _MOMENT, nullable=False),
            sa.Column("runs", sa.Integer(), nullable=False),
            sa.Column("failures", sa.Integer(), nullable=False),
            sa.Column("total_duration_ms", sa.Float(), nullable=False),
            sa.Column("max_duration_ms", sa.Float(), nullable=False),
            sa.ForeignKeyConstraint(
                ["check_id"],
                ["checks.id"],
                name=op.f(f"fk_{table}_check_id_checks"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("check_id", "starts_at", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_starts_at"), table, ["starts_at"])
    op.create_table(
        "uptime_rollup",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("open_hour", _MOMENT, nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_result_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_uptime_rollup_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptime_rollup")),
    )


def downgrade() -> None:
    for table in ("uptime_rollup", *_CHECK_TABLES, *_ITEM_TABLES):
        op.drop_table(table)
