"""Users through the admin API (unscoped admin tokens only): problems name the field, the last
enabled admin cannot be demoted or disabled, and every change is audited with its user's
sessions ended (a real server on SQLite, and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from security.sessions_support import audit_entries, sign_in_form

from support.admin import Admin, admin_server

USERS = "/api/admin/v1/users"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory: Path = tmp_path_factory.mktemp(f"users-api-{request.param}")
    with admin_server(
        request.param, directory, default_role="admin", scoped={"prod-admin": ("admin", "prod")}
    ) as running:
        yield running


def _issue_names(answer: httpx.Response) -> list[str]:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return [issue["name"] for issue in answer.json().get("issues", [])]


def test_an_admin_creates_lists_reads_and_changes_a_user(admin: Admin) -> None:
    with admin.client() as client:
        created = client.post(
            USERS, json={"name": "carol", "role": "operator", "password": "carol-password-1"}
        )
        listed = client.get(USERS)
        by_name = client.get(f"{USERS}/carol")
        by_id = client.get(f"{USERS}/{created.json()['id']}")
        changed = client.patch(f"{USERS}/carol", json={"role": "viewer"})
        disabled = client.patch(f"{USERS}/carol", json={"disabled": True})
        password = client.post(f"{USERS}/carol/password", json={"password": "carol-password-2"})
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "operator"
    assert "password_hash" not in created.json()
    assert "carol" in [user["name"] for user in listed.json()["items"]]
    assert by_name.json() == by_id.json()
    assert changed.json()["role"] == "viewer"
    assert disabled.json()["disabled"] is True
    assert password.status_code == 200
    actions = [
        entry.action for entry in audit_entries(admin.server.database_url, target="user:carol")
    ]
    assert actions == ["user.reset_password", "user.disable", "user.set_role", "user.create"]
    assert all(
        entry.actor == "token:t-admin"
        for entry in audit_entries(admin.server.database_url, target="user:carol")
    )


def test_bad_input_is_a_problem_naming_the_field(admin: Admin) -> None:
    with admin.client() as client:
        short = client.post(USERS, json={"name": "dave", "role": "viewer", "password": "short"})
        bad_role = client.patch(f"{USERS}/admin", json={"role": "owner"})
        extra = client.patch(f"{USERS}/admin", json={"colour": "red"})
        weak = client.post(f"{USERS}/admin/password", json={"password": "x"})
        unknown = client.get(f"{USERS}/nobody")
    assert short.status_code == 400
    assert _issue_names(short) == ["password"]
    assert bad_role.status_code == 400
    assert _issue_names(bad_role) == ["role"]
    assert extra.status_code == 400
    assert _issue_names(extra) == ["colour"]
    assert weak.status_code == 400
    assert _issue_names(weak) == ["password"]
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_the_last_enabled_admin_cannot_be_demoted_or_disabled(admin: Admin) -> None:
    with admin.client() as client:
        # The demo's admin is the only admin user of this database.
        demoted = client.patch(f"{USERS}/admin", json={"role": "operator"})
        disabled = client.patch(f"{USERS}/admin", json={"disabled": True})
        still = client.get(f"{USERS}/admin")
    assert demoted.status_code == 409
    assert _issue_names(demoted) == ["role"]
    assert disabled.status_code == 409
    assert _issue_names(disabled) == ["disabled"]
    assert still.json()["role"] == "admin"
    assert still.json()["disabled"] is False


def test_only_unscoped_admins_manage_users(admin: Admin) -> None:
    answers = {}
    for role in ("viewer", "operator", "prod-admin", None):
        with admin.client(role) as client:
            answers[role] = (
                client.get(USERS).status_code,
                client.patch(f"{USERS}/admin", json={"disabled": True}).status_code,
            )
    assert answers == {
        "viewer": (403, 403),
        "operator": (403, 403),
        "prod-admin": (403, 403),
        None: (401, 401),
    }


def test_a_change_through_the_api_ends_the_users_ui_session(admin: Admin) -> None:
    with admin.client() as api:
        api.post(USERS, json={"name": "erin", "role": "operator", "password": "erin-password-01"})
        with httpx.Client(base_url=admin.server.url, timeout=10.0) as browser:
            assert sign_in_form(browser, "erin", "erin-password-01").status_code == 303
            assert browser.get("/admin/env/prod").status_code == 200
            assert api.patch(f"{USERS}/erin", json={"role": "viewer"}).status_code == 200
            after = browser.get("/admin/env/prod")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/admin/login")


def test_the_users_resource_is_in_the_openapi_document(admin: Admin) -> None:
    with admin.client() as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/admin/v1/users"])
    assert {"get", "patch"} <= set(paths["/api/admin/v1/users/{user}"])
    assert "post" in paths["/api/admin/v1/users/{user}/password"]
