"""Helpers of the security tests of sessions and users: sign in through the form, forge a cookie
as someone who knows the session secret would, read the audit log, and run the command line."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import itsdangerous

from integration.web.conftest import csrf_of
from integration.web.ui_server import SESSION_SECRET, UiServer
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.store.audit import SqlAuditLog
from status_dashboard.store.engine import create_engine_for


def sign_in_form(client: httpx.Client, name: str, password: str, **headers: str) -> httpx.Response:
    """One attempt through the sign-in form, as a browser sends it."""
    token = csrf_of(client.get("/admin/login", headers=headers).text)
    return client.post(
        "/admin/login",
        data={"csrf_token": token, "name": name, "password": password, "next": "/admin"},
        headers=headers,
    )


@contextmanager
def signed_in(server: UiServer, name: str, password: str) -> Iterator[httpx.Client]:
    with server.client() as client:
        answer = sign_in_form(client, name, password)
        assert answer.status_code == 303, answer.text
        yield client


def forged_cookie(session: dict[str, Any], secret: str = SESSION_SECRET) -> str:
    """The `sd_session` value Starlette's SessionMiddleware would set for `session`."""
    data = base64.b64encode(json.dumps(session).encode("utf-8"))
    return itsdangerous.TimestampSigner(secret).sign(data).decode("utf-8")


def session_cookie(client: httpx.Client) -> str:
    value = client.cookies.get("sd_session")
    assert value, "the client has no session cookie"
    return value


def with_cookie(server: UiServer, cookie: str) -> httpx.Client:
    """A new client (another browser, or a thief) holding a copy of `cookie`."""
    client = server.client()
    client.cookies.set("sd_session", cookie, domain="127.0.0.1", path="/admin")
    return client


def audit_entries(database_url: str, **query: str) -> list[AuditEntry]:
    engine = create_engine_for(database_url)
    try:
        found = SqlAuditLog(engine).entries(AuditQuery(**query), cursor=None, limit=500)
    finally:
        engine.dispose()
    return list(found.entries)


def cli(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "status_dashboard", *args, "--database", database_url],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def create_user(database_url: str, name: str, role: str, password: str) -> None:
    done = cli(
        database_url,
        "user",
        "create",
        name,
        "--role",
        role,
        "--password-stdin",
        stdin=password + "\n",
    )
    assert done.returncode == 0, done.stderr
