"""The admin UI's Users page over real HTTP: admins only, CSRF-protected forms, the last
enabled admin kept, and each change audited."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from integration.web.conftest import csrf_of
from integration.web.ui_server import PASSWORDS, UiServer, ui_server
from security.sessions_support import audit_entries, signed_in


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("users-page")) as running:
        yield running


def _user_id(html: str, name: str) -> str:
    row = rf'<th scope="row">{name}(?: \(you\))?</th>.*?action="/admin/users/(\d+)/role"'
    found = re.search(row, html, re.S)
    assert found, f"no row for {name}"
    return found.group(1)


def test_an_admin_sees_every_user_and_the_navigation_links_the_page(server: UiServer) -> None:
    with signed_in(server, "ada", PASSWORDS["ada"]) as admin:
        board = admin.get("/admin/env/prod").text
        page = admin.get("/admin/users")
    assert '<a href="/admin/users"' in board
    assert page.status_code == 200
    for name in ("alice", "victor", "ada"):
        assert f'<th scope="row">{name}' in page.text
    assert 'aria-current="page">Users<' in page.text
    assert '<label for="f-password">' in page.text  # every field has its label


def test_operators_and_viewers_may_not_see_the_page(server: UiServer) -> None:
    for name in ("alice", "victor"):
        with signed_in(server, name, PASSWORDS[name]) as client:
            assert client.get("/admin/users").status_code == 403
            assert '<a href="/admin/users"' not in client.get("/admin/env/prod").text


def test_an_admin_adds_a_user_disables_and_enables_them(server: UiServer) -> None:
    name = f"u{secrets.token_hex(3)}"
    with signed_in(server, "ada", PASSWORDS["ada"]) as admin:
        token = csrf_of(admin.get("/admin/users").text)
        created = admin.post(
            "/admin/users",
            data={
                "csrf_token": token,
                "name": name,
                "role": "viewer",
                "password": "p" * 6 + secrets.token_hex(4),
            },
        )
        page = admin.get("/admin/users").text
        user_id = _user_id(page, name)
        disabled = admin.post(
            f"/admin/users/{user_id}/disabled", data={"csrf_token": token, "disabled": "yes"}
        )
        enabled = admin.post(
            f"/admin/users/{user_id}/disabled", data={"csrf_token": token, "disabled": "no"}
        )
        role = admin.post(
            f"/admin/users/{user_id}/role", data={"csrf_token": token, "role": "operator"}
        )
        shown = admin.get("/admin/users").text
    assert [created.status_code, disabled.status_code, enabled.status_code, role.status_code] == [
        303
    ] * 4
    assert f"{name} is now operator" in shown
    actions = [entry.action for entry in audit_entries(server.database_url, target=f"user:{name}")]
    assert actions == ["user.set_role", "user.enable", "user.disable", "user.create"]


def test_a_form_without_this_sessions_token_changes_nothing(server: UiServer) -> None:
    with signed_in(server, "ada", PASSWORDS["ada"]) as admin:
        victor = _user_id(admin.get("/admin/users").text, "victor")
        before = len(audit_entries(server.database_url))
        refused = admin.post(
            f"/admin/users/{victor}/role", data={"csrf_token": "forged", "role": "admin"}
        )
    assert refused.status_code == 403
    assert len(audit_entries(server.database_url)) == before


def test_a_bad_field_is_shown_next_to_it(server: UiServer) -> None:
    with signed_in(server, "ada", PASSWORDS["ada"]) as admin:
        token = csrf_of(admin.get("/admin/users").text)
        answer = admin.post(
            "/admin/users",
            data={"csrf_token": token, "name": "shorty", "role": "viewer", "password": "short"},
        )
    assert answer.status_code == 400
    assert 'id="err-password"' in answer.text
    assert 'value="shorty"' in answer.text


def test_the_last_admin_cannot_demote_themselves(server: UiServer) -> None:
    with signed_in(server, "ada", PASSWORDS["ada"]) as admin:
        page = admin.get("/admin/users").text
        refused = admin.post(
            f"/admin/users/{_user_id(page, 'ada')}/role",
            data={"csrf_token": csrf_of(page), "role": "operator"},
        )
        still = admin.get("/admin/users")
    assert refused.status_code == 409
    assert "last enabled admin" in refused.text
    assert still.status_code == 200  # nothing changed: the session stands
