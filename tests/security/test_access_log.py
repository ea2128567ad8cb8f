"""The access log (`--access-log`) of a real server: a request's path cannot forge a line or a
field, in the key=value and in the JSON format, and push tokens are never written."""

from __future__ import annotations

import json
from pathlib import Path

from support.databases import sqlite_database_url
from support.server import RunningServer, running_server

FORGING_PATH = "/api/v1/dashboard%0Aevent=forged%20status=999%0D%1B[2J"
PUSH_SECRET = "pushsecret0123456789abcdef"


def _requests(server: RunningServer) -> None:
    with server.client() as client:
        assert client.get(FORGING_PATH).status_code == 404
        assert client.post(f"/api/v1/push/{PUSH_SECRET}").status_code == 404
        client.get("/api/v1/dashboard", params={"token": PUSH_SECRET, "lang": "fr"})


def test_key_value_lines_escape_control_characters_and_mask_tokens(tmp_path: Path) -> None:
    env = {"STATUS_DASHBOARD_ACCESS_LOG": "true"}
    with running_server(sqlite_database_url(tmp_path), tmp_path, "--demo", env=env) as server:
        _requests(server)
    log = server.log()
    lines = log.splitlines()
    assert all(line.startswith(("ts=", "demo admin")) for line in lines), lines
    assert "\x1b" not in log
    assert "\r" not in log
    forged = [line for line in lines if "forged" in line]
    assert len(forged) == 1
    assert "logger=granian.access event=access " in forged[0]
    assert 'path="/api/v1/dashboard\\\\x0aevent=forged status=999' in forged[0]
    assert " status=404 " in forged[0]
    assert PUSH_SECRET not in log
    assert "path=/api/v1/push/*** " in log
    assert "query=token=***&lang=fr " in log


def test_json_lines_keep_the_path_in_its_field_and_mask_tokens(tmp_path: Path) -> None:
    env = {"STATUS_DASHBOARD_ACCESS_LOG": "true", "STATUS_DASHBOARD_LOG_FORMAT": "json"}
    with running_server(sqlite_database_url(tmp_path), tmp_path, "--demo", env=env) as server:
        _requests(server)
    log = server.log()
    documents = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [d for d in documents if d["event"] == "access" and d["path"] != "/health"]
    assert len(access) == 3, access
    forged = access[0]
    assert forged["path"] == "/api/v1/dashboard\\x0aevent=forged status=999\\x0d\\x1b[2J"
    assert forged["status"] == 404
    assert access[1]["path"] == "/api/v1/push/***"
    assert access[2]["query"] == "token=***&lang=fr"
    assert PUSH_SECRET not in log
