"""Sessions stand only while the database agrees: a cookie signed with the known secret for a
user that does not exist opens nothing, and sign-out, a new password, disabling and a role
change end every session of the user at once (a real `status-dashboard serve` process)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from integration.web.conftest import csrf_of
from integration.web.ui_server import (
    PASSWORDS,
    SESSION_SECRET,
    UiServer,
    prepared_database,
    ui_server,
)
from security.sessions_support import (
    audit_entries,
    cli,
    create_user,
    forged_cookie,
    session_cookie,
    signed_in,
    with_cookie,
)

from support.databases import postgres_database
from support.server import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("sessions")) as running:
        yield running


def _new_user(server: UiServer, role: str) -> tuple[str, str]:
    name, password = f"u{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    create_user(server.database_url, name, role, password)
    return name, password


def _is_signed_out(answer: httpx.Response) -> bool:
    return answer.status_code == 303 and answer.headers["location"].startswith("/admin/login")


def test_a_cookie_forged_with_the_secret_for_a_user_that_does_not_exist_opens_nothing(
    server: UiServer,
) -> None:
    csrf = secrets.token_urlsafe(32)
    cookie = forged_cookie(
        {"user": {"id": 4242, "name": "ghost", "role": "admin", "epoch": 0}, "csrf": csrf}
    )
    before = len(audit_entries(server.database_url))
    with with_cookie(server, cookie) as thief:
        board = thief.get("/admin/env/prod")
        opened = thief.post(
            "/admin/env/prod/incidents",
            data={"csrf_token": csrf, "title": "Forged", "impact": "major", "message": "x"},
        )
        audit = thief.get("/admin/audit")
    assert _is_signed_out(board)
    assert _is_signed_out(opened)
    assert _is_signed_out(audit)
    assert len(audit_entries(server.database_url)) == before  # nothing written


def test_a_cookie_of_the_old_form_without_an_epoch_is_refused(server: UiServer) -> None:
    # What every cookie held before sessions could be ended: id, name and role only.
    cookie = forged_cookie({"user": {"id": 1, "name": "alice", "role": "operator"}})
    with with_cookie(server, cookie) as client:
        assert _is_signed_out(client.get("/admin/env/prod"))


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_audit_log(server: UiServer) -> None:
    with signed_in(server, "ada", PASSWORDS["ada"]) as browser:
        copied = session_cookie(browser)
        with with_cookie(server, copied) as thief:
            assert thief.get("/admin/audit").status_code == 200
            token = csrf_of(browser.get("/admin/audit").text)
            assert browser.post("/admin/logout", data={"csrf_token": token}).status_code == 303
            after = thief.get("/admin/audit")
    assert _is_signed_out(after)


def test_sign_out_ends_the_users_other_sessions_too(server: UiServer) -> None:
    name, password = _new_user(server, "operator")
    with signed_in(server, name, password) as laptop, signed_in(server, name, password) as phone:
        token = csrf_of(laptop.get("/admin/env/prod").text)
        laptop.post("/admin/logout", data={"csrf_token": token})
        assert _is_signed_out(phone.get("/admin/env/prod"))


@pytest.mark.parametrize(
    "change",
    [
        ("user", "reset-password", "{name}", "--password-stdin"),
        ("user", "disable", "{name}"),
        ("user", "set-role", "{name}", "viewer"),
    ],
    ids=["password", "disable", "role"],
)
def test_a_change_to_the_user_ends_their_sessions_at_once(
    server: UiServer, change: tuple[str, ...]
) -> None:
    name, password = _new_user(server, "operator")
    with signed_in(server, name, password) as client:
        assert client.get("/admin/env/prod").status_code == 200
        done = cli(
            server.database_url,
            *(part.format(name=name) for part in change),
            stdin=secrets.token_urlsafe(16) + "\n",
        )
        assert done.returncode == 0, done.stderr
        assert _is_signed_out(client.get("/admin/env/prod"))


def test_after_a_role_change_signing_in_again_gives_the_new_role(server: UiServer) -> None:
    name, password = _new_user(server, "operator")
    assert cli(server.database_url, "user", "set-role", name, "viewer").returncode == 0
    with signed_in(server, name, password) as client:
        board = client.get("/admin/env/prod")
    assert f"Signed in as <strong>{name}</strong> (viewer)" in board.text


@pytest.mark.postgres
def test_a_sign_out_on_one_server_ends_the_session_on_another_of_the_same_database(
    tmp_path: Path,
) -> None:
    with postgres_database() as url:
        prepared_database(tmp_path, url)
        environment = {"STATUS_DASHBOARD_SESSION_SECRET": SESSION_SECRET}
        with (
            running_server(url, tmp_path, "--no-monitor", env=environment) as first,
            running_server(url, tmp_path, "--no-monitor", env=environment) as second,
        ):
            one = UiServer(first.url, url, first.log_path)
            other = UiServer(second.url, url, second.log_path)
            with signed_in(one, "ada", PASSWORDS["ada"]) as browser:
                elsewhere = with_cookie(other, session_cookie(browser))
                with elsewhere:
                    assert elsewhere.get("/admin/audit").status_code == 200
                    token = csrf_of(browser.get("/admin/audit").text)
                    signed_out = browser.post("/admin/logout", data={"csrf_token": token})
                    assert signed_out.status_code == 303
                    after = elsewhere.get("/admin/audit")
    assert _is_signed_out(after)
