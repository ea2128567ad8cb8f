"""Sign-in, failed sign-in and sign-out are in the audit log; a failure names the user name
tried (truncated) and never the password, and throttled attempts add nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.web.conftest import csrf_of
from integration.web.ui_server import PASSWORDS, UiServer, ui_server
from security.sessions_support import audit_entries, sign_in_form


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("sign-in-audit")) as running:
        yield running


def test_a_sign_in_and_a_sign_out_are_audited(server: UiServer) -> None:
    with server.client() as client:
        assert sign_in_form(client, "alice", PASSWORDS["alice"]).status_code == 303
        token = csrf_of(client.get("/admin/env/prod").text)
        assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    entries = audit_entries(server.database_url, target="user:alice")
    assert [(e.action, e.actor) for e in entries[:2]] == [
        ("session.sign_out", "user:alice"),
        ("session.sign_in", "user:alice"),
    ]


def test_a_failed_sign_in_names_the_name_tried_never_the_password(server: UiServer) -> None:
    tried = "x" * 70 + "-long-name"
    password = "the-wrong-password-42"
    with server.client() as client:
        assert sign_in_form(client, tried, password).status_code == 400
    entries = audit_entries(server.database_url, action="session.sign_in_failed")
    assert entries[0].actor == "anonymous"
    assert entries[0].target == "user:" + tried.strip()[:64]
    everything = " ".join(
        f"{e.actor} {e.target} {e.before} {e.after}" for e in audit_entries(server.database_url)
    )
    assert password not in everything


def test_throttled_attempts_add_nothing_to_the_audit_log(server: UiServer) -> None:
    headers = {"X-Forwarded-For": "203.0.113.77"}
    statuses = []
    with server.client() as client:
        for n in range(8):
            statuses.append(
                sign_in_form(client, f"flood-{n}", "wrong-password-x", **headers).status_code
            )
    failed = audit_entries(server.database_url, action="session.sign_in_failed")
    flood = [e for e in failed if e.target.startswith("user:flood-")]
    assert 429 in statuses
    assert len(flood) == statuses.count(400)  # one entry per checked attempt, none per refusal
