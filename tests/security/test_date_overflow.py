"""Moments at the edge of the calendar: a valid ISO 8601 date-time whose UTC equivalent falls
outside years 1 to 9999 is refused with a 400 naming its field, in every place that takes one
(bodies and query parameters of the admin API, the admin UI's forms), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from integration.web.conftest import ITEM_ID, csrf_of, sign_in, version_of
from integration.web.ui_server import UiServer, ui_server

from support.admin import Admin, admin_server

PAST_THE_END = "9999-12-31T23:59:59-14:00"
BEFORE_THE_START = "0001-01-01T00:00:00+14:00"
ITEM = f"/api/admin/v1/dashboards/prod/items/{ITEM_ID}"


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with admin_server("sqlite", tmp_path_factory.mktemp("dates"), default_role="admin") as admin:
        yield admin


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(Path(tmp_path_factory.mktemp("dates-ui"))) as server:
        yield server


def _names_field(answer: httpx.Response, name: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    issues = answer.json()["issues"]
    assert [issue["name"] for issue in issues] == [name], issues


def test_an_override_expiry_out_of_range_is_400(admin: Admin) -> None:
    with admin.client() as client:
        answer = client.patch(ITEM, json={"status_code": 2, "expires_at": PAST_THE_END})
    _names_field(answer, "expires_at")


def test_a_token_expiry_out_of_range_is_400(admin: Admin) -> None:
    body = {"name": "edge", "role": "viewer", "expires_at": PAST_THE_END}
    with admin.client() as client:
        answer = client.post("/api/admin/v1/tokens", json=body)
    _names_field(answer, "expires_at")


def test_a_maintenance_window_out_of_range_is_400(admin: Admin) -> None:
    window = {
        "title": "The end of time",
        "starts_at": "2030-01-01T00:00:00+00:00",
        "ends_at": PAST_THE_END,
        "item_ids": [ITEM_ID],
    }
    with admin.client() as client:
        answer = client.post("/api/admin/v1/dashboards/prod/maintenance", json=window)
    _names_field(answer, "ends_at")


@pytest.mark.parametrize("name", ["since", "until"])
def test_history_bounds_out_of_range_are_400(admin: Admin, name: str) -> None:
    with admin.client() as client:
        answer = client.get(ITEM + "/history", params={name: BEFORE_THE_START})
    _names_field(answer, name)


@pytest.mark.parametrize("name", ["since", "until"])
def test_audit_bounds_out_of_range_are_400(admin: Admin, name: str) -> None:
    with admin.client() as client:
        answer = client.get("/api/admin/v1/audit", params={name: PAST_THE_END})
    _names_field(answer, name)


def test_a_form_moment_before_year_one_in_utc_is_shown_next_to_its_field(ui: UiServer) -> None:
    with sign_in(ui, "alice") as client:
        board = client.get("/admin/env/prod").text
        data = {
            "csrf_token": csrf_of(board),
            "version": version_of(board, ITEM_ID),
            "status_code": "2",
            "description": "",
            "expires_at": "0001-01-01T00:00",
            "back": "board",
        }
        answer = client.post(f"/admin/env/prod/items/{ITEM_ID}/override", data=data)
    assert answer.status_code == 400, answer.text
    assert f'id="er-ex-{ITEM_ID}">must be a date and time from year 1 to 9999' in answer.text


def test_a_maintenance_form_moment_before_year_one_in_utc_is_400(ui: UiServer) -> None:
    with sign_in(ui, "alice") as client:
        form = client.get("/admin/env/prod/maintenance/new").text
        data = {
            "csrf_token": csrf_of(form),
            "title": "The start of time",
            "starts_at": "0001-01-01T00:00",
            "ends_at": "2030-01-01T00:00",
            "item_ids": ITEM_ID,
            "impact": "none",
            "description": "",
        }
        answer = client.post("/admin/env/prod/maintenance", data=data)
    assert answer.status_code == 400, answer.text
    assert "must be a date and time from year 1 to 9999" in answer.text
