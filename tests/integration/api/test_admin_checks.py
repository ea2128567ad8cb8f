"""An item's checks over real HTTP: read by viewers, replaced by admins in one audited write,
refused field by field, with secrets masked, on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from status_dashboard.domain import ids

from support.admin import Admin, admin_server

ADMIN = "/api/admin/v1"
PROD = ADMIN + "/dashboards/prod"
TOKEN = "a-push-token-0123456789"
SECRET = "Bearer s3cret-value"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"checks-{request.param}")
    scoped = {"acc-admin": ("admin", "acc")}
    with admin_server(request.param, directory, default_role="admin", scoped=scoped) as admin:
        yield admin


def checks_url(key: str) -> str:
    """The checks of the demo's PROD item `key`."""
    return f"{PROD}/items/{ids.item_id('prod', key)}/checks"


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def audit_entries(admin: Admin, key: str) -> list[dict[str, Any]]:
    target = f"item:{ids.item_id('prod', key)}"
    params = {"action": "catalog.item.checks.set", "target": target}
    with admin.client() as client:
        entries: list[dict[str, Any]] = ok(client.get(ADMIN + "/audit", params=params))["items"]
    return entries


def public_status(admin: Admin, key: str) -> int:
    with admin.server.client() as client:
        groups = ok(client.get("/api/v1/dashboard"))["groups"]
    item_id = ids.item_id("prod", key)
    return next(int(i["status_code"]) for g in groups for i in g["items"] if i["id"] == item_id)


def wait_for_status(admin: Admin, key: str, wanted: int, within: float = 15.0) -> int:
    """The item's public status once it is `wanted`, or the last one seen after `within` s;
    Unknown (3) is the only other status it may show meanwhile: it has no result yet."""
    deadline = time.monotonic() + within
    while (status := public_status(admin, key)) != wanted and time.monotonic() < deadline:
        assert status == 3
        time.sleep(0.2)
    return status


def test_a_viewer_reads_the_checks_the_demo_catalog_declares(admin: Admin) -> None:
    with admin.client("viewer") as client:
        body = ok(client.get(checks_url("etee-jwks")))

    assert body["environment"] == "prod"
    assert body["item_id"] == ids.item_id("prod", "etee-jwks")
    (check,) = body["checks"]
    assert {k: check[k] for k in ("key", "type", "url", "json_condition")} == {
        "key": "health",
        "type": "http",
        "url": "http://127.0.0.1:8000/health",
        "json_condition": '$.status == "UP"',
    }
    assert (check["interval"], check["timeout"], check["fail_threshold"]) == (10, 3, 2)
    assert set(check["state"]) == {
        "failing",
        "consecutive_failures",
        "consecutive_successes",
        "settled",
        "last_result_at",
        "last_reason",
        "last_detail",
        "next_due",
    }


def test_an_admin_replaces_checks_and_the_monitor_decides_the_item(admin: Admin) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        body = {
            "checks": [
                {"key": "port", "type": "tcp", "host": "127.0.0.1", "port": port,
                 "interval": 1, "timeout": 0.5},
            ]
        }  # fmt: skip
        with admin.client() as client:
            replaced = ok(client.put(checks_url("kgss"), json=body))
            read = ok(client.get(checks_url("kgss")))

        assert [c["key"] for c in replaced["checks"]] == ["port"]
        assert read["checks"][0]["port"] == port
        assert read["checks"][0]["state"]["next_due"]
        # Unknown until the first result, Operational once the port has answered.
        assert wait_for_status(admin, "kgss", 1) == 1


def test_removing_every_check_gives_the_item_back_its_manual_status(admin: Admin) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]  # and nothing listens there once it is closed
    check = {"key": "port", "type": "tcp", "host": "127.0.0.1", "port": port, "fail_threshold": 1}
    with admin.client() as client:
        ok(client.put(checks_url("certra"), json={"checks": [check]}))
        assert wait_for_status(admin, "certra", 2) == 2
        emptied = ok(client.put(checks_url("certra"), json={"checks": []}))

    assert emptied["checks"] == []
    assert public_status(admin, "certra") == 1


def test_what_get_shows_put_takes_back_without_a_change(admin: Admin) -> None:
    body = {
        "checks": [
            {"key": "web", "type": "http", "url": "https://idp.example.org/health",
             "headers": {"Authorization": SECRET}, "expect_status": [200, 204]},
            {"key": "beat", "type": "push", "token": TOKEN, "interval": 300, "timeout": 5},
        ]
    }  # fmt: skip
    with admin.client() as client:
        shown = ok(client.put(checks_url("sts-saml11"), json=body))
        back = [{k: v for k, v in c.items() if k != "state"} for c in shown["checks"]]
        again = ok(client.put(checks_url("sts-saml11"), json={"checks": back}))

    assert [c["key"] for c in shown["checks"]] == ["beat", "web"]
    beat, web = shown["checks"]
    assert beat["token"] == "***"
    assert web["headers"] == {"Authorization": "***"}
    assert web["expect_status"] == "200, 204"
    assert [c["key"] for c in again["checks"]] == ["beat", "web"]
    assert len(audit_entries(admin, "sts-saml11")) == 1


