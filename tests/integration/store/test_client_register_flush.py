"""The client register is written once per flush, not once per request: 1,000 requests over
real HTTP to the real application, on SQLite and PostgreSQL, and every statement the database
gets counted with SQLAlchemy's own event hooks."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy
from pydantic import SecretStr
from sqlalchemy import event

from integration.store.catalogs import BASE
from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings
from status_dashboard.domain.ports import OVERFLOW_IDENTITY
from status_dashboard.service.publisher import utc_now

from support.in_process import serving_in_thread

REQUESTS = 1000
AGENTS = (
    "partnerOne/1.2.3 Technical/3.19.0",
    "partnerTwo/62.310.4 Technical/3.19.0",
    "partnerThree/7.0 connector/1.0",
    "curl/8.5.0",
)
FLUSH_INTERVAL_S = 0.2
LIMIT_S = 30.0


@dataclass
class RegisterWrites:
    """What the engine was asked to do to the client register, transaction by transaction."""

    statements_per_transaction: list[int] = field(default_factory=list)
    rows_per_statement: list[int] = field(default_factory=list)
    _open: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def watch(self, engine: sqlalchemy.Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _statement(
        self,
        connection: sqlalchemy.Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if "client_register" not in statement or not statement.lstrip().upper().startswith(
            "INSERT"
        ):
            return
        rows = len(parameters) if executemany else 1
        with self._lock:
            self._open[id(connection)] = self._open.get(id(connection), 0) + 1
            self.rows_per_statement.append(rows)

    def _commit(self, connection: sqlalchemy.Connection) -> None:
        with self._lock:
            statements = self._open.pop(id(connection), 0)
            if statements:
                self.statements_per_transaction.append(statements)

    def _rollback(self, connection: sqlalchemy.Connection) -> None:
        with self._lock:
            self._open.pop(id(connection), None)


def serving(runtime: ServerRuntime) -> AbstractContextManager[str]:
    """The runtime's application served in this process; stopped (lifespan shutdown, the final
    flush included) when the block ends."""
    return serving_in_thread(
        runtime.app(), ready_path="/api/v1/dashboard", ready_status=200, limit_s=LIMIT_S
    )


def _call(url: str, agents: list[str]) -> list[int]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return [
            client.get("/api/v1/dashboard/prod", headers={"User-Agent": agent}).status_code
            for agent in agents
        ]


@pytest.mark.parametrize(
    "database", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
def test_a_thousand_requests_are_written_in_one_statement_per_flush(
    database: str, request: pytest.FixtureRequest
) -> None:
    url: str = request.getfixturevalue(database)
    settings = Settings(
        database_url=SecretStr(url),
        monitor=False,
        refresh_interval=FLUSH_INTERVAL_S,
        register_flush_interval=FLUSH_INTERVAL_S,
        session_secret=SecretStr(
            "RwSdltyuQN48L0srRT01o9eQwexBN_tK8ElzvahXUlR9hjbRv1kGvZkxi8gqGbh_"
        ),
    )
    stores = open_stores(settings)
    stores.dashboards.apply_catalog(BASE, utc_now())
    assert stores.engine is not None
    writes = RegisterWrites()
    writes.watch(stores.engine)
    runtime = ServerRuntime(settings, stores)

    agents = [AGENTS[n % len(AGENTS)] for n in range(REQUESTS)]
    began = time.monotonic()
    with serving(runtime) as served:
        with ThreadPoolExecutor(4) as pool:
            parts = pool.map(_call, [served] * 4, [agents[n::4] for n in range(4)])
            answers = [status for part in parts for status in part]
        # Let at least one periodic flush happen while the server still runs.
        time.sleep(3 * FLUSH_INTERVAL_S)
    elapsed = time.monotonic() - began

    assert answers == [200] * REQUESTS
    flushes = writes.statements_per_transaction
    assert flushes, "the register was never written"
    assert all(count == 1 for count in flushes), "one statement per flush"
    # One flush per interval at most, and the final one when the server stopped.
    assert len(flushes) <= elapsed / FLUSH_INTERVAL_S + 2
    assert len(flushes) < REQUESTS / 10
    # A flush writes each identity once, however many requests it made (the readiness
    # probe's httpx User-Agent is one more).
    assert all(rows <= len(AGENTS) + 1 for rows in writes.rows_per_statement)

    reopened = open_stores(settings)
    try:
        counted = {record.user_agent: record for record in reopened.clients.clients("prod").entries}
    finally:
        reopened.close()
    assert OVERFLOW_IDENTITY not in counted
    assert sum(counted[agent].request_count for agent in AGENTS) == REQUESTS
    assert {agent: counted[agent].conforming for agent in AGENTS} == {
        AGENTS[0]: True,
        AGENTS[1]: True,
        AGENTS[2]: True,
        AGENTS[3]: False,
    }
