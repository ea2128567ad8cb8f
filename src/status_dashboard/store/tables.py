"""The schema, as SQLAlchemy Core tables: the single source the migrations are checked against.

Every constraint is named by `NAMING`, so a migration written today creates the same names on
SQLite and PostgreSQL, and a later migration can drop or alter them by name.

Enumerations (roles, impacts, states, sources) are strings checked against the domain enums.

Moments are `UtcDateTime`: stored in UTC and always read back as aware UTC datetimes, whether the
driver keeps the offset (psycopg) or drops it (sqlite3).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

from status_dashboard.domain.accounts import Role
from status_dashboard.domain.effective import Source
from status_dashboard.domain.operations import Impact, IncidentState
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.sightings import USER_AGENT_LENGTH

NAMING = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment: written in UTC, read back aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # SQLite keeps no offset, so a non-UTC value would be read back as a different moment.
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY (its 64-bit rowid).
_Serial = BigInteger().with_variant(Integer(), "sqlite")

_KEY = 64
_NAME = 255
_LANGUAGE = 8


def _status_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} BETWEEN 1 AND 3", name=column)


def _cascade(target: str) -> ForeignKey:
    # ON UPDATE CASCADE lets a catalog pin a new public id on an existing row without losing
    # what hangs off it (translations, history).
    return ForeignKey(target, ondelete="CASCADE", onupdate="CASCADE")


meta = Table(
    "meta",
    metadata,
    # A constant key keeps the table at one row and gives it the primary key that PostgreSQL's
    # logical replication needs to replicate the UPDATE of `revision`.
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("revision", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

environments = Table(
    "environments",
    metadata,
    Column("key", String(_KEY), primary_key=True),
    Column("name", String(_NAME), nullable=False),
    Column("position", Integer, nullable=False),
    Column("strict", Boolean, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

groups = Table(
    "groups",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("environment_key", String(_KEY), _cascade("environments.key"), nullable=False),
    Column("key", String(_KEY), nullable=False),
    Column("name", String(_NAME), nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("environment_key", "key"),
)

items = Table(
    "items",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("environment_key", String(_KEY), _cascade("environments.key"), nullable=False),
    Column("group_id", String(20), _cascade("groups.id"), nullable=False),
    Column("key", String(_KEY), nullable=False),
    Column("name", String(_NAME), nullable=False),
    Column("position", Integer, nullable=False),
    Column("status_code", SmallInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("last_updated", UtcDateTime, nullable=False),
    UniqueConstraint("environment_key", "key"),
    _status_check("status_code"),
    # PostgreSQL does not index a foreign key by itself; deleting a group scans by it.
    Index("ix_items_group_id", "group_id"),
)

item_translations = Table(
    "item_translations",
    metadata,
    Column("item_id", String(32), _cascade("items.id"), nullable=False),
    Column("language", String(_LANGUAGE), nullable=False),
    Column("name", String(_NAME), nullable=True),
    Column("description", Text, nullable=True),
    PrimaryKeyConstraint("item_id", "language"),
)

item_status_events = Table(
    "item_status_events",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("item_id", String(32), _cascade("items.id"), nullable=False),
    Column("environment_key", String(_KEY), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("from_code", SmallInteger, nullable=True),
    Column("to_code", SmallInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("actor", String(_NAME), nullable=True),
    _status_check("from_code"),
    _status_check("to_code"),
    # History is read per item over a time range (uptime, the 90-day bars).
    Index("ix_item_status_events_item_id_at", "item_id", "at"),
)

client_register = Table(
    "client_register",
    metadata,
    Column("environment_key", String(_KEY), _cascade("environments.key"), nullable=False),
    Column("user_agent", String(USER_AGENT_LENGTH), nullable=False),
    Column("conforming", Boolean, nullable=False),
    Column("request_count", BigInteger, nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("environment_key", "user_agent"),
    # Pages are read most recently seen first, and retention deletes by last seen.
    Index("ix_client_register_environment_key_last_seen", "environment_key", "last_seen"),
)


def _one_of(column: str, values: Iterable[str]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


_ROLES = tuple(role.value for role in Role)
_IMPACTS = tuple(impact.value for impact in Impact)
_INCIDENT_STATES = tuple(state.value for state in IncidentState)
_SOURCES = tuple(source.value for source in Source)
_LABEL = 32

users = Table(
    "users",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("name", String(_NAME), nullable=False),
    Column("role", String(_LABEL), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
    # Every session cookie carries the epoch it was signed in at; sign-out, a new password, a
    # role change and disabling add one, which ends every session of the user on every replica.
    Column("session_epoch", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("name"),
    _one_of("role", _ROLES),
)

login_failures = Table(
    "login_failures",
    metadata,
    # The SHA-256 of `addr:<client address>` or `user:<name tried>`: no name typed at the
    # sign-in form is kept in clear here. Rows not touched for a while are pruned (store/throttle.py).
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", UtcDateTime, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=False),
    Index("ix_login_failures_last_failed_at", "last_failed_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("name", String(_NAME), nullable=False),
    Column("role", String(_LABEL), nullable=False),
    Column("token_hash", String(_NAME), nullable=False),
    # A JSON array of environment keys; NULL: every environment.
    Column("environments", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(_NAME), nullable=True),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),
    UniqueConstraint("token_hash"),
    _one_of("role", _ROLES),
    # A revoked token's name may be given again; two live tokens never share one.
    Index(
        "uq_api_tokens_live_name",
        "name",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
        postgresql_where=text("revoked_at IS NULL"),
    ),
)

item_overrides = Table(
    "item_overrides",
    metadata,
    Column("item_id", String(32), _cascade("items.id"), primary_key=True),
    Column("status_code", SmallInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("set_by", String(_NAME), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    _status_check("status_code"),
)

item_states = Table(
    "item_states",
    metadata,
    Column("item_id", String(32), _cascade("items.id"), primary_key=True),
    Column("status_code", SmallInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("last_updated", UtcDateTime, nullable=False),
    Column("source", String(_LABEL), nullable=False),
    Column("reason", Text, nullable=False),
    _status_check("status_code"),
    _one_of("source", _SOURCES),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("environment_key", String(_KEY), _cascade("environments.key"), nullable=False),
    Column("title", String(_NAME), nullable=False),
    Column("impact", String(_LABEL), nullable=False),
    Column("state", String(_LABEL), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(_NAME), nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    _one_of("impact", _IMPACTS),
    _one_of("state", _INCIDENT_STATES),
    # Listed per environment, newest first.
    Index("ix_incidents_environment_key_id", "environment_key", "id"),
)

incident_items = Table(
    "incident_items",
    metadata,
    Column("incident_id", _Serial, nullable=False),
    Column("item_id", String(32), nullable=False),
    ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE", onupdate="CASCADE"),
    PrimaryKeyConstraint("incident_id", "item_id"),
    Index("ix_incident_items_item_id", "item_id"),
)

incident_updates = Table(
    "incident_updates",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        _Serial,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("state", String(_LABEL), nullable=False),
    Column("message", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("author", String(_NAME), nullable=False),
    _one_of("state", _INCIDENT_STATES),
    Index("ix_incident_updates_incident_id", "incident_id"),
)

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("environment_key", String(_KEY), _cascade("environments.key"), nullable=False),
    Column("title", String(_NAME), nullable=False),
    Column("description", Text, nullable=True),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("impact", String(_LABEL), nullable=False),
    Column("created_by", String(_NAME), nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    _one_of("impact", _IMPACTS),
    Index("ix_maintenance_windows_environment_key_id", "environment_key", "id"),
)

maintenance_items = Table(
    "maintenance_items",
    metadata,
    Column("window_id", _Serial, nullable=False),
    Column("item_id", String(32), nullable=False),
    ForeignKeyConstraint(["window_id"], ["maintenance_windows.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE", onupdate="CASCADE"),
    PrimaryKeyConstraint("window_id", "item_id"),
    Index("ix_maintenance_items_item_id", "item_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # A creating request's key (domain.idempotency), kept with what it created in the creating
    # transaction; `resource_id` is the incident or maintenance window the request answered.
    Column("principal", String(_NAME), primary_key=True),
    Column("environment_key", String(_KEY), _cascade("environments.key"), primary_key=True),
    Column("key", String(_NAME), primary_key=True),
    Column("fingerprint", String(_KEY), nullable=False),
    Column("resource_id", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Forgotten keys are deleted by age.
    Index("ix_idempotency_keys_created_at", "created_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Append-only: a trigger (migration 0002) refuses UPDATE and DELETE. No foreign keys, so
    # that nothing can cascade into it and an entry outlives what it names.
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(_NAME), nullable=False),
    Column("action", String(_KEY), nullable=False),
    Column("target", String(_NAME), nullable=False),
    Column("environment_key", String(_KEY), nullable=True),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor", "actor"),
    Index("ix_audit_log_target", "target"),
)


_CHECK_KINDS = ("http", "tcp", "tls", "push")
_TOKEN = 128

checks = Table(
    "checks",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("item_id", String(32), _cascade("items.id"), nullable=False),
    Column("key", String(_KEY), nullable=False),
    Column("kind", String(_LABEL), nullable=False),
    # JSON objects written by `store.check_codec`.
    Column("definition", Text, nullable=False),
    Column("schedule", Text, nullable=False),
    Column("failing", Boolean, nullable=False),
    Column("consecutive_failures", Integer, nullable=False),
    Column("consecutive_successes", Integer, nullable=False),
    Column("last_result_at", UtcDateTime, nullable=True),
    Column("last_reason", Text, nullable=True),
    Column("settled", Boolean, server_default=false(), nullable=False),
    Column("next_due", UtcDateTime, nullable=False),
    Column("leased_by", String(_NAME), nullable=True),
    Column("lease_expires_at", UtcDateTime, nullable=True),
    Column("last_push_at", UtcDateTime, nullable=True),
    # The push check's token, copied out of `definition` so that a push finds its check by an
    # index and two checks can never answer to one token.
    Column("push_token", String(_TOKEN), nullable=True),
    UniqueConstraint("item_id", "key"),
    UniqueConstraint("push_token"),
    _one_of("kind", _CHECK_KINDS),
    # Workers claim the soonest due first.
    Index("ix_checks_next_due", "next_due"),
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", _Serial, primary_key=True, autoincrement=True),
    Column("check_id", _Serial, ForeignKey("checks.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("detail", Text, nullable=True),
    # Read per check, newest first; pruned by age across every check.
    Index("ix_check_results_check_id_at", "check_id", "at"),
    Index("ix_check_results_at", "at"),
)

monitor_heartbeats = Table(
    "monitor_heartbeats",
    metadata,
    Column("worker", String(_NAME), primary_key=True),
    Column("beat_at", UtcDateTime, nullable=False),
)


# History aggregates (store.uptime): one row per item or check per hour or UTC day that has
# data, keyed by the period's first moment. Rows leave with their item or check (cascade), and
# by age (`prune`); each period table is indexed by start, which is how both are pruned.


def _item_seconds(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("item_id", String(32), _cascade("items.id"), nullable=False),
        Column("starts_at", UtcDateTime, nullable=False),
        Column("operational_s", Float, nullable=False),
        Column("disrupted_s", Float, nullable=False),
        Column("unknown_s", Float, nullable=False),
        PrimaryKeyConstraint("item_id", "starts_at"),
        Index(f"ix_{name}_starts_at", "starts_at"),
    )


def _check_runs(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("check_id", _Serial, ForeignKey("checks.id", ondelete="CASCADE"), nullable=False),
        Column("starts_at", UtcDateTime, nullable=False),
        Column("runs", Integer, nullable=False),
        Column("failures", Integer, nullable=False),
        Column("total_duration_ms", Float, nullable=False),
        Column("max_duration_ms", Float, nullable=False),
        PrimaryKeyConstraint("check_id", "starts_at"),
        Index(f"ix_{name}_starts_at", "starts_at"),
    )


item_status_hours = _item_seconds("item_status_hours")
item_status_days = _item_seconds("item_status_days")
check_run_hours = _check_runs("check_run_hours")
check_run_days = _check_runs("check_run_days")

uptime_rollup = Table(
    "uptime_rollup",
    metadata,
    # One row: the hour the last roll-up left open, and the newest history event and check
    # result it saw, so that the next one also recomputes what arrived late or back-dated.
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("open_hour", UtcDateTime, nullable=False),
    Column("last_event_id", BigInteger, nullable=False),
    Column("last_result_id", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
