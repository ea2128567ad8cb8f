"""Cross-site request forgery, held: every form of the admin UI, found in the application's own
route table, is sent by a signed-in browser without this session's token, with another
session's token, and with the right token from another site. Each is refused (403) and nothing
changes: not the audit log, which every write adds to, and not who is signed in. The same form
with this session's token from this site does its work, so the refusals are the token's doing.

A POST route of the UI without a case below fails `test_every_form_of_the_ui_is_attacked_here`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from integration.web.conftest import csrf_of
from security.conftest import ADMIN_API, PROD_ITEM, HeldServer, signed_in
from status_dashboard.bootstrap import ServerRuntime, open_stores
from status_dashboard.config import Settings

ENV = f"{ADMIN_API}/dashboards/prod"
FOREIGN_SITE = "https://evil.example"

Fill = Callable[[HeldServer, httpx.Client], tuple[str, dict[str, str]]]


@dataclass(frozen=True)
class Form:
    route: str
    """The route's path as the application declares it."""
    does: str
    user: str | None
    """Who sends it: a user name, or None for a visitor not signed in."""
    fill: Fill
    """The address and fields of the form, filled in as the user's own page would."""

    def __str__(self) -> str:
        return self.does


def _token_on(client: httpx.Client, page: str) -> str:
    return csrf_of(client.get(page).text)


