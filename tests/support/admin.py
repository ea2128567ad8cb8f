"""A real server with bearer tokens of every role, for the admin API's tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.databases import postgres_database, sqlite_database_url
from support.server import RunningServer, running_server

ROLES = ("viewer", "operator", "admin")
_DEFAULT = "default"


def cli_output(database_url: str, *args: str) -> str:
    """What a `status-dashboard` command prints, which must succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "status_dashboard", *args, "--database", database_url],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def database_for(kind: str, directory: Path) -> AbstractContextManager[str]:
    """A fresh database of `kind` ("sqlite" or "postgres"), as a context giving its URL."""
    if kind == "postgres":
        return postgres_database()
    return nullcontext(sqlite_database_url(directory))


@dataclass
class Admin:
    server: RunningServer
    tokens: dict[str, str]
    default_role: str

    def client(self, role: str | None = _DEFAULT) -> httpx.Client:
        """A client with the token of `role` (the default one unless named; None: no token)."""
        client = self.server.client()
        role = self.default_role if role == _DEFAULT else role
        if role is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return client


@contextmanager
def admin_server(
    kind: str,
    directory: Path,
    *,
    default_role: str,
    scoped: Mapping[str, tuple[str, str]] = {},
    serve_args: Sequence[str] = ("--demo",),
) -> Iterator[Admin]:
    """`serve --demo` (or `serve_args`) on a fresh database, with a token `t-<role>` per role
    and, for each `name: (role, environment)` of `scoped`, a token limited to that
    environment."""
    with database_for(kind, directory) as url:
        cli_output(url, "db", "upgrade")
        tokens = {
            role: cli_output(url, "token", "create", "--name", f"t-{role}", "--role", role)
            for role in ROLES
        }
        for name, (role, environment) in scoped.items():
            tokens[name] = cli_output(
                url, "token", "create", "--name", name, "--role", role, "--environment", environment
            )
        with running_server(url, directory, *serve_args) as server:
            yield Admin(server, tokens, default_role)
