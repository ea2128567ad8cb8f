"""Change notices on PostgreSQL: sent by the transaction that changes a dashboard, and read back.

Every write that changes what a dashboard shows bumps the store's revision
(`transactions.bump_revision`), and on PostgreSQL that same statement sequence sends

    NOTIFY status_dashboard_changes, '{"revision": 42, "environment": "prod"}'

PostgreSQL queues a notification with its transaction and delivers it to every listening session
only when, and only if, the transaction commits; a rolled-back write announces nothing. Several
notices of one transaction with the same text arrive once. `environment` is null when the write
is not about one environment (a catalog load, the reconciler deciding many items).

SQLite has no such thing and needs none: it is one machine, where the publisher's poll suffices.
The listening side is `store.listener`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

CHANNEL = "status_dashboard_changes"
"""The one channel of the service; a database serves one deployment."""

_ENVIRONMENT_KEY_LIMIT = 200
"""A notice must stay far below PostgreSQL's 8,000-byte payload limit, whatever the key."""


@dataclass(frozen=True, slots=True)
class ChangeNotice:
    """What one notification says: the revision the write committed, and its environment."""

    revision: int | None
    environment: str | None = None


def announce_change(connection: Connection, revision: int, environment: str | None = None) -> None:
    """Queue a notice of `revision` on the writing transaction (PostgreSQL; SQLite: nothing)."""
    if connection.dialect.name != "postgresql":
        return
    payload = encode_notice(ChangeNotice(revision, environment))
    connection.execute(select(func.pg_notify(CHANNEL, payload)))


def encode_notice(notice: ChangeNotice) -> str:
    environment = notice.environment
    if environment is not None:
        environment = environment[:_ENVIRONMENT_KEY_LIMIT]
    return json.dumps(
        {"revision": notice.revision, "environment": environment}, separators=(",", ":")
    )


def decode_notice(payload: str) -> ChangeNotice:
    """The notice in `payload`. Any notification on the channel means that something changed,
    so a payload that cannot be read (another version, a hand-sent NOTIFY) is still a notice,
    of an unknown revision."""
    try:
        document = json.loads(payload)
    except ValueError:
        return ChangeNotice(None)
    if not isinstance(document, dict):
        return ChangeNotice(None)
    revision = document.get("revision")
    environment = document.get("environment")
    return ChangeNotice(
        revision if type(revision) is int else None,
        environment if isinstance(environment, str) else None,
    )
