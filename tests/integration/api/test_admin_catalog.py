"""Catalog management over real HTTP: environments, groups and items change what the public
dashboard shows as soon as the request returns, each write audited — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from status_dashboard.domain import ids

from support.admin import Admin, admin_server
from support.server import RunningServer

ADMIN = "/api/admin/v1"
PROD = ADMIN + "/dashboards/prod"
IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, "eHealth IDP - ... Authorization management"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"catalog-{request.param}")
    scoped = {"acc-admin": ("admin", "acc")}
    with admin_server(request.param, directory, default_role="admin", scoped=scoped) as admin:
        yield admin


def _public(server: RunningServer, env: str = "") -> list[dict[str, Any]]:
    with server.client() as client:
        response = client.get(f"/api/v1/dashboard{env}")
    assert response.status_code == 200, response.text
    groups: list[dict[str, Any]] = response.json()["groups"]
    return groups


def _public_group(server: RunningServer, group_id: str) -> dict[str, Any] | None:
    return next((g for g in _public(server) if g["id"] == group_id), None)


def _public_item(server: RunningServer, item_id: str) -> dict[str, Any] | None:
    return next((i for g in _public(server) for i in g["items"] if i["id"] == item_id), None)


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _audit(admin: Admin, action: str, target: str) -> list[dict[str, Any]]:
    with admin.client() as client:
        page = _ok(client.get(ADMIN + "/audit", params={"action": action, "target": target}))
    entries: list[dict[str, Any]] = page["items"]
    return entries


def _new_group(client: httpx.Client, key: str, **fields: object) -> dict[str, Any]:
    return _ok(
        client.post(PROD + "/groups", json={"key": key, "name": f"Group {key}", **fields}), 201
    )


def _new_item(client: httpx.Client, key: str, group: str, **fields: object) -> dict[str, Any]:
    body = {"key": key, "group": group, "name": f"Service {key}", **fields}
    return _ok(client.post(PROD + "/items", json=body), 201)


# -- groups and items --------------------------------------------------------------------------


def test_a_new_group_and_item_appear_on_the_public_dashboard_at_once(admin: Admin) -> None:
    with admin.client() as client:
        group = _new_group(client, "partners", order=20)
        first = _new_item(client, "portal", "partners", order=2, status_code=1)
        second = _new_item(
            client, "registry", group["id"], order=1, status_code=2, description="Slow answers"
        )

    assert group["id"] == ids.group_id("prod", "partners")
    assert first["id"] == ids.item_id("prod", "portal")
    shown = _public_group(admin.server, group["id"])
    assert shown is not None
    assert shown["name"] == "Group partners"
    assert [(i["id"], i["order"], i["status_code"]) for i in shown["items"]] == [
        (second["id"], 1, 2),
        (first["id"], 2, 1),
    ]
    assert shown["items"][0]["description"] == "Slow answers"
    assert shown["status_code"] == 2


def test_renaming_an_item_keeps_its_id_and_its_status(admin: Admin) -> None:
    with admin.client() as client:
        _new_group(client, "renames")
        item = _new_item(client, "old-name", "renames", status_code=1)
        before = _public_item(admin.server, item["id"])
        renamed = _ok(
            client.patch(
                f"{PROD}/items/{item['id']}/definition",
                json={"name": "A better name", "translations": {"nl": {"name": "Een betere naam"}}},
            )
        )

    assert (renamed["id"], renamed["name"]) == (item["id"], "A better name")
    assert renamed["translations"] == {"nl": {"name": "Een betere naam", "description": None}}
    shown = _public_item(admin.server, item["id"])
    assert shown is not None
    assert before is not None
    assert (shown["name"], shown["status_code"]) == ("A better name", 1)
    assert shown["last_updated"] == before["last_updated"]


def test_an_item_moves_to_another_group_and_keeps_its_id(admin: Admin) -> None:
    with admin.client() as client:
        left, right = _new_group(client, "move-from"), _new_group(client, "move-to")
        item = _new_item(client, "mover", "move-from")
        moved = _ok(
            client.patch(f"{PROD}/items/{item['id']}/definition", json={"group": "move-to"})
        )

    assert moved["group"] == {"id": right["id"], "key": "move-to"}
    shown_left, shown_right = (_public_group(admin.server, g["id"]) for g in (left, right))
    assert shown_left is not None
    assert shown_right is not None
    assert shown_left["items"] == []
    assert [i["id"] for i in shown_right["items"]] == [item["id"]]


def test_a_group_is_renamed_and_reordered_without_changing_its_id(admin: Admin) -> None:
    with admin.client() as client:
        group = _new_group(client, "reorder", order=30)
        changed = _ok(
            client.patch(f"{PROD}/groups/{group['id']}", json={"name": "Renamed", "order": 1})
        )

    assert (changed["id"], changed["name"], changed["order"]) == (group["id"], "Renamed", 1)
    groups = _public(admin.server)
    # Order 1 is shared with the first demo group, and ties are sorted by key ("iam" first).
    assert groups[1]["id"] == group["id"]
    assert groups[1]["name"] == "Renamed"


def test_deleting_an_item_or_a_group_removes_it_from_the_public_dashboard(admin: Admin) -> None:
    with admin.client() as client:
        group = _new_group(client, "doomed")
        kept = _new_item(client, "doomed-a", "doomed")
        gone = _new_item(client, "doomed-b", "doomed")
        _ok(client.delete(f"{PROD}/items/{gone['id']}"))
        assert _public_item(admin.server, gone["id"]) is None
        assert _public_item(admin.server, kept["id"]) is not None
        _ok(client.delete(f"{PROD}/groups/{group['id']}"))
        _problem(client.delete(f"{PROD}/groups/{group['id']}"), 404)
        _problem(client.get(f"{PROD}/items/{kept['id']}/definition"), 404)

    assert _public_group(admin.server, group["id"]) is None
    assert _public_item(admin.server, kept["id"]) is None


def test_what_an_open_incident_names_cannot_be_deleted(admin: Admin) -> None:
    with admin.client() as client:
        group = _new_group(client, "incident-bound")
        item = _new_item(client, "incident-item", "incident-bound")
    with admin.client("operator") as operator:
        incident = _ok(
            operator.post(
                PROD + "/incidents",
                json={"title": "Down", "item_ids": [item["id"]], "message": "Looking into it"},
            ),
            201,
        )
    with admin.client() as client:
        item_refusal = _problem(client.delete(f"{PROD}/items/{item['id']}"), 409)
        group_refusal = _problem(client.delete(f"{PROD}/groups/{group['id']}"), 409)
        assert f"#{incident['id']}" in item_refusal["detail"]
        assert f"#{incident['id']}" in group_refusal["detail"]
        assert _public_item(admin.server, item["id"]) is not None
        resolved = client.post(
            f"{PROD}/incidents/{incident['id']}/updates",
            json={"state": "resolved", "message": "Fixed"},
        )
        assert resolved.status_code == 201, resolved.text
        _ok(client.delete(f"{PROD}/groups/{group['id']}"))

    assert _public_group(admin.server, group["id"]) is None


def test_reads_list_groups_and_items_for_a_viewer(admin: Admin) -> None:
    with admin.client("viewer") as client:
        groups = _ok(client.get(PROD + "/groups"))["items"]
        items = _ok(client.get(PROD + "/items"))["items"]
        envs = _ok(client.get(ADMIN + "/environments"))["items"]

    assert {"iam", "ehbox"} <= {g["key"] for g in groups}
    idp = next(i for i in items if i["id"] == IDP)
    assert idp["group"]["key"] == "iam"
    assert {"prod", "acc", "int"} <= {e["key"] for e in envs}


# -- access and bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_catalog_writes_need_the_admin_role(admin: Admin, role: str) -> None:
    group_id = _public(admin.server)[0]["id"]
    with admin.client(role) as client:
        for response in (
            client.post(ADMIN + "/environments", json={"key": "nope", "name": "Nope"}),
            client.patch(ADMIN + "/environments/prod", json={"name": "Nope"}),
            client.post(PROD + "/groups", json={"key": "nope", "name": "Nope"}),
            client.patch(f"{PROD}/groups/{group_id}", json={"name": "Nope"}),
            client.delete(f"{PROD}/groups/{group_id}"),
            client.post(PROD + "/items", json={"key": "nope", "group": "iam", "name": "Nope"}),
            client.patch(f"{PROD}/items/{IDP}/definition", json={"name": "Nope"}),
            client.delete(f"{PROD}/items/{IDP}"),
        ):
            _problem(response, 403)
    assert _public_item(admin.server, IDP) is not None


def test_a_token_limited_to_acc_may_not_change_the_prod_catalog(admin: Admin) -> None:
    with admin.client("acc-admin") as client:
        _problem(client.post(PROD + "/groups", json={"key": "nope", "name": "Nope"}), 403)
        envs = _ok(client.get(ADMIN + "/environments"))["items"]
        created = client.post(
            ADMIN + "/dashboards/acc/groups", json={"key": "acc-only", "name": "ACC only"}
        )

    assert [e["key"] for e in envs] == ["acc"]
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/groups", {"key": "Not A Key", "name": "x"}, "key"),
        ("/groups", {"key": "ok", "name": ""}, "name"),
        ("/groups", {"key": "ok", "name": "x" * 201}, "name"),
        ("/groups", {"key": "ok", "name": "x", "colour": "red"}, "colour"),
        ("/groups", {"key": "ok", "name": "x", "id": "short"}, "id"),
        ("/items", {"key": "ok", "group": "iam", "name": "x", "status_code": 4}, "status_code"),
        ("/items", {"key": "ok", "group": "iam", "name": "x", "description": "d" * 2001}, "description"),
        ("/items", {"key": "ok", "group": "iam", "name": "x", "translations": {"en": {"name": "x"}}}, "translations"),
        ("/items", {"key": "ok", "group": "nowhere", "name": "x"}, "group"),
        ("/items", {"key": "ok", "group": "iam", "name": "x", "order": 0}, "order"),
    ],
)  # fmt: skip
def test_bad_fields_are_400_naming_the_field(
    admin: Admin, path: str, body: dict[str, object], field: str
) -> None:
    with admin.client() as client:
        problem = _problem(client.post(PROD + path, json=body), 400)

    names = [issue["name"] for issue in problem["issues"]]
    assert any(name == field or name.startswith(field + ".") for name in names), problem


def test_a_taken_key_is_a_conflict_and_an_unknown_id_not_found(admin: Admin) -> None:
    with admin.client() as client:
        _problem(client.post(PROD + "/groups", json={"key": "iam", "name": "Again"}), 409)
        _problem(client.post(ADMIN + "/environments", json={"key": "prod", "name": "Again"}), 409)
        _problem(client.patch(f"{PROD}/groups/{'x' * 20}", json={"name": "x"}), 404)
        _problem(client.patch(f"{PROD}/items/{'0' * 32}/definition", json={"name": "x"}), 404)
        _problem(client.delete(f"{PROD}/items/{'0' * 32}"), 404)
        _problem(client.get(ADMIN + "/dashboards/nowhere/groups"), 404)
        _problem(client.patch(ADMIN + "/environments/prod", json={"default": False}), 409)


# -- audit ---------------------------------------------------------------------------------------


def test_every_catalog_write_is_audited_with_before_and_after(admin: Admin) -> None:
    with admin.client() as client:
        group = _new_group(client, "audited")
        item = _new_item(client, "audited-item", "audited")
        client.patch(f"{PROD}/items/{item['id']}/definition", json={"name": "Audited"})
        client.patch(f"{PROD}/groups/{group['id']}", json={"name": "Audited group"})
        client.delete(f"{PROD}/items/{item['id']}")
        client.delete(f"{PROD}/groups/{group['id']}")

    group_target, item_target = f"group:{group['id']}", f"item:{item['id']}"
    (created,) = _audit(admin, "catalog.group.create", group_target)
    assert (created["before"], created["after"]["name"]) == (None, "Group audited")
    assert created["actor"] == "token:t-admin"
    assert created["environment"] == "prod"
    (renamed,) = _audit(admin, "catalog.group.update", group_target)
    assert (renamed["before"]["name"], renamed["after"]["name"]) == (
        "Group audited",
        "Audited group",
    )
    (removed,) = _audit(admin, "catalog.group.delete", group_target)
    assert (removed["before"]["key"], removed["after"]) == ("audited", None)
    (item_created,) = _audit(admin, "catalog.item.create", item_target)
    assert item_created["after"]["group"] == "audited"
    (item_renamed,) = _audit(admin, "catalog.item.update", item_target)
    assert (item_renamed["before"]["name"], item_renamed["after"]["name"]) == (
        "Service audited-item",
        "Audited",
    )
    (item_removed,) = _audit(admin, "catalog.item.delete", item_target)
    assert item_removed["after"] is None


def test_a_write_that_changes_nothing_is_not_audited(admin: Admin) -> None:
    with admin.client() as client:
        group = _new_group(client, "unchanged")
        for _ in range(2):
            _ok(client.patch(f"{PROD}/groups/{group['id']}", json={"name": "Group unchanged"}))

    assert _audit(admin, "catalog.group.update", f"group:{group['id']}") == []


# -- environments --------------------------------------------------------------------------------


def test_a_new_environment_is_served_and_its_strictness_can_be_switched_on(admin: Admin) -> None:
    curl = {"User-Agent": "curl/8.5.0"}
    with admin.client() as client:
        created = _ok(
            client.post(ADMIN + "/environments", json={"key": "staging", "name": "Staging"}), 201
        )
        assert (created["strict"], created["default"]) == (False, False)
        with admin.server.client() as public:
            assert public.get("/api/v1/dashboard/staging", headers=curl).status_code == 200
        switched = _ok(client.patch(ADMIN + "/environments/staging", json={"strict": True}))
        assert switched["strict"] is True
        with admin.server.client() as public:
            refused = public.get("/api/v1/dashboard/staging", headers=curl)
            conforming = public.get("/api/v1/dashboard/staging")
        assert refused.status_code == 400, refused.text
        assert conforming.status_code == 200
        _ok(client.patch(ADMIN + "/environments/staging", json={"strict": False}))

    (entry,) = _audit(admin, "catalog.environment.create", "environment:staging")
    assert entry["after"]["key"] == "staging"
    updates = _audit(admin, "catalog.environment.update", "environment:staging")
    assert [(e["before"]["strict"], e["after"]["strict"]) for e in updates] == [
        (True, False),
        (False, True),
    ]


def test_an_environment_is_deleted_with_everything_in_it_unless_default_or_in_an_incident(
    admin: Admin,
) -> None:
    with admin.client() as client:
        _ok(client.post(ADMIN + "/environments", json={"key": "scratch", "name": "Scratch"}), 201)
        _ok(client.post(ADMIN + "/dashboards/scratch/groups", json={"key": "g", "name": "G"}), 201)
        made = _ok(
            client.post(
                ADMIN + "/dashboards/scratch/items", json={"key": "i", "group": "g", "name": "I"}
            ),
            201,
        )
        assert admin.server.client().get("/api/v1/dashboard/scratch").status_code == 200
        incident = _ok(
            client.post(
                ADMIN + "/dashboards/scratch/incidents",
                json={"title": "Down", "item_ids": [made["id"]], "message": "m"},
            ),
            201,
        )
        in_incident = _problem(client.delete(ADMIN + "/environments/scratch"), 409)
        client.post(
            ADMIN + f"/dashboards/scratch/incidents/{incident['id']}/updates",
            json={"state": "resolved", "message": "ok"},
        )
        default = _problem(client.delete(ADMIN + "/environments/prod"), 409)
        deleted = client.delete(ADMIN + "/environments/scratch")
        unknown = _problem(client.delete(ADMIN + "/environments/scratch"), 404)
    assert f"#{incident['id']}" in in_incident["detail"]
    assert "default" in default["detail"]
    assert deleted.status_code == 200, deleted.text
    assert admin.server.client().get("/api/v1/dashboard/scratch").status_code == 404
    assert unknown["status"] == 404
    (entry,) = _audit(admin, "catalog.environment.delete", "environment:scratch")
    assert entry["before"]["key"] == "scratch"
