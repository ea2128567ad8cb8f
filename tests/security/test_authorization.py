"""Who may do what on the admin API (docs/design.md §7), against a real server on SQLite with the
demo catalog.

The table gives every route of the admin route table the role it needs and what its request
reaches: one environment (`acc`, `prod`), every environment (`all`: an unscoped token, a new
environment), or only what the asker sees (`own`: a list filtered to its environments). Each
route is asked by every role, unscoped and limited to `acc`, about each thing it can reach; the
answer must be the route's success, or 403 (404 where a thing beyond reach is not shown at all).
A route added to the route table without a row here fails the first test.

Then the escalations a token limited to `acc` once had, replayed one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from status_dashboard.api.admin.routes import ROUTES

from support.admin import ROLES, Admin, admin_server
from support.sandbox import API, Sandbox, answer, window_body

SCOPE = "acc"
OTHER = "prod"
ENVIRONMENTS = (SCOPE, OTHER)
ALL = "all"  # the request reaches every environment, present and future
OWN = "own"  # the request reaches only what the asker sees
RANK = {role: rank for rank, role in enumerate(ROLES)}

P = API
E = API + "/dashboards/{environment}"
I = E + "/items/{item_id}"  # noqa: E741 (a path, read beside P and E)


@dataclass(frozen=True)
class Asker:
    role: str
    scope: str | None

    @property
    def token(self) -> str:
        return self.role if self.scope is None else f"{self.scope}-{self.role}"

    def reaches(self, target: str) -> bool:
        return self.scope is None or target in (OWN, self.scope)


ASKERS = [Asker(role, scope) for scope in (None, SCOPE) for role in ROLES]


@dataclass(frozen=True)
class Call:
    path: str
    json: Any = None
    params: dict[str, str] | None = None


Build = Callable[[Sandbox, str], Call]


@dataclass(frozen=True)
class Row:
    needs: str
    success: int
    targets: tuple[str, ...]
    build: Build
    hidden: bool = False
    """Beyond the asker's reach, the thing is not shown at all: 404, not 403."""

    def expected(self, asker: Asker, target: str) -> int:
        if RANK[asker.role] < RANK[self.needs]:
            return 403
        if not asker.reaches(target):
            return 404 if self.hidden else 403
        return self.success


def _item(s: Sandbox, env: str, item: str | None = None, tail: str = "") -> str:
    return f"{API}/dashboards/{env}/items/{item or s.item(env)}{tail}"


def _env(env: str, tail: str) -> str:
    return f"{API}/dashboards/{env}{tail}"


def _token_call(s: Sandbox, target: str) -> Call:
    body: dict[str, Any] = {"name": s.unique("minted"), "role": "viewer"}
    if target != ALL:
        body["environments"] = [target]
    return Call(f"{API}/tokens", body)


def _audit_call(s: Sandbox, target: str) -> Call:
    return Call(f"{API}/audit", params=None if target == OWN else {"environment": target})


def _revoke_call(s: Sandbox, target: str) -> Call:
    token = s.fresh_token(None if target == ALL else [target])
    return Call(f"{API}/tokens/{token}")


def _delete_environment_call(s: Sandbox, target: str) -> Call:
    return Call(f"{API}/environments/{s.fresh_environment()}")


ONCE = (OWN,)
EACH = ENVIRONMENTS

