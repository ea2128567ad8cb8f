"""The server the "held" suite attacks (test_held_*.py): the real `status-dashboard serve`
process on 127.0.0.1, on SQLite and on PostgreSQL, with the demo catalog, one user per role
(integration/web/ui_server.py) and one admin API token per role.

Each suite replays attacks the service already withstands, so that they keep failing.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from integration.web.conftest import sign_in
from integration.web.ui_server import UiServer, ui_server

from support.admin import ROLES, cli_output
from support.databases import postgres_database

PROD_ITEM = "2c7ab1fb8df82828f961293921177004"
"""An item of the demo's PROD environment ("WebService eHealth - IAM Connect - eXchange")."""
ADMIN_API = "/api/admin/v1"


@dataclass
class HeldServer:
    ui: UiServer
    tokens: dict[str, str]
    kind: str

    @property
    def url(self) -> str:
        return self.ui.url

    def api(self, role: str = "admin") -> httpx.Client:
        """An admin API client with the token of `role`."""
        client = self.ui.client()
        client.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        client.headers["Accept"] = "application/json"
        return client

    def browser(self) -> httpx.Client:
        """A client like a browser's, signed in as nobody: keeps cookies, follows no redirect."""
        return self.ui.client()

    def audit(self) -> list[dict[str, Any]]:
        """Every audit entry of a change to the data, newest first, as the admin API gives
        them: signing in and out (`session.*`) is left out, since the tests sign in around
        what they watch, and the forms that sign in or out are judged by who is signed in."""
        entries: list[dict[str, Any]] = []
        cursor = None
        with self.api() as api:
            while True:
                params: dict[str, Any] = {"limit": 500}
                if cursor is not None:
                    params["cursor"] = cursor
                page = api.get(f"{ADMIN_API}/audit", params=params)
                assert page.status_code == 200, page.text
                document = page.json()
                entries.extend(
                    entry
                    for entry in document["items"]
                    if not entry["action"].startswith("session.")
                )
                cursor = document["next_cursor"]
                if cursor is None:
                    return entries


@contextmanager
def signed_in(server: HeldServer, name: str) -> Iterator[httpx.Client]:
    """A browser-like client signed in as `name` (alice operator, victor viewer, ada admin)."""
    with sign_in(server.ui, name) as client:
        yield client


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def held(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HeldServer]:
    directory = tmp_path_factory.mktemp(f"held-{request.param}")
    if request.param == "sqlite":
        with ui_server(directory) as running:
            yield _with_tokens(running, request.param)
    else:
        with postgres_database() as url, ui_server(directory, url) as running:
            yield _with_tokens(running, request.param)


def _with_tokens(running: UiServer, kind: str) -> HeldServer:
    tokens = {
        role: cli_output(
            running.database_url, "token", "create", "--name", f"held-{role}", "--role", role
        )
        for role in ROLES
    }
    return HeldServer(running, tokens, kind)


@dataclass
class RawAnswer:
    """An answer read off the socket as the server sent it: nothing parsed away."""

    status: int
    head: bytes
    headers: list[tuple[str, bytes]]
    body: bytes

    def values(self, name: str) -> list[bytes]:
        return [value for key, value in self.headers if key == name.lower()]


def raw_exchange(server: HeldServer, request: bytes, *, timeout: float = 10.0) -> RawAnswer | None:
    """`request` written as it is to the server's socket, which no HTTP client would send
    (a bare CR in a header, a 100 KB line); the answer as sent, or None if the server closed
    the connection without one."""
    port = int(server.url.rsplit(":", 1)[1])
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        with contextlib.suppress(ConnectionResetError, TimeoutError):
            while chunk := connection.recv(65536):
                received.extend(chunk)
    if not received:
        return None
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    headers = []
    for line in lines:
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1").strip().lower(), value.strip()))
    return RawAnswer(int(status_line.split()[1]), head, headers, body)


def raw_get(server: HeldServer, path: bytes, *headers: bytes) -> bytes:
    """The bytes of a GET of `path` with `headers` (each a whole `Name: value` line)."""
    host = server.url.removeprefix("http://").encode()
    lines = [b"GET " + path + b" HTTP/1.1", b"Host: " + host, b"Connection: close", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"
