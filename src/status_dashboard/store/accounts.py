"""Users and API tokens on SQL: each write one transaction with its audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy
from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Row

from status_dashboard.domain.accounts import ApiToken, Role, User
from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.timestamps import as_utc
from status_dashboard.store.audit import record_audit
from status_dashboard.store.errors import translated
from status_dashboard.store.records import (
    decode_environments,
    encode_environments,
    token_name_taken,
    unknown_token,
    user_name_taken,
)
from status_dashboard.store.tables import api_tokens, users
from status_dashboard.store.transactions import writing


class SqlAccountStore:
    """`AccountStore` on a migrated database."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self._engine = engine

    def create_user(self, name: str, role: Role, password_hash: str, audit: AuditEntry) -> User:
        created_at = as_utc(audit.at)
        values = {
            "name": name,
            "role": role.value,
            "password_hash": password_hash,
            "created_at": created_at,
            "disabled": False,
        }
        try:
            with writing(self._engine) as connection:
                if _one(connection, users.c.name == name, users) is not None:
                    raise user_name_taken(name)
                user_id = _insert(connection, users, values)
                record_audit(connection, audit)
        except sa_exc.IntegrityError:
            raise user_name_taken(name) from None
        return User(user_id, name, role, password_hash, created_at)

    def user_by_name(self, name: str) -> User | None:
        with translated(self._engine.url), self._engine.connect() as connection:
            row = _one(connection, users.c.name == name, users)
        return None if row is None else user_of(row)

    def users(self) -> Sequence[User]:
        with translated(self._engine.url), self._engine.connect() as connection:
            return tuple(
                user_of(row) for row in connection.execute(select(users).order_by(users.c.id))
            )

    def create_token(
        self,
        name: str,
        role: Role,
        token_hash: str,
        environments: frozenset[str] | None,
        expires_at: datetime | None,
        audit: AuditEntry,
    ) -> ApiToken:
        token = ApiToken(
            id=0,
            name=name,
            role=role,
            token_hash=token_hash,
            created_at=as_utc(audit.at),
            environments=None if environments is None else frozenset(environments),
            expires_at=None if expires_at is None else as_utc(expires_at),
            created_by=audit.actor,
        )
        values = {
            "name": name,
            "role": role.value,
            "token_hash": token_hash,
            "environments": encode_environments(token.environments),
            "created_at": token.created_at,
            "created_by": token.created_by,
            "expires_at": token.expires_at,
        }
        live = (api_tokens.c.name == name) & api_tokens.c.revoked_at.is_(None)
        try:
            with writing(self._engine) as connection:
                if _one(connection, live, api_tokens) is not None:
                    raise token_name_taken(name)
                token_id = _insert(connection, api_tokens, values)
                record_audit(connection, audit)
        except sa_exc.IntegrityError:
            # Only the token hash is left to collide: a secret drawn twice, never in practice.
            raise token_name_taken(name) from None
        return replace(token, id=token_id)

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        with translated(self._engine.url), self._engine.connect() as connection:
            row = _one(connection, api_tokens.c.token_hash == token_hash, api_tokens)
        return None if row is None else _token(row)

    def touch_token(self, token_id: int, at: datetime) -> None:
        # One row, no audit entry and no store-wide write lock: it runs on every token request.
        statement = (
            update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=as_utc(at))
        )
        with translated(self._engine.url), self._engine.begin() as connection:
            connection.execute(statement)

    def revoke_token(self, token_id: int, at: datetime, audit: AuditEntry) -> ApiToken:
        with writing(self._engine) as connection:
            row = _one(connection, api_tokens.c.id == token_id, api_tokens)
            if row is None:
                raise unknown_token(token_id)
            token = _token(row)
            if token.revoked_at is not None:
                return token  # already revoked: nothing changes, nothing to audit
            revoked_at = as_utc(at)
            connection.execute(
                update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=revoked_at)
            )
            record_audit(connection, audit)
        return replace(token, revoked_at=revoked_at)

    def tokens(self) -> Sequence[ApiToken]:
        query = select(api_tokens).order_by(api_tokens.c.id)
        with translated(self._engine.url), self._engine.connect() as connection:
            return tuple(_token(row) for row in connection.execute(query))


def _one(
    connection: Connection, condition: ColumnElement[bool], table: sqlalchemy.Table
) -> Row[Any] | None:
    return connection.execute(select(table).where(condition)).first()


def _insert(connection: Connection, table: sqlalchemy.Table, values: dict[str, Any]) -> int:
    return int(connection.execute(insert(table).values(values).returning(table.c.id)).scalar_one())


def user_of(row: Row[Any]) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        password_hash=row.password_hash,
        created_at=row.created_at,
        disabled=row.disabled,
        session_epoch=row.session_epoch,
    )


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        token_hash=row.token_hash,
        created_at=row.created_at,
        environments=decode_environments(row.environments),
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
        created_by=row.created_by,
    )