TABLE: dict[tuple[str, str], Row] = {
    (P + "/me", "GET"): Row("viewer", 200, ONCE, lambda s, t: Call(f"{API}/me")),
    # operators' items
    (I, "GET"): Row("viewer", 200, EACH, lambda s, env: Call(_item(s, env))),
    (I, "PATCH"): Row(
        "operator", 200, EACH, lambda s, env: Call(_item(s, env), {"status_code": 2})
    ),
    (I, "DELETE"): Row("admin", 200, EACH, lambda s, env: Call(_item(s, env, s.fresh_item(env)))),
    (I + "/override", "DELETE"): Row(
        "operator", 200, EACH, lambda s, env: Call(_item(s, env, s.override(env), "/override"))
    ),
    (I + "/history", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_item(s, env, None, "/history"))
    ),
    (I + "/checks", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_item(s, env, None, "/checks"))
    ),
    (I + "/checks", "PUT"): Row(
        "admin", 200, EACH, lambda s, env: Call(_item(s, env, None, "/checks"), {"checks": []})
    ),
    # incidents and maintenance
    (E + "/incidents", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_env(env, "/incidents"))
    ),
    (E + "/incidents", "POST"): Row(
        "operator", 201, EACH, lambda s, env: Call(_env(env, "/incidents"), s.incident_body(env))
    ),
    (E + "/incidents/{incident_id}", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_env(env, f"/incidents/{s.incident(env)}"))
    ),
    (E + "/incidents/{incident_id}/updates", "POST"): Row(
        "operator",
        201,
        EACH,
        lambda s, env: Call(
            _env(env, f"/incidents/{s.incident(env)}/updates"),
            {"state": "monitoring", "message": "Watching"},
        ),
    ),
    (E + "/maintenance", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_env(env, "/maintenance"))
    ),
    (E + "/maintenance", "POST"): Row(
        "operator", 201, EACH, lambda s, env: Call(_env(env, "/maintenance"), window_body())
    ),
    (E + "/maintenance/{window_id}", "PUT"): Row(
        "operator",
        200,
        EACH,
        lambda s, env: Call(_env(env, f"/maintenance/{s.fresh_window(env)}"), window_body()),
    ),
    (E + "/maintenance/{window_id}", "DELETE"): Row(
        "operator", 200, EACH, lambda s, env: Call(_env(env, f"/maintenance/{s.fresh_window(env)}"))
    ),
    (E + "/clients", "GET"): Row("viewer", 200, EACH, lambda s, env: Call(_env(env, "/clients"))),
    # audit and tokens
    (P + "/audit", "GET"): Row("admin", 200, (OWN, *ENVIRONMENTS), _audit_call),
    (P + "/tokens", "GET"): Row("admin", 200, ONCE, lambda s, t: Call(f"{API}/tokens")),
    (P + "/tokens", "POST"): Row("admin", 201, (*ENVIRONMENTS, ALL), _token_call),
    (P + "/tokens/{token_id}", "DELETE"): Row(
        "admin", 200, (*ENVIRONMENTS, ALL), _revoke_call, hidden=True
    ),
    # the catalog
    (P + "/environments", "GET"): Row(
        "viewer", 200, ONCE, lambda s, t: Call(f"{API}/environments")
    ),
    (P + "/environments", "POST"): Row(
        "admin",
        201,
        (ALL,),
        lambda s, t: Call(f"{API}/environments", {"key": s.unique("new"), "name": "New"}),
    ),
    (P + "/environments/{environment}", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(f"{API}/environments/{env}")
    ),
    (P + "/environments/{environment}", "PATCH"): Row(
        "admin",
        200,
        EACH,
        lambda s, env: Call(f"{API}/environments/{env}", {"name": s.environment_name(env)}),
    ),
    (P + "/environments/{environment}", "DELETE"): Row(
        "admin", 200, (ALL,), _delete_environment_call
    ),
    (E + "/groups", "GET"): Row("viewer", 200, EACH, lambda s, env: Call(_env(env, "/groups"))),
    (E + "/groups", "POST"): Row(
        "admin",
        201,
        EACH,
        lambda s, env: Call(_env(env, "/groups"), {"key": s.unique("group"), "name": "New"}),
    ),
    (E + "/groups/{group_id}", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_env(env, f"/groups/{s.group(env)['id']}"))
    ),
    (E + "/groups/{group_id}", "PATCH"): Row(
        "admin",
        200,
        EACH,
        lambda s, env: Call(_env(env, f"/groups/{s.group(env)['id']}"), {"name": "Sandbox"}),
    ),
    (E + "/groups/{group_id}", "DELETE"): Row(
        "admin", 200, EACH, lambda s, env: Call(_env(env, f"/groups/{s.fresh_group(env)}"))
    ),
    (E + "/items", "GET"): Row("viewer", 200, EACH, lambda s, env: Call(_env(env, "/items"))),
    (E + "/items", "POST"): Row(
        "admin",
        201,
        EACH,
        lambda s, env: Call(
            _env(env, "/items"),
            {"key": s.unique("item"), "group": s.group(env)["key"], "name": "New"},
        ),
    ),
    (I + "/definition", "GET"): Row(
        "viewer", 200, EACH, lambda s, env: Call(_item(s, env, None, "/definition"))
    ),
    (I + "/definition", "PATCH"): Row(
        "admin",
        200,
        EACH,
        lambda s, env: Call(_item(s, env, None, "/definition"), {"name": "Sandbox"}),
    ),
    # Users span every environment: only an unscoped admin manages them.
    (P + "/users", "GET"): Row("admin", 200, (ALL,), lambda s, t: Call(f"{API}/users")),
    (P + "/users", "POST"): Row(
        "admin",
        201,
        (ALL,),
        lambda s, t: Call(
            f"{API}/users",
            {"name": s.unique("new"), "role": "viewer", "password": "a new pass phrase"},
        ),
    ),
    (P + "/users/{user}", "GET"): Row(
        "admin", 200, (ALL,), lambda s, t: Call(f"{API}/users/{s.fresh_user()}")
    ),
    (P + "/users/{user}", "PATCH"): Row(
        "admin",
        200,
        (ALL,),
        lambda s, t: Call(f"{API}/users/{s.fresh_user()}", {"role": "operator"}),
    ),
    (P + "/users/{user}/password", "POST"): Row(
        "admin",
        200,
        (ALL,),
        lambda s, t: Call(
            f"{API}/users/{s.fresh_user()}/password", {"password": "another pass phrase"}
        ),
    ),
}


