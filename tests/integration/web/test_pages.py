"""Every page of the UI answers HTML, and the incident and maintenance forms do their work."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from integration.web.conftest import ITEM_ID, csrf_of
from integration.web.ui_server import UiServer

from support.server import CONFORMING_AGENT

STS_ID_PATTERN = re.compile(
    r'value="([0-9a-f]{32})" id="cb-\1">\s*<label for="cb-\1">WebService eHealth - STS'
)


@pytest.mark.parametrize(
    "path",
    [
        "/admin",
        "/admin/env/acc",
        "/admin/env/prod/items/" + ITEM_ID,
        "/admin/env/prod/incidents",
        "/admin/env/prod/incidents/new",
        "/admin/env/int/maintenance",
        "/admin/env/int/maintenance/new",
        "/admin/env/prod/clients",
        "/admin/audit",
        "/admin/audit?actor=user:alice&action=override.set",
    ],
)
def test_each_page_answers_html_to_an_admin(admin: httpx.Client, path: str) -> None:
    answer = admin.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "<main" in answer.text


def test_an_unknown_environment_is_an_html_404(admin: httpx.Client) -> None:
    answer = admin.get("/admin/env/nowhere")
    assert answer.status_code == 404
    assert "No environment" in answer.text


def test_the_audit_log_is_for_admins_only(operator: httpx.Client, viewer: httpx.Client) -> None:
    assert operator.get("/admin/audit").status_code == 403
    assert viewer.get("/admin/audit").status_code == 403


def test_a_viewer_cannot_open_the_incident_form(viewer: httpx.Client) -> None:
    assert viewer.get("/admin/env/prod/incidents/new").status_code == 403


def test_the_client_register_lists_who_called(server: UiServer, operator: httpx.Client) -> None:
    httpx.get(f"{server.url}/api/v1/dashboard/acc", headers={"User-Agent": CONFORMING_AGENT})
    httpx.get(f"{server.url}/api/v1/dashboard/acc", headers={"User-Agent": "curl/8"})
    for _ in range(50):  # the register is flushed every 0.2 s
        page = operator.get("/admin/env/acc/clients").text
        if "curl/8" in page and CONFORMING_AGENT in page:
            break
    assert "curl/8" in page
    assert CONFORMING_AGENT in page


def test_an_incident_without_a_title_is_refused_next_to_the_field(operator: httpx.Client) -> None:
    form = operator.get("/admin/env/prod/incidents/new").text
    answer = operator.post(
        "/admin/env/prod/incidents",
        data={
            "csrf_token": csrf_of(form),
            "title": " ",
            "impact": "minor",
            "state": "investigating",
            "message": "x",
        },
    )
    assert answer.status_code == 400
    assert 'id="err-title">is required' in answer.text


def test_an_operator_opens_updates_and_resolves_an_incident(operator: httpx.Client) -> None:
    form = operator.get("/admin/env/prod/incidents/new").text
    sts = STS_ID_PATTERN.search(form)
    assert sts
    opened = operator.post(
        "/admin/env/prod/incidents",
        data={
            "csrf_token": csrf_of(form),
            "title": "Token service slow",
            "impact": "minor",
            "state": "investigating",
            "item_ids": sts.group(1),
            "message": "Looking into it",
        },
    )
    assert opened.status_code == 303
    page_path = opened.headers["location"]
    page = operator.get(page_path).text
    assert "Token service slow" in page
    listing = operator.get("/admin/env/prod/incidents").text
    assert "Token service slow" in listing.split('id="resolved-h"')[0]  # among the open ones
    resolved = operator.post(
        page_path + "/updates",
        data={"csrf_token": csrf_of(page), "state": "resolved", "message": "All good again"},
    )
    assert resolved.status_code == 303
    page = operator.get(page_path).text
    assert 'id="incident-state">resolved' in page
    assert "All good again" in page
    assert "Post an update" not in page


def test_an_operator_schedules_edits_and_cancels_maintenance(operator: httpx.Client) -> None:
    form = operator.get("/admin/env/int/maintenance/new").text
    start = datetime.now(UTC) + timedelta(days=2)
    fields = {
        "csrf_token": csrf_of(form),
        "title": "Database upgrade",
        "starts_at": start.strftime("%Y-%m-%dT10:00"),
        "ends_at": start.strftime("%Y-%m-%dT12:00"),
        "impact": "major",
        "description": "Short outages expected",
    }
    scheduled = operator.post("/admin/env/int/maintenance", data=fields)
    assert scheduled.status_code == 303
    listing = operator.get("/admin/env/int/maintenance").text
    upcoming = listing.split('id="up-h"')[1].split('id="past-h"')[0]
    assert "Database upgrade" in upcoming
    assert "10:00:00 CE" in upcoming  # typed in Brussels time, shown in Brussels time
    window_id = re.search(r"/maintenance/(\d+)/edit", upcoming)
    assert window_id
    edit = operator.get(f"/admin/env/int/maintenance/{window_id.group(1)}/edit").text
    assert 'value="Database upgrade"' in edit
    saved = operator.post(
        f"/admin/env/int/maintenance/{window_id.group(1)}",
        data={**fields, "csrf_token": csrf_of(edit), "title": "Database upgrade (v2)"},
    )
    assert saved.status_code == 303
    assert "Database upgrade (v2)" in operator.get("/admin/env/int/maintenance").text
    cancelled = operator.post(
        f"/admin/env/int/maintenance/{window_id.group(1)}/cancel",
        data={"csrf_token": csrf_of(edit)},
    )
    assert cancelled.status_code == 303
    listing = operator.get("/admin/env/int/maintenance").text
    assert "cancelled" in listing.split('id="past-h"')[1]


def test_a_window_that_ends_before_it_starts_is_refused_next_to_the_field(
    operator: httpx.Client,
) -> None:
    form = operator.get("/admin/env/int/maintenance/new").text
    answer = operator.post(
        "/admin/env/int/maintenance",
        data={
            "csrf_token": csrf_of(form),
            "title": "Backwards",
            "starts_at": "2030-01-01T12:00",
            "ends_at": "2030-01-01T10:00",
            "impact": "none",
        },
    )
    assert answer.status_code == 400
    assert 'id="err-ends_at">must be after starts_at' in answer.text
