"""What the store says reaches every client within a second, and the server stops cleanly."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.databases import sqlite_database_url
from support.server import RunningServer, running_server

CATALOG = """
environments:
  prod:
    groups:
      iam:
        name: "1. IAM - Identity & Access Management"
        items:
          sts:
            name: "WebService eHealth - STS - Secure Token Service"
            status: {status}
{description}
"""


def _write_catalog(path: Path, status: str, description: str | None = None) -> Path:
    line = f'            description: "{description}"' if description else ""
    path.write_text(CATALOG.format(status=status, description=line))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "status_dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def catalog_server(tmp_path: Path) -> Iterator[RunningServer]:
    url = sqlite_database_url(tmp_path)
    assert _cli("db", "upgrade", "--database", url).returncode == 0
    catalog = _write_catalog(tmp_path / "catalog.yaml", "operational")
    with running_server(url, tmp_path, "--catalog", str(catalog)) as server:
        yield server


def test_a_catalog_loaded_elsewhere_reaches_the_api_within_a_second(
    catalog_server: RunningServer, tmp_path: Path
) -> None:
    with catalog_server.client() as client:
        before = client.get("/api/v1/dashboard")
        item = before.json()["groups"][0]["items"][0]
        assert item["status_code"] == 1
        time.sleep(1.1)  # last_updated has second precision: make the change visible in it
        catalog = _write_catalog(tmp_path / "down.yaml", "disrupted", "Tokens are refused")
        loaded = _cli("catalog", "load", str(catalog), "--database", catalog_server.database_url)
        assert loaded.returncode == 0, loaded.stderr
        changed_at = time.monotonic()
        while True:
            after = client.get("/api/v1/dashboard")
            if after.headers["etag"] != before.headers["etag"]:
                break
            assert time.monotonic() - changed_at < 1.0, "the change took longer than a second"
            time.sleep(0.02)
        stale = client.get("/api/v1/dashboard", headers={"If-None-Match": before.headers["etag"]})
    changed = after.json()["groups"][0]["items"][0]
    assert (changed["status_code"], changed["description"]) == (2, "Tokens are refused")
    assert changed["last_updated"] > item["last_updated"]
    assert after.json()["groups"][0]["status_code"] == 2
    assert stale.status_code == 200


def test_loading_the_same_catalog_again_changes_nothing_seen(
    catalog_server: RunningServer, tmp_path: Path
) -> None:
    with catalog_server.client() as client:
        before = client.get("/api/v1/dashboard")
        again = _cli(
            "catalog",
            "load",
            str(tmp_path / "catalog.yaml"),
            "--database",
            catalog_server.database_url,
        )
        assert again.returncode == 0
        assert "no changes" in again.stdout
        time.sleep(0.5)
        after = client.get("/api/v1/dashboard", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 304


def test_the_client_register_records_who_called(catalog_server: RunningServer) -> None:
    from status_dashboard.store.engine import create_engine_for
    from status_dashboard.store.sql import SqlClientRegister

    with catalog_server.client() as client:
        for _ in range(3):
            client.get("/api/v1/dashboard")
        client.get("/api/v1/dashboard/acc", headers={"User-Agent": "curl/8.5.0"})
    time.sleep(0.6)
    register = SqlClientRegister(create_engine_for(catalog_server.database_url))
    prod = {c.user_agent: c for c in register.clients("prod").entries}
    acc = {c.user_agent: c for c in register.clients("acc").entries}
    assert prod["statusDashboardTests/1.0 httpx/0.28.1"].request_count >= 3
    assert prod["statusDashboardTests/1.0 httpx/0.28.1"].conforming
    assert not acc["curl/8.5.0"].conforming


def test_the_server_starts_quickly_and_stops_cleanly_on_sigterm(
    catalog_server: RunningServer,
) -> None:
    assert catalog_server.started_in < 5.0
    assert catalog_server.stop() == 0
    assert "event=stopped" in catalog_server.log()
