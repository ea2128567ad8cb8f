"""The admin API over real HTTP: tokens and roles, operator status, incidents, maintenance,
history, audit and the client register — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from support.admin import Admin, admin_server
from support.server import RunningServer

IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, "eHealth IDP - ... Authorization management"
EXCHANGE = "2c7ab1fb8df82828f961293921177004"  # PROD, "WebService eHealth - IAM Connect - eXchange"
ITEM = "/api/admin/v1/dashboards/prod/items/"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"admin-{request.param}")
    scoped = {"acc-operator": ("operator", "acc")}
    with admin_server(request.param, directory, default_role="operator", scoped=scoped) as admin:
        yield admin


def _public_item(server: RunningServer, item_id: str, env: str = "") -> dict[str, object]:
    with server.client() as client:
        groups = client.get(f"/api/v1/dashboard{env}").json()["groups"]
    return next(i for g in groups for i in g["items"] if i["id"] == item_id)


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    return body


# -- access --------------------------------------------------------------------------------


def test_without_credentials_the_admin_api_answers_401_with_a_challenge(admin: Admin) -> None:
    with admin.client(role=None) as client:
        response = client.get(ITEM + IDP)
    body = _problem(response, 401)
    assert body["type"] == "urn:problem-type:belgif:noAccessToken"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer sdt_not-a-real-token", "Basic YWRtaW46YWRtaW4=", "Bearer"]
)
def test_bad_credentials_are_401(admin: Admin, header: str) -> None:
    with admin.client(role=None) as client:
        response = client.get(ITEM + IDP, headers={"Authorization": header})
    _problem(response, 401)


def test_a_viewer_may_read_but_not_write(admin: Admin) -> None:
    with admin.client("viewer") as client:
        assert client.get(ITEM + IDP).status_code == 200
        body = _problem(client.patch(ITEM + IDP, json={"status_code": 2}), 403)
    assert body["type"] == "urn:problem-type:belgif:missingPermission"


def test_a_token_limited_to_acc_may_not_touch_prod(admin: Admin) -> None:
    with admin.client("acc-operator") as client:
        _problem(client.patch(ITEM + IDP, json={"status_code": 2}), 403)
        assert client.get("/api/admin/v1/me").json()["environments"] == ["acc"]


# -- operator status -------------------------------------------------------------------------


def test_an_operator_sets_an_item_disrupted_and_every_client_sees_it_at_once(admin: Admin) -> None:
    with admin.server.client() as public:
        before = public.get("/api/v1/dashboard")
    with admin.client() as client:
        response = client.patch(
            ITEM + EXCHANGE, json={"status_code": 2, "description": "eXchange refuses tokens"}
        )
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["status_code"], view["source"], view["override"]["set_by"]) == (
        2,
        "override",
        "token:t-operator",
    )
    with admin.server.client() as public:
        after = public.get("/api/v1/dashboard")
    assert after.headers["etag"] != before.headers["etag"]
    shown = next(i for g in after.json()["groups"] for i in g["items"] if i["id"] == EXCHANGE)
    old = next(i for g in before.json()["groups"] for i in g["items"] if i["id"] == EXCHANGE)
    assert (shown["status_code"], shown["description"]) == (2, "eXchange refuses tokens")
    assert shown["last_updated"] >= old["last_updated"]
    assert after.json()["groups"][0]["status_code"] == 2

    with admin.client() as client:
        cleared = client.delete(ITEM + EXCHANGE + "/override")
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["status_code"], cleared.json()["override"]) == (1, None)
    assert _public_item(admin.server, EXCHANGE)["status_code"] == 1


def test_two_operators_editing_one_item_get_a_409_instead_of_overwriting(admin: Admin) -> None:
    with admin.client() as client:
        version = client.get(ITEM + EXCHANGE).headers["etag"]
        first = client.patch(
            ITEM + EXCHANGE, json={"status_code": 3}, headers={"If-Match": version}
        )
        second = client.patch(
            ITEM + EXCHANGE, json={"status_code": 2}, headers={"If-Match": version}
        )
        current = client.get(ITEM + EXCHANGE).json()
        client.delete(ITEM + EXCHANGE + "/override")
    assert first.status_code == 200
    _problem(second, 409)
    assert current["status_code"] == 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status_code": 7}, "status_code"),
        ({"status_code": "two"}, "status_code"),
        ({}, "status_code"),
        ({"status_code": 2, "description": 5}, "description"),
        ({"status_code": 2, "description": "x" * 2001}, "description"),
        ({"status_code": 2, "expires_at": "tomorrow"}, "expires_at"),
        ({"status_code": 2, "expires_at": "2020-01-01T00:00:00"}, "expires_at"),
        ({"status_code": 2, "colour": "red"}, "colour"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_changes_nothing(
    admin: Admin, payload: dict[str, object], field: str
) -> None:
    with admin.client("admin") as audit_reader, admin.client() as client:
        entries_before = audit_reader.get("/api/admin/v1/audit").json()["items"]
        body = _problem(client.patch(ITEM + IDP, json=payload), 400)
        entries_after = audit_reader.get("/api/admin/v1/audit").json()["items"]
    assert field in str(body["detail"]) + str(body.get("issues"))
    assert entries_after == entries_before


def test_an_expiry_in_the_past_is_refused(admin: Admin) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    with admin.client() as client:
        body = _problem(client.patch(ITEM + IDP, json={"status_code": 2, "expires_at": past}), 400)
    assert "expires_at" in str(body["detail"])


def test_a_huge_description_is_413(admin: Admin) -> None:
    with admin.client() as client:
        response = client.patch(
            ITEM + IDP, json={"status_code": 2, "description": "x" * 10_000_000}
        )
    _problem(response, 413)


def test_malformed_json_and_unknown_items_are_clear_problems(admin: Admin) -> None:
    with admin.client() as client:
        _problem(
            client.patch(
                ITEM + IDP, content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            400,
        )
        _problem(client.patch(ITEM + "0" * 32, json={"status_code": 2}), 404)
        _problem(
            client.patch("/api/admin/v1/dashboards/nowhere/items/" + IDP, json={"status_code": 2}),
            404,
        )
        _problem(
            client.patch(ITEM + IDP, content=b"<x/>", headers={"Content-Type": "application/xml"}),
            415,
        )


# -- incidents and maintenance --------------------------------------------------------------------


def test_an_incident_disrupts_its_items_until_it_is_resolved(admin: Admin) -> None:
    with admin.client() as client:
        opened = client.post(
            "/api/admin/v1/dashboards/prod/incidents",
            json={
                "title": "IAM Connect token errors",
                "impact": "major",
                "item_ids": [EXCHANGE],
                "message": "We are looking into it",
            },
        )
        assert opened.status_code == 201, opened.text
        incident = opened.json()
        assert _public_item(admin.server, EXCHANGE)["description"] == "IAM Connect token errors"
        url = f"/api/admin/v1/dashboards/prod/incidents/{incident['id']}"
        assert (
            client.post(
                url + "/updates", json={"state": "identified", "message": "Certificate expired"}
            ).status_code
            == 201
        )
        resolved = client.post(url + "/updates", json={"state": "resolved", "message": "Renewed"})
        again = client.post(url + "/updates", json={"state": "monitoring", "message": "late"})
        listed = client.get("/api/admin/v1/dashboards/prod/incidents").json()["items"]
    assert [u["state"] for u in resolved.json()["updates"]] == [
        "investigating",
        "identified",
        "resolved",
    ]
    assert resolved.json()["resolved_at"] is not None
    _problem(again, 409)
    assert incident["id"] in [i["id"] for i in listed]
    assert _public_item(admin.server, EXCHANGE)["status_code"] == 1


def test_the_audit_entry_of_a_new_incident_or_window_names_it_by_its_id(admin: Admin) -> None:
    now = datetime.now(UTC)
    window = {
        "title": "Audited window",
        "starts_at": (now + timedelta(days=2)).isoformat(),
        "ends_at": (now + timedelta(days=2, hours=1)).isoformat(),
    }
    with admin.client() as client:
        incident = client.post(
            "/api/admin/v1/dashboards/prod/incidents",
            json={"title": "Audited", "item_ids": [EXCHANGE], "message": "Opened"},
        ).json()
        scheduled = client.post("/api/admin/v1/dashboards/prod/maintenance", json=window).json()
        # Leave the item as it was for the tests after this one.
        client.post(
            f"/api/admin/v1/dashboards/prod/incidents/{incident['id']}/updates",
            json={"state": "resolved", "message": "Closed"},
        )
    with admin.client("admin") as reader:
        opened = reader.get(
            "/api/admin/v1/audit", params={"action": "incident.open", "limit": 1}
        ).json()["items"]
        planned = reader.get(
            "/api/admin/v1/audit", params={"action": "maintenance.schedule", "limit": 1}
        ).json()["items"]
    assert opened[0]["target"] == f"incident:{incident['id']}"
    assert planned[0]["target"] == f"maintenance:{scheduled['id']}"


def test_running_maintenance_with_impact_shows_as_planned_and_cancelling_ends_it(
    admin: Admin,
) -> None:
    now = datetime.now(UTC)
    window = {
        "title": "SAN firmware upgrade",
        "starts_at": (now - timedelta(minutes=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(),
        "item_ids": [EXCHANGE],
        "impact": "major",
    }
    with admin.client() as client:
        created = client.post("/api/admin/v1/dashboards/prod/maintenance", json=window)
        assert created.status_code == 201, created.text
        shown = _public_item(admin.server, EXCHANGE)
        cancelled = client.delete(
            f"/api/admin/v1/dashboards/prod/maintenance/{created.json()['id']}"
        )
        bad = client.post(
            "/api/admin/v1/dashboards/prod/maintenance",
            json={**window, "ends_at": window["starts_at"]},
        )
    assert (shown["status_code"], shown["description"]) == (
        2,
        "Planned maintenance: SAN firmware upgrade",
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_at"] is not None
    _problem(bad, 400)
    assert _public_item(admin.server, EXCHANGE)["status_code"] == 1


# -- history, audit, clients, tokens ------------------------------------------------------------


def test_history_and_audit_say_who_did_what(admin: Admin) -> None:
    with admin.client() as client:
        client.patch(ITEM + IDP, json={"status_code": 1, "description": "Fixed"})
        client.delete(ITEM + IDP + "/override")
        history = client.get(ITEM + IDP + "/history").json()["items"]
        forbidden = client.get("/api/admin/v1/audit")
    with admin.client("admin") as client:
        first = client.get(
            "/api/admin/v1/audit", params={"target": f"item:{IDP}", "limit": 1}
        ).json()
        second = client.get(
            "/api/admin/v1/audit",
            params={"target": f"item:{IDP}", "limit": 1, "cursor": first["next_cursor"]},
        ).json()
        deletion = client.delete("/api/admin/v1/audit")
    assert any(event["to"] == 1 and "override" in event["reason"] for event in history)
    _problem(forbidden, 403)
    assert [e["action"] for e in first["items"] + second["items"]] == [
        "override.clear",
        "override.set",
    ]
    assert second["items"][0]["after"]["description"] == "Fixed"
    assert second["items"][0]["actor"] == "token:t-operator"
    assert first["items"][0]["before"]["description"] == "Fixed"
    assert deletion.status_code in (404, 405)


def test_the_client_register_lists_who_called_an_environment(admin: Admin) -> None:
    with httpx.Client(base_url=admin.server.url) as public:
        public.get("/api/v1/dashboard/acc", headers={"User-Agent": "registerProbe/1.0 httpx/0.28"})
    import time

    time.sleep(0.6)
    with admin.client("viewer") as client:
        records = client.get("/api/admin/v1/dashboards/acc/clients").json()["items"]
    probe = next(r for r in records if r["user_agent"] == "registerProbe/1.0 httpx/0.28")
    assert probe["conforming"] is True
    assert probe["request_count"] >= 1


@pytest.mark.parametrize("token_id", ["8\u00b3", "\u0663", "9" * 19])
def test_a_token_id_that_is_no_plain_number_is_not_found(admin: Admin, token_id: str) -> None:
    with admin.client("admin") as client:
        _problem(client.delete(f"/api/admin/v1/tokens/{token_id}"), 404)


def test_tokens_are_shown_once_and_stop_working_when_revoked(admin: Admin) -> None:
    with admin.client("admin") as client:
        created = client.post(
            "/api/admin/v1/tokens", json={"name": "ci-deploy", "role": "operator"}
        ).json()
        listed = client.get("/api/admin/v1/tokens").text
    secret = created["token"]
    assert secret.startswith("sdt_")
    assert secret not in listed
    with admin.client(role=None) as client:
        assert (
            client.get(
                "/api/admin/v1/me", headers={"Authorization": f"Bearer {secret}"}
            ).status_code
            == 200
        )
    with admin.client("admin") as client:
        assert client.delete(f"/api/admin/v1/tokens/{created['id']}").status_code == 200
    with admin.client(role=None) as client:
        _problem(client.get("/api/admin/v1/me", headers={"Authorization": f"Bearer {secret}"}), 401)
    assert secret not in admin.server.log()
    assert all(token not in admin.server.log() for token in admin.tokens.values())


def test_demo_mode_prints_a_local_admin_account_and_token(admin: Admin) -> None:
    log = admin.server.log()
    assert "demo admin account: admin / " in log
    token = log.split("demo admin token (Authorization: Bearer ...): ", 1)[1].split()[0]
    with admin.client(role=None) as client:
        assert (
            client.get("/api/admin/v1/me", headers={"Authorization": f"Bearer {token}"}).json()[
                "role"
            ]
            == "admin"
        )


def test_an_expired_token_is_refused_as_expired(admin: Admin) -> None:
    import time

    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    with admin.client("admin") as client:
        created = client.post(
            "/api/admin/v1/tokens",
            json={"name": "short-lived", "role": "viewer", "expires_at": soon},
        )
    assert created.status_code == 201, created.text
    time.sleep(1.2)
    with admin.client(role=None) as client:
        response = client.get(
            "/api/admin/v1/me", headers={"Authorization": f"Bearer {created.json()['token']}"}
        )
    body = _problem(response, 401)
    assert body["type"] == "urn:problem-type:belgif:expiredAccessToken"


def test_the_audit_log_has_no_route_that_changes_it(admin: Admin) -> None:
    with admin.client("admin") as client:
        entry = client.get("/api/admin/v1/audit", params={"limit": 1}).json()["items"][0]
        attempts = [
            client.delete("/api/admin/v1/audit"),
            client.put("/api/admin/v1/audit", json={}),
            client.patch("/api/admin/v1/audit", json={}),
            client.delete(f"/api/admin/v1/audit/{entry['id']}"),
            client.patch(f"/api/admin/v1/audit/{entry['id']}", json={"actor": "nobody"}),
        ]
        after = client.get("/api/admin/v1/audit", params={"limit": 1}).json()["items"][0]
    assert [r.status_code for r in attempts] == [405, 405, 405, 404, 404]
    assert after == entry


def test_history_can_be_narrowed_to_a_period(admin: Admin) -> None:
    with admin.client() as client:
        client.patch(ITEM + EXCHANGE, json={"status_code": 3})
        client.delete(ITEM + EXCHANGE + "/override")
        everything = client.get(ITEM + EXCHANGE + "/history").json()["items"]
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        none_yet = client.get(ITEM + EXCHANGE + "/history", params={"since": future}).json()[
            "items"
        ]
        before_future = client.get(ITEM + EXCHANGE + "/history", params={"until": future}).json()[
            "items"
        ]
        bad = client.get(ITEM + EXCHANGE + "/history", params={"since": "yesterday"})
    assert len(everything) >= 2
    assert none_yet == []
    assert before_future == everything
    _problem(bad, 400)
