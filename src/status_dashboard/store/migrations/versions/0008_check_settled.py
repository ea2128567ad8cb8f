"""Checks remember whether they ever reached a threshold: until then an item is Unknown, not
Operational (docs/design.md §4: no data is not good news).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "checks", sa.Column("settled", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    # A check that is failing, or whose latest results were successes, reached a threshold
    # (the default recover_threshold is 1); one with only failures below its fail threshold
    # stays unsettled, as it would be had it run under the new rule from the start.
    checks = sa.table(
        "checks",
        sa.column("settled", sa.Boolean()),
        sa.column("failing", sa.Boolean()),
        sa.column("consecutive_successes", sa.Integer()),
    )
    op.execute(
        checks.update()
        .where(sa.or_(checks.c.failing, checks.c.consecutive_successes > 0))
        .values(settled=True)
    )


def downgrade() -> None:
    op.drop_column("checks", "settled")
