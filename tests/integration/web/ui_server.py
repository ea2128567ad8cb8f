"""A real `status-dashboard serve` process with the operators' UI, on a migrated database (a
SQLite file, or a PostgreSQL database given) with the demo catalog and one user per role, for the
UI's integration and browser tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.databases import sqlite_database_url
from support.server import CONFORMING_AGENT, running_server

REPO = Path(__file__).resolve().parents[3]
DEMO_CATALOG = REPO / "catalogs" / "demo.yaml"
SESSION_SECRET = "4-O8HXXv5pnOVdaF8_j68XzYIDmTUQZp641VtDfbfstrr0_49236hTgmLxcuKdJo"
PASSWORDS = {
    "alice": "alice-operator-pw-1",
    "victor": "victor-viewer-pw-1",
    "ada": "ada-admin-password-1",
}
ROLES = {"alice": "operator", "victor": "viewer", "ada": "admin"}


@dataclass
class UiServer:
    url: str
    database_url: str
    log_path: Path

    def client(self, **kwargs: object) -> httpx.Client:
        """A client like a browser's: it keeps cookies, and follows no redirect by itself."""
        headers = {"User-Agent": CONFORMING_AGENT}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0, **kwargs)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def prepared_database(directory: Path, database_url: str | None = None) -> str:
    """A migrated database with the demo catalog and alice (operator), victor (viewer) and
    ada (admin), made with the admin commands an operator would use."""
    url = database_url or sqlite_database_url(directory)
    cli = [sys.executable, "-m", "status_dashboard"]
    _run([*cli, "db", "upgrade", "--database", url])
    _run([*cli, "catalog", "load", str(DEMO_CATALOG), "--database", url])
    for name, role in ROLES.items():
        _run(
            [*cli, "user", "create", name, "--role", role, "--password-stdin", "--database", url],
            stdin=PASSWORDS[name] + "\n",
        )
    return url


@contextmanager
def ui_server(directory: Path, database_url: str | None = None) -> Iterator[UiServer]:
    database_url = prepared_database(directory, database_url)
    environment = {"STATUS_DASHBOARD_SESSION_SECRET": SESSION_SECRET}
    with running_server(database_url, directory, env=environment) as served:
        yield UiServer(served.url, database_url, served.log_path)


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command[2:4])} failed:\n{done.stdout}{done.stderr}")
