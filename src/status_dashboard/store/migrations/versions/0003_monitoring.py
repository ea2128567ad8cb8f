"""Monitoring: checks with their state and leases, their raw results, and the workers'
heartbeats (docs/design.md §4, §6).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported (store.tables, domain.checks): see 0001.
_MOMENT = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CHECK_KINDS = ("http", "tcp", "tls", "push")


def upgrade() -> None:
    allowed = ", ".join(f"'{kind}'" for kind in _CHECK_KINDS)
    op.create_table(
        "checks",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=False),
        sa.Column("failing", sa.Boolean(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("consecutive_successes", sa.Integer(), nullable=False),
        sa.Column("last_result_at", _MOMENT, nullable=True),
        sa.Column("last_reason", sa.Text(), nullable=True),
        sa.Column("next_due", _MOMENT, nullable=False),
        sa.Column("leased_by", sa.String(length=255), nullable=True),
        sa.Column("lease_expires_at", _MOMENT, nullable=True),
        sa.Column("last_push_at", _MOMENT, nullable=True),
        sa.Column("push_token", sa.String(length=128), nullable=True),
        sa.CheckConstraint(f"kind IN ({allowed})", name=op.f("ck_checks_kind")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_checks_item_id_items"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checks")),
        sa.UniqueConstraint("item_id", "key", name=op.f("uq_checks_item_id_key")),
        sa.UniqueConstraint("push_token", name=op.f("uq_checks_push_token")),
    )
    op.create_index(op.f("ix_checks_next_due"), "checks", ["next_due"])
    op.create_table(
        "check_results",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("check_id", _SERIAL, nullable=False),
        sa.Column("at", _MOMENT, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_check_results_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_results")),
    )
    op.create_index(op.f("ix_check_results_check_id_at"), "check_results", ["check_id", "at"])
    op.create_index(op.f("ix_check_results_at"), "check_results", ["at"])
    op.create_table(
        "monitor_heartbeats",
        sa.Column("worker", sa.String(length=255), nullable=False),
        sa.Column("beat_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_monitor_heartbeats")),
    )


def downgrade() -> None:
    for table in ("monitor_heartbeats", "check_results", "checks"):
        op.drop_table(table)
