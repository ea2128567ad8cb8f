"""Accounts, operations and the audit log: users, API tokens, overrides, effective item states,
incidents with their timelines, maintenance windows, and the append-only audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported (store.tables, domain enums): see 0001.
_MOMENT = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_ROLES = ("viewer", "operator", "admin")
_IMPACTS = ("none", "minor", "major", "critical")
_INCIDENT_STATES = ("investigating", "identified", "monitoring", "resolved")
_SOURCES = ("override", "incident", "maintenance", "checks", "stale", "monitor-down", "manual")
_APPEND_ONLY = "audit log is append-only"


def _one_of(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def _status_check(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint("status_code BETWEEN 1 AND 3", name=op.f(f"ck_{table}_status_code"))


def _fk(
    table: str, column: str, target: str, *, follow_renames: bool = True
) -> sa.ForeignKeyConstraint:
    referred_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{referred_table}"),
        onupdate="CASCADE" if follow_renames else None,
        ondelete="CASCADE",
    )


def upgrade() -> None:
    _accounts()
    _item_tables()
    _incidents()
    _maintenance()
    _audit_log()


def _accounts() -> None:
    op.create_table(
        "users",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _one_of("users", "role", _ROLES),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=255), nullable=False),
        sa.Column("environments", sa.Text(), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column("last_used_at", _MOMENT, nullable=True),
        sa.Column("revoked_at", _MOMENT, nullable=True),
        sa.Column("expires_at", _MOMENT, nullable=True),
        _one_of("api_tokens", "role", _ROLES),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        "uq_api_tokens_live_name",
        "api_tokens",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )


def _item_tables() -> None:
    op.create_table(
        "item_overrides",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("set_by", sa.String(length=255), nullable=False),
        sa.Column("set_at", _MOMENT, nullable=False),
        sa.Column("expires_at", _MOMENT, nullable=True),
        _status_check("item_overrides"),
        _fk("item_overrides", "item_id", "items.id"),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_overrides")),
    )
    op.create_table(
        "item_states",
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("last_updated", _MOMENT, nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _status_check("item_states"),
        _one_of("item_states", "source", _SOURCES),
        _fk("item_states", "item_id", "items.id"),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_states")),
    )


def _incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("environment_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("impact", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("resolved_at", _MOMENT, nullable=True),
        _one_of("incidents", "impact", _IMPACTS),
        _one_of("incidents", "state", _INCIDENT_STATES),
        _fk("incidents", "environment_key", "environments.key"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_environment_key_id", "incidents", ["environment_key", "id"])
    op.create_table(
        "incident_items",
        sa.Column("incident_id", _SERIAL, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        _fk("incident_items", "incident_id", "incidents.id", follow_renames=False),
        _fk("incident_items", "item_id", "items.id"),
        sa.PrimaryKeyConstraint("incident_id", "item_id", name=op.f("pk_incident_items")),
    )
    op.create_index("ix_incident_items_item_id", "incident_items", ["item_id"])
    op.create_table(
        "incident_updates",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("incident_id", _SERIAL, nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("at", _MOMENT, nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        _one_of("incident_updates", "state", _INCIDENT_STATES),
        _fk("incident_updates", "incident_id", "incidents.id", follow_renames=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_updates")),
    )
    op.create_index("ix_incident_updates_incident_id", "incident_updates", ["incident_id"])


def _maintenance() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("environment_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_at", _MOMENT, nullable=False),
        sa.Column("ends_at", _MOMENT, nullable=False),
        sa.Column("impact", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("cancelled_at", _MOMENT, nullable=True),
        _one_of("maintenance_windows", "impact", _IMPACTS),
        _fk("maintenance_windows", "environment_key", "environments.key"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(
        "ix_maintenance_windows_environment_key_id",
        "maintenance_windows",
        ["environment_key", "id"],
    )
    op.create_table(
        "maintenance_items",
        sa.Column("window_id", _SERIAL, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        _fk("maintenance_items", "window_id", "maintenance_windows.id", follow_renames=False),
        _fk("maintenance_items", "item_id", "items.id"),
        sa.PrimaryKeyConstraint("window_id", "item_id", name=op.f("pk_maintenance_items")),
    )
    op.create_index("ix_maintenance_items_item_id", "maintenance_items", ["item_id"])


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("at", _MOMENT, nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("environment_key", sa.String(length=64), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_index("ix_audit_log_target", "audit_log", ["target"])
    # The database itself refuses to change the record, whoever asks. restrict_violation makes
    # PostgreSQL report it as an integrity error, as SQLite's RAISE(ABORT) is.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    # Dropping a table drops its triggers; the function is PostgreSQL's alone.
    for table in (
        "audit_log",
        "maintenance_items",
        "maintenance_windows",
        "incident_updates",
        "incident_items",
        "incidents",
        "item_states",
        "item_overrides",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only()")
