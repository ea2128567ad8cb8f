"""Behind a TLS proxy: the links the server builds and its HSTS follow the proxy's
`X-Forwarded-Proto`, from a trusted peer only (a real server, its feeds and pages)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.databases import sqlite_database_url
from support.server import RunningServer, running_server

BEHIND_TLS = {"X-Forwarded-Proto": "https", "Accept": "text/html"}


@pytest.fixture(scope="module")
def trusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    directory = tmp_path_factory.mktemp("forwarded")
    with running_server(sqlite_database_url(directory), directory, "--demo", "--no-monitor") as s:
        yield s


@pytest.fixture(scope="module")
def distrusting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    directory = tmp_path_factory.mktemp("not-forwarded")
    env = {"STATUS_DASHBOARD_FORWARDED_ALLOW_IPS": ""}
    url = sqlite_database_url(directory)
    with running_server(url, directory, "--demo", "--no-monitor", env=env) as server:
        yield server


def test_feed_links_say_https_behind_a_trusted_proxy(trusting: RunningServer) -> None:
    with trusting.client() as client:
        feed = client.get("/feeds/prod.atom", headers=BEHIND_TLS)
    assert feed.status_code == 200
    assert f"https://127.0.0.1:{trusting.port}/" in feed.text
    assert f"http://127.0.0.1:{trusting.port}/" not in feed.text


def test_pages_carry_hsts_behind_a_trusted_proxy(trusting: RunningServer) -> None:
    with trusting.client() as client:
        behind = client.get("/", headers=BEHIND_TLS)
        direct = client.get("/", headers={"Accept": "text/html"})
    assert "max-age=" in behind.headers["strict-transport-security"]
    assert "strict-transport-security" not in direct.headers


def test_a_proxy_not_trusted_changes_nothing(distrusting: RunningServer) -> None:
    with distrusting.client() as client:
        feed = client.get("/feeds/prod.atom", headers=BEHIND_TLS)
        page = client.get("/", headers=BEHIND_TLS)
    assert f"http://127.0.0.1:{distrusting.port}/" in feed.text
    assert "strict-transport-security" not in page.headers
