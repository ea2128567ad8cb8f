"""The client register read a page at a time, most recently seen first, and pruned by last
seen: an index on (environment_key, last_seen) serves both.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_client_register_environment_key_last_seen"),
        "client_register",
        ["environment_key", "last_seen"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_client_register_environment_key_last_seen"), "client_register")