def _route_table() -> set[tuple[str, str]]:
    return {(route.path, method) for route in ROUTES for method in route.methods or ()}


def _cases() -> list[tuple[str, str]]:
    """Every (path, method) of the table, HEAD beside each GET (it answers as GET does)."""
    return [
        (path, verb)
        for path, method in TABLE
        for verb in ((method, "HEAD") if method == "GET" else (method,))
    ]


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp("authorization")
    scoped = {f"{SCOPE}-{role}": (role, SCOPE) for role in ROLES}
    with admin_server("sqlite", directory, default_role="admin", scoped=scoped) as admin:
        yield admin


@pytest.fixture(scope="module")
def sandbox(admin: Admin) -> Iterator[Sandbox]:
    with admin.client("admin") as client:
        yield Sandbox(client)


@pytest.fixture(scope="module")
def askers(admin: Admin) -> Iterator[dict[Asker, httpx.Client]]:
    """A client per asker, kept for the module: the table asks several hundred times."""
    clients = {asker: admin.client(asker.token) for asker in ASKERS}
    yield clients
    for client in clients.values():
        client.close()


def test_every_admin_route_has_a_row_in_the_table() -> None:
    assert _route_table() == set(_cases())


@pytest.mark.parametrize(("path", "method"), _cases(), ids=[f"{m} {p}" for p, m in _cases()])
def test_each_role_and_scope_gets_what_the_table_says(
    askers: dict[Asker, httpx.Client], sandbox: Sandbox, path: str, method: str
) -> None:
    row = TABLE[(path, "GET" if method == "HEAD" else method)]
    expected, got = {}, {}
    for asker, client in askers.items():
        for target in row.targets:
            call = row.build(sandbox, target)
            response = client.request(method, call.path, json=call.json, params=call.params)
            case = f"{asker.token} on {target}"
            expected[case], got[case] = row.expected(asker, target), response.status_code
    assert got == expected