def test_a_replacement_is_audited_without_its_secrets(admin: Admin) -> None:
    body = {
        "checks": [
            {"key": "web", "type": "http", "url": "https://m2m.example.org/",
             "headers": {"X-Api-Key": SECRET}},
        ]
    }  # fmt: skip
    with admin.client() as client:
        ok(client.put(checks_url("iam-connect-m2m"), json=body))

    (entry,) = audit_entries(admin, "iam-connect-m2m")
    assert entry["actor"] == "token:t-admin"
    assert entry["environment"] == "prod"
    assert entry["before"] == {"checks": []}
    assert entry["after"]["checks"][0]["headers"] == {"X-Api-Key": "***"}
    assert SECRET not in str(entry)


@pytest.mark.parametrize(
    ("check", "field", "fragment"),
    [
        pytest.param({"key": "a", "type": "tcp", "host": "h", "port": 80, "interval": 5},
                     "checks[0].timeout", "less than interval", id="timeout not under interval"),
        pytest.param({"key": "a", "type": "tcp", "host": "h", "port": "80"},
                     "checks[0].port", "valid integer", id="port as text"),
        pytest.param({"key": "a", "type": "tcp", "host": "h", "port": 80, "colour": "red"},
                     "checks[0].colour", "Extra inputs", id="unknown field"),
        pytest.param({"key": "a", "type": "tcp", "host": "h"},
                     "checks[0].port", "Field required", id="missing field"),
        pytest.param({"key": "a", "type": "dns"}, "checks[0].type", "expected tags", id="bad type"),
        pytest.param({"key": "a"}, "checks[0].type", "discriminator", id="no type"),
        pytest.param({"key": "A b", "type": "push", "token": TOKEN},
                     "checks[0].key", "pattern", id="bad key"),
        pytest.param({"key": "a", "type": "http", "url": "http://x/", "expect_status": "2xx"},
                     "checks[0].expect_status", "not a status code", id="bad statuses"),
        pytest.param({"key": "a", "type": "http", "url": "http://x/", "headers": {"X": 1}},
                     "checks[0].headers.X", "valid string", id="header value a number"),
        pytest.param({"key": "a", "type": "http", "url": "http://x/", "json_condition": "$.a."},
                     "checks[0].json_condition", "invalid JSON path", id="broken JSON path"),
        pytest.param({"key": "a", "type": "http", "url": "http://x/", "body_matches": "(a)\\1"},
                     "checks[0].body_matches", "not a regular expression RE2 accepts",
                     id="a backreference RE2 does not take"),
        pytest.param("tcp", "checks[0]", "object", id="a check as text"),
    ],
)  # fmt: skip
def test_a_bad_check_is_a_400_naming_its_field_and_nothing_is_written(
    admin: Admin, check: object, field: str, fragment: str
) -> None:
    with admin.client() as client:
        refused = problem(client.put(checks_url("id-support"), json={"checks": [check]}), 400)
        after = ok(client.get(checks_url("id-support")))

    assert field in refused["detail"]
    (issue,) = [i for i in refused["issues"] if i["name"] == field]
    assert fragment in issue["detail"]
    assert after["checks"] == []


@pytest.mark.parametrize(
    "body",
    [{}, {"checks": {}}, {"checks": [], "prune": True}, []],
    ids=["no checks", "checks as an object", "an unknown field", "a list"],
)
def test_a_body_that_is_not_a_list_of_checks_is_a_400(admin: Admin, body: object) -> None:
    with admin.client() as client:
        problem(client.put(checks_url("id-support"), json=body), 400)


def test_a_push_token_another_item_has_is_a_409(admin: Admin) -> None:
    token = "another-push-token-0123456789"
    beat = {"key": "beat", "type": "push", "token": token}
    with admin.client() as client:
        ok(client.put(checks_url("timestamping"), json={"checks": [beat]}))
        refused = problem(client.put(checks_url("etk-depot"), json={"checks": [beat]}), 409)
        after = ok(client.get(checks_url("etk-depot")))

    assert token not in refused["detail"]
    assert after["checks"] == []


@pytest.mark.parametrize(
    ("role", "method", "status"),
    [
        ("viewer", "put", 403),
        ("operator", "put", 403),
        ("acc-admin", "get", 403),
        ("acc-admin", "put", 403),
        (None, "get", 401),
        (None, "put", 401),
    ],
)
def test_who_may_read_and_replace_checks(
    admin: Admin, role: str | None, method: str, status: int
) -> None:
    with admin.client(role) as client:
        answer = client.request(method.upper(), checks_url("consent"), json={"checks": []})

    problem(answer, status)


def test_checks_of_an_unknown_item_or_environment_are_404(admin: Admin) -> None:
    with admin.client() as client:
        problem(client.get(f"{PROD}/items/{'f' * 32}/checks"), 404)
        item_id = ids.item_id("prod", "consent")
        problem(
            client.put(f"{ADMIN}/dashboards/nope/items/{item_id}/checks", json={"checks": []}), 404
        )


def test_other_methods_are_405_with_allow(admin: Admin) -> None:
    with admin.client() as client:
        answer = client.delete(checks_url("consent"))

    problem(answer, 405)
    assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT"}
