"""Fixtures of the UI's HTTP tests: a real server with the UI (ui_server.py), and clients that
sign in through the form the way a browser does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from integration.web.ui_server import PASSWORDS, UiServer, ui_server
from status_dashboard.domain.audit import AuditQuery
from status_dashboard.store.audit import SqlAuditLog
from status_dashboard.store.engine import create_engine_for

from support.databases import postgres_database

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEM_ID = "2c7ab1fb8df82828f961293921177004"  # PROD "WebService eHealth - IAM Connect - eXchange"
ItemForm = Callable[[httpx.Client], dict[str, str]]


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def version_of(html: str, item_id: str) -> str:
    found = re.search(
        rf'/items/{item_id}/override".*?name="version" value="([^"]+)"', html, re.DOTALL
    )
    assert found, f"the page has no form for item {item_id}"
    return found.group(1).replace("&#34;", '"')


@contextmanager
def sign_in(server: UiServer, name: str) -> Iterator[httpx.Client]:
    """A client signed in as `name` through the form, closed afterwards."""
    with server.client() as client:
        token = csrf_of(client.get("/admin/login").text)
        answer = client.post(
            "/admin/login",
            data={"csrf_token": token, "name": name, "password": PASSWORDS[name], "next": "/admin"},
        )
        assert answer.status_code == 303, answer.text
        yield client


def audit_count(server: UiServer) -> int:
    engine = create_engine_for(server.database_url)
    try:
        page = SqlAuditLog(engine).entries(AuditQuery(), cursor=None, limit=500)
    finally:
        engine.dispose()
    return len(page.entries)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UiServer]:
    directory = tmp_path_factory.mktemp(f"ui-{request.param}")
    if request.param == "sqlite":
        with ui_server(directory) as running:
            yield running
    else:
        with postgres_database() as url, ui_server(directory, url) as running:
            yield running


@pytest.fixture
def operator(server: UiServer) -> Iterator[httpx.Client]:
    with sign_in(server, "alice") as client:
        yield client


@pytest.fixture
def viewer(server: UiServer) -> Iterator[httpx.Client]:
    with sign_in(server, "victor") as client:
        yield client


@pytest.fixture
def admin(server: UiServer) -> Iterator[httpx.Client]:
    with sign_in(server, "ada") as client:
        yield client


@pytest.fixture
def item_form() -> ItemForm:
    """A filled-in "Set" form of the board's row for ITEM_ID, as the board gives it now."""

    def fill(client: httpx.Client) -> dict[str, str]:
        board = client.get("/admin/env/prod").text
        return {
            "csrf_token": csrf_of(board),
            "version": version_of(board, ITEM_ID),
            "status_code": "2",
            "description": "Planned test of the board",
            "expires_at": "",
            "back": "board",
        }

    return fill
