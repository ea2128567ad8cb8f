"""The schema, as SQLAlchemy Core tables: the single source the migrations are checked against.

Every constraint is named by `NAMING`, so a migration written today creates the same names on
SQLite and PostgreSQL, and a later migration can drop or alter them by name.

Moments are `UtcDateTime`: stored in UTC and always read back as aware UTC datetimes, whether the
driver keeps the offset (psycopg) or drops it (sqlite3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

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
)
