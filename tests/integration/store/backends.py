"""The backends every store contract test runs against."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy

from status_dashboard.domain.ports import AccountStore, AuditLog, MonitorStore, OperationsStore
from status_dashboard.store.memory import MemoryClientRegister, MemoryDashboardStore
from status_dashboard.store.sql import SqlClientRegister, SqlDashboardStore

SQL_ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BACKENDS = ["memory", *SQL_ENGINES]

EngineFor = Callable[[str], sqlalchemy.Engine]
"""The `engine_for` fixture: an engine for a URL, disposed after the test."""


@dataclass(frozen=True)
class Backend:
    """The stores of one database; `engine` is None for the memory backend.

    The new ports are typed as the protocols, so that type checking the fixture checks that
    both kinds of adapter implement them.
    """

    name: str
    store: MemoryDashboardStore | SqlDashboardStore
    register: MemoryClientRegister | SqlClientRegister
    accounts: AccountStore
    operations: OperationsStore
    audit: AuditLog
    monitor: MonitorStore
    engine: sqlalchemy.Engine | None = None