# -- the escalations, replayed --------------------------------------------------------------


def _problem(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail: str = response.json()["detail"]
    return detail


@pytest.mark.parametrize(
    "environments", [None, [OTHER], [SCOPE, OTHER]], ids=["unscoped", "prod", "acc+prod"]
)
def test_a_scoped_admin_cannot_mint_a_token_beyond_its_environments(
    admin: Admin, environments: list[str] | None
) -> None:
    body = {"name": f"escape-{environments}", "role": "admin", "environments": environments}
    with admin.client("acc-admin") as client:
        detail = _problem(client.post(f"{API}/tokens", json=body), 403)
        minted = [t["name"] for t in answer(client.get(f"{API}/tokens"), 200)["items"]]
    assert detail.startswith("environments:")
    assert body["name"] not in minted


def test_a_scoped_admin_mints_tokens_within_its_environments_only(admin: Admin) -> None:
    body = {"name": "acc-deploy", "role": "admin", "environments": [SCOPE]}
    with admin.client("acc-admin") as client:
        secret = answer(client.post(f"{API}/tokens", json=body), 201)["token"]
    with httpx.Client(
        base_url=admin.server.url, headers={"Authorization": f"Bearer {secret}"}
    ) as minted:
        assert answer(minted.get(f"{API}/me"), 200)["environments"] == [SCOPE]
        _problem(minted.patch(f"{API}/environments/{OTHER}", json={"name": "Mine"}), 403)


def test_a_scoped_admin_sees_only_the_tokens_within_its_environments(
    admin: Admin, sandbox: Sandbox
) -> None:
    sandbox.fresh_token([SCOPE])
    sandbox.fresh_token([SCOPE, OTHER])
    sandbox.fresh_token([OTHER])
    with admin.client("acc-admin") as client:
        seen = answer(client.get(f"{API}/tokens"), 200)["items"]
    with admin.client("admin") as client:
        everything = answer(client.get(f"{API}/tokens"), 200)["items"]

    assert {t["name"] for t in seen} >= {"acc-viewer", "acc-operator", "acc-admin"}
    assert all(t["environments"] == [SCOPE] for t in seen), seen
    assert {tuple(t["environments"] or ("*",)) for t in everything} >= {
        ("*",), (SCOPE, ), (SCOPE, OTHER), (OTHER,)
    }  # fmt: skip


def test_a_scoped_admin_cannot_revoke_a_token_beyond_its_environments(
    admin: Admin, sandbox: Sandbox
) -> None:
    with admin.client("admin") as client:
        tokens = answer(client.get(f"{API}/tokens"), 200)["items"]
    unscoped_admin = next(t["id"] for t in tokens if t["name"] == "t-admin")
    prod_only = sandbox.fresh_token([OTHER])

    with admin.client("acc-admin") as client:
        for token_id in (unscoped_admin, prod_only):
            _problem(client.delete(f"{API}/tokens/{token_id}"), 404)
    with admin.client("admin") as client:
        still = answer(client.get(f"{API}/tokens"), 200)["items"]
        assert answer(client.get(f"{API}/me"), 200)["name"] == "t-admin"

    assert all(t["revoked_at"] is None for t in still if t["id"] in (unscoped_admin, prod_only))


def test_a_scoped_admin_reads_only_its_environments_audit_entries(
    admin: Admin, sandbox: Sandbox
) -> None:
    sandbox.override(OTHER)
    sandbox.override(SCOPE)
    sandbox.fresh_token(None)  # an entry of no environment
    with admin.client("acc-admin") as client:
        _problem(client.get(f"{API}/audit", params={"environment": OTHER}), 403)
        unfiltered = answer(client.get(f"{API}/audit", params={"limit": 500}), 200)["items"]
        filtered = answer(client.get(f"{API}/audit", params={"environment": SCOPE}), 200)["items"]
    with admin.client("admin") as client:
        everything = answer(client.get(f"{API}/audit", params={"limit": 500}), 200)["items"]

    assert unfiltered, "the scoped admin sees the entries of its own environment"
    assert {e["environment"] for e in unfiltered} == {SCOPE}
    assert {e["environment"] for e in filtered} == {SCOPE}
    assert {OTHER, SCOPE, None} <= {e["environment"] for e in everything}


@pytest.mark.parametrize("tail", ["/history", ""])
def test_a_scoped_principal_cannot_read_another_environments_item_or_history(
    admin: Admin, sandbox: Sandbox, tail: str
) -> None:
    path = f"{API}/dashboards/{OTHER}/items/{sandbox.item(OTHER)}{tail}"
    for role in ROLES:
        with admin.client(f"acc-{role}") as client:
            _problem(client.get(path), 403)


def test_a_scoped_principal_cannot_read_another_environments_client_register(
    admin: Admin,
) -> None:
    for role in ROLES:
        with admin.client(f"acc-{role}") as client:
            _problem(client.get(f"{API}/dashboards/{OTHER}/clients"), 403)


def test_a_scoped_admin_cannot_change_or_delete_another_environment_nor_its_own(
    admin: Admin,
) -> None:
    with admin.client("acc-admin") as client:
        _problem(client.patch(f"{API}/environments/{OTHER}", json={"name": "Mine"}), 403)
        for env in (OTHER, SCOPE):
            detail = _problem(client.delete(f"{API}/environments/{env}"), 403)
        assert "unscoped" in detail
    with admin.client("admin") as client:
        keys = [e["key"] for e in answer(client.get(f"{API}/environments"), 200)["items"]]
    assert {OTHER, SCOPE} <= set(keys)


def test_a_scoped_admin_cannot_create_an_environment_not_even_one_it_was_granted(
    admin: Admin, sandbox: Sandbox
) -> None:
    """A token may name environments that do not exist yet; it still may not make them."""
    body = {"name": "acc-and-qa", "role": "admin", "environments": [SCOPE, "qa"]}
    secret = answer(sandbox.client.post(f"{API}/tokens", json=body), 201)["token"]
    with httpx.Client(
        base_url=admin.server.url, headers={"Authorization": f"Bearer {secret}"}
    ) as client:
        _problem(client.post(f"{API}/environments", json={"key": "qa", "name": "QA"}), 403)
    with admin.client("admin") as client:
        _problem(client.get(f"{API}/environments/qa"), 404)


def test_a_scoped_admin_cannot_take_a_group_from_another_environment(
    admin: Admin, sandbox: Sandbox
) -> None:
    stolen = sandbox.group(OTHER)
    body = {"key": "taken", "name": "Taken", "id": stolen["id"]}
    with admin.client("acc-admin") as client:
        detail = _problem(client.post(f"{API}/dashboards/{SCOPE}/groups", json=body), 409)
    with admin.client("admin") as client:
        answer(client.get(f"{API}/dashboards/{OTHER}/groups/{stolen['id']}"), 200)
    assert OTHER not in detail, "the refusal does not tell what another environment holds"


@pytest.mark.parametrize("kind", ["incidents", "maintenance"])
def test_a_scoped_operator_cannot_name_another_environments_items(
    admin: Admin, sandbox: Sandbox, kind: str
) -> None:
    body = sandbox.incident_body(OTHER) if kind == "incidents" else window_body()
    body["item_ids"] = [sandbox.item(OTHER)]
    with admin.client("acc-operator") as client:
        refused = client.post(f"{API}/dashboards/{SCOPE}/{kind}", json=body)
        listed = answer(client.get(f"{API}/dashboards/{SCOPE}/{kind}"), 200)["items"]
    assert refused.status_code in (400, 404), refused.text
    assert all(sandbox.item(OTHER) not in entry["item_ids"] for entry in listed)