def _later(days: int, hour: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime(f"%Y-%m-%dT{hour:02}:00")


def _created(server: HeldServer, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    with server.api() as api:
        answer = api.request(method, path, json=body)
    assert answer.status_code in (200, 201), answer.text
    created: dict[str, Any] = answer.json()
    return created


def _new_incident(server: HeldServer) -> int:
    body = {"title": "CSRF target", "item_ids": [PROD_ITEM], "message": "opened for the test"}
    return int(_created(server, "POST", f"{ENV}/incidents", body)["id"])


def _new_window(server: HeldServer) -> int:
    start = datetime.now(UTC) + timedelta(days=3)
    body = {
        "title": "CSRF target window",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    return int(_created(server, "POST", f"{ENV}/maintenance", body)["id"])


def _item_version(server: HeldServer) -> str:
    with server.api() as api:
        answer = api.get(f"{ENV}/items/{PROD_ITEM}")
    assert answer.status_code == 200, answer.text
    return answer.headers["etag"]


def _sign_in_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    from integration.web.ui_server import PASSWORDS

    token = _token_on(client, "/admin/login")
    return "/admin/login", {
        "csrf_token": token,
        "name": "alice",
        "password": PASSWORDS["alice"],
        "next": "/admin",
    }


def _sign_out_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    return "/admin/logout", {"csrf_token": _token_on(client, "/admin")}


def _override_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    return f"/admin/env/prod/items/{PROD_ITEM}/override", {
        "csrf_token": _token_on(client, "/admin/env/prod"),
        "version": _item_version(server),
        "status_code": "2",
        "description": "set through a form",
        "expires_at": "",
        "back": "board",
    }


def _clear_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    _created(server, "PATCH", f"{ENV}/items/{PROD_ITEM}", {"status_code": 2})
    return f"/admin/env/prod/items/{PROD_ITEM}/clear", {
        "csrf_token": _token_on(client, "/admin/env/prod"),
        "version": _item_version(server),
        "back": "board",
    }


def _incident_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    return "/admin/env/prod/incidents", {
        "csrf_token": _token_on(client, "/admin/env/prod/incidents/new"),
        "title": "Opened through a form",
        "impact": "minor",
        "state": "investigating",
        "item_ids": PROD_ITEM,
        "message": "Looking into it",
    }


def _update_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    page = f"/admin/env/prod/incidents/{_new_incident(server)}"
    return page + "/updates", {
        "csrf_token": _token_on(client, page),
        "state": "identified",
        "message": "Found it",
    }


def _window_fields(client: httpx.Client, page: str) -> dict[str, str]:
    return {
        "csrf_token": _token_on(client, page),
        "title": "Scheduled through a form",
        "starts_at": _later(4, 10),
        "ends_at": _later(4, 12),
        "impact": "minor",
        "description": "Short outages",
    }


def _schedule_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    return "/admin/env/prod/maintenance", _window_fields(client, "/admin/env/prod/maintenance/new")


def _edit_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    window = f"/admin/env/prod/maintenance/{_new_window(server)}"
    return window, _window_fields(client, window + "/edit")


def _cancel_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    window = f"/admin/env/prod/maintenance/{_new_window(server)}"
    return window + "/cancel", {"csrf_token": _token_on(client, "/admin/env/prod/maintenance")}


def _new_user(server: HeldServer) -> int:
    body = {
        "name": f"csrf-{secrets.token_hex(4)}",
        "role": "viewer",
        "password": "a target pass phrase",
    }
    return int(_created(server, "POST", f"{ADMIN_API}/users", body)["id"])


def _create_user_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    return "/admin/users", {
        "csrf_token": _token_on(client, "/admin/users"),
        "name": f"made-{secrets.token_hex(4)}",
        "role": "viewer",
        "password": "a form pass phrase",
    }


def _role_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    page = f"/admin/users/{_new_user(server)}"
    return page + "/role", {"csrf_token": _token_on(client, "/admin/users"), "role": "admin"}


def _disabled_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    page = f"/admin/users/{_new_user(server)}"
    return page + "/disabled", {"csrf_token": _token_on(client, "/admin/users"), "disabled": "yes"}


def _password_form(server: HeldServer, client: httpx.Client) -> tuple[str, dict[str, str]]:
    page = f"/admin/users/{_new_user(server)}"
    return page + "/password", {
        "csrf_token": _token_on(client, "/admin/users"),
        "password": "another form pass phrase",
    }


FORMS = [
    Form("/admin/login", "signing in", None, _sign_in_form),
    Form("/admin/logout", "signing out", "alice", _sign_out_form),
    Form(
        "/admin/env/{environment}/items/{item_id}/override",
        "setting an override",
        "alice",
        _override_form,
    ),
    Form(
        "/admin/env/{environment}/items/{item_id}/clear",
        "clearing an override",
        "alice",
        _clear_form,
    ),
    Form("/admin/env/{environment}/incidents", "opening an incident", "alice", _incident_form),
    Form(
        "/admin/env/{environment}/incidents/{incident_id}/updates",
        "posting an incident update",
        "alice",
        _update_form,
    ),
    Form("/admin/env/{environment}/maintenance", "scheduling maintenance", "alice", _schedule_form),
    Form(
        "/admin/env/{environment}/maintenance/{window_id}",
        "editing maintenance",
        "alice",
        _edit_form,
    ),
    Form(
        "/admin/env/{environment}/maintenance/{window_id}/cancel",
        "cancelling maintenance",
        "alice",
        _cancel_form,
    ),
    Form("/admin/users", "creating a user", "ada", _create_user_form),
    Form("/admin/users/{user_id:int}/role", "changing a user's role", "ada", _role_form),
    Form("/admin/users/{user_id:int}/disabled", "disabling a user", "ada", _disabled_form),
    Form("/admin/users/{user_id:int}/password", "setting a user's password", "ada", _password_form),
]
NOT_A_FORM = {"/admin/{rest:path}": "the UI's 404 page for any other address"}
"""POST routes of the UI that take no form: they answer 404 and write nothing."""
BEARER_ONLY = ("/api/admin/v1/", "/api/v1/push/")
"""POST routes outside the UI: they read no cookie (a bearer token, or the push check's own
token in the path), so a forged cross-site request carries no credential to them."""


@dataclass(frozen=True)
class Forgery:
    does: str
    alter: Callable[[HeldServer, dict[str, str]], tuple[dict[str, str], dict[str, str]]]
    """(fields, headers) of the forged request, from the genuine form's fields."""

    def __str__(self) -> str:
        return self.does


def _without_token(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return {k: v for k, v in data.items() if k != "csrf_token"}, {}


def _with_an_empty_token(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return {**data, "csrf_token": ""}, {}


def _with_a_made_up_token(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return {**data, "csrf_token": "x" * len(data["csrf_token"])}, {}


def _with_another_sessions_token(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    # The attacker's own session: a real token, but not the victim's.
    with signed_in(server, "victor") as attacker:
        stolen = _token_on(attacker, "/admin")
    return {**data, "csrf_token": stolen}, {}


def _from_another_origin(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return data, {"Origin": FOREIGN_SITE}


def _from_an_opaque_origin(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return data, {"Origin": "null"}


def _referred_by_another_site(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    return data, {"Referer": f"{FOREIGN_SITE}/admin/page"}


def _from_a_look_alike_host(
    server: HeldServer, data: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    host = server.url.removeprefix("http://")
    return data, {"Origin": f"http://{host}.evil.example"}


FORGERIES = [
    Forgery("without the token", _without_token),
    Forgery("with an empty token", _with_an_empty_token),
    Forgery("with a made-up token", _with_a_made_up_token),
    Forgery("with another session's token", _with_another_sessions_token),
    Forgery("with the right token from another origin", _from_another_origin),
    Forgery("with the right token from an opaque origin", _from_an_opaque_origin),
    Forgery("with the right token referred by another site", _referred_by_another_site),
    Forgery("with the right token from a look-alike host", _from_a_look_alike_host),
]


def ui_post_routes(server: HeldServer) -> dict[str, BaseRoute]:
    """Every route of the served application that takes a POST, by path: the same composition
    (bootstrap's ServerRuntime) as `serve`, on the same database, read and not started."""
    settings = Settings(
        database_url=SecretStr(server.ui.database_url),
        monitor=False,
        session_secret=SecretStr(secrets.token_urlsafe(48)),
    )
    runtime = ServerRuntime(settings, open_stores(settings))
    try:
        routes = _starlette_of(runtime.app()).routes
    finally:
        runtime.stores.close()
    return {
        route.path: route
        for route in routes
        if isinstance(route, Route) and route.methods is not None and "POST" in route.methods
    }


def _starlette_of(app: object) -> Starlette:
    """The Starlette application inside the service's ASGI wrappers (each keeps the one it wraps)."""
    inner = app
    for _ in range(10):
        if isinstance(inner, Starlette):
            return inner
        inner = next(getattr(inner, name) for name in ("_routes", "_app") if hasattr(inner, name))
    raise AssertionError("no Starlette application inside the service's")


def _state(server: HeldServer, client: httpx.Client) -> tuple[list[int], int]:
    """What a form may change: the audit log's entries, and whether `client` is signed in
    (/admin answers 200 to a session, 303 to the sign-in form otherwise)."""
    return [entry["id"] for entry in server.audit()], client.get("/admin").status_code


def test_every_form_of_the_ui_is_attacked_here(held: HeldServer) -> None:
    posts = ui_post_routes(held)
    ui = {path for path in posts if path == "/admin" or path.startswith("/admin/")}
    assert ui == {form.route for form in FORMS} | set(NOT_A_FORM)
    others = set(posts) - ui
    assert all(path.startswith(BEARER_ONLY) for path in others), sorted(others)


@pytest.mark.parametrize("forgery", FORGERIES, ids=str)
@pytest.mark.parametrize("form", FORMS, ids=str)
def test_a_forged_form_is_refused_and_changes_nothing(
    held: HeldServer, form: Form, forgery: Forgery
) -> None:
    with _as(held, form.user) as browser:
        path, genuine = form.fill(held, browser)
        fields, headers = forgery.alter(held, genuine)
        before = _state(held, browser)
        answer = browser.post(path, data=fields, headers=headers)
        assert answer.status_code == 403, answer.text
        assert _state(held, browser) == before


@pytest.mark.parametrize("form", FORMS, ids=str)
def test_the_genuine_form_does_its_work(held: HeldServer, form: Form) -> None:
    with _as(held, form.user) as browser:
        path, genuine = form.fill(held, browser)
        before = _state(held, browser)
        answer = browser.post(path, data=genuine, headers={"Origin": held.url})
        assert answer.status_code == 303, answer.text
        assert _state(held, browser) != before


@pytest.mark.parametrize("route", sorted(NOT_A_FORM))
def test_a_post_to_a_route_without_a_form_writes_nothing(held: HeldServer, route: str) -> None:
    with signed_in(held, "alice") as browser:
        before = _state(held, browser)
        answer = browser.post("/admin/no-such-form", data={"title": "x"})
        assert answer.status_code == 404
        assert _state(held, browser) == before


def _as(server: HeldServer, user: str | None) -> Any:
    return server.browser() if user is None else signed_in(server, user)
