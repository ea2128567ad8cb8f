"""SQL injection, held: classic payloads in every parameter of every read route, on SQLite and
PostgreSQL. Each answer is a 4xx, or a 200 that filters exactly by the text given (so no row of
another filter), never a 500; and the data are the same afterwards.

The admin API's and the public API's parameters come from the served OpenAPI document, so a new
parameter is attacked as soon as it is documented; the pages' parameters are listed below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from integration.web.conftest import csrf_of
from security.conftest import ADMIN_API, PROD_ITEM, HeldServer, signed_in
from status_dashboard.api.openapi import openapi_document

from support.server import CONFORMING_AGENT

PAYLOADS = [
    "' OR 1=1--",
    "' OR '1'='1",
    '" OR "1"="1',
    "1; DROP TABLE items",
    "1 OR 1=1",
    "1' UNION SELECT name, sql FROM sqlite_master--",
    "1) OR (1=1",
    "%27",
    "%27%20OR%201=1--",
    "\\' OR 1=1--",
    "\u02bc OR 1=1--",
    "\uff07 OR \uff11=\uff11--",
    "\u2019 OR \u20181\u2019=\u20181",
    "\x00",
    "prod\x00' OR 1=1--",
    "' OR 1=1; SELECT pg_sleep(0)--",
    "*",
    "%",
    "_",
]

TEXT_FILTERS = {
    ("/api/admin/v1/audit", "actor"): "actor",
    ("/api/admin/v1/audit", "action"): "action",
    ("/api/admin/v1/audit", "target"): "target",
    ("/api/admin/v1/audit", "environment"): "environment",
}
"""Parameters that filter by exact text: a 200 is right for them, with only the rows whose field
is that text (or a 400 naming the parameter, for a NUL). Every other parameter is typed (a number, a moment, a choice, a key, an id), and
a payload is none of these: 4xx."""

STREAMS = ("/stream",)


@dataclass(frozen=True)
class Target:
    path: str
    parameter: str
    where: str
    """query or path"""

    def __str__(self) -> str:
        return f"{self.where} {self.parameter} of {self.path}"


def documented_targets() -> list[Target]:
    """Every parameter of every GET of the OpenAPI document (query and path), but the live
    streams' (which answer until the client leaves; tests/integration/api/test_stream.py)."""
    targets = []
    for path, operations in openapi_document()["paths"].items():
        if path.endswith(STREAMS) or "get" not in operations:
            continue
        parameters = [*operations.get("parameters", []), *operations["get"].get("parameters", [])]
        for parameter in parameters:
            if parameter.get("in") in ("query", "path"):
                targets.append(Target(path, parameter["name"], parameter["in"]))
    return targets


TARGETS = documented_targets()


@dataclass(frozen=True)
class PageParameter:
    path: str
    parameter: str
    by: str | None
    """Who reads it: a user name (admin pages), or None (public pages)."""

    def __str__(self) -> str:
        return f"{self.parameter} of {self.path}"


PAGE_PARAMETERS = [
    PageParameter("/", "lang", None),
    PageParameter("/history", "before", None),
    PageParameter("/prod/history", "before", None),
    PageParameter(f"/items/{PROD_ITEM}", "before", None),
    PageParameter("/badges/prod.svg", "label", None),
    PageParameter("/badges/prod.svg", "style", None),
    PageParameter(f"/badges/items/{PROD_ITEM}.svg", "style", None),
    PageParameter("/feeds/prod.atom", "since", None),
    PageParameter("/admin/audit", "actor", "ada"),
    PageParameter("/admin/audit", "action", "ada"),
    PageParameter("/admin/audit", "target", "ada"),
    PageParameter("/admin/audit", "cursor", "ada"),
    PageParameter("/admin/env/prod/incidents", "cursor", "alice"),
    PageParameter("/admin/env/prod/maintenance", "cursor", "alice"),
    PageParameter(f"/admin/env/prod/items/{PROD_ITEM}", "cursor", "alice"),
]
PATH_SEGMENTS = [
    "/{}",
    "/{}/history",
    "/items/{}",
    "/feeds/{}.atom",
    "/feeds/{}.rss",
    "/feeds/{}.ics",
    "/badges/{}.svg",
    "/badges/items/{}.svg",
    "/admin/env/{}",
    "/admin/env/prod/items/{}",
    "/admin/env/prod/incidents/{}",
    "/admin/env/prod/maintenance/{}/edit",
]
"""Pages whose address carries a key or an id."""


def _defaults(server: HeldServer) -> dict[str, str]:
    """A valid value for each path parameter, so that only the one attacked is wrong."""
    found: dict[str, str] = server.__dict__.get("sql_defaults", {})
    if found:
        return found
    with server.api() as api:
        incident = api.post(
            f"{ADMIN_API}/dashboards/prod/incidents",
            json={"title": "Injection target", "item_ids": [PROD_ITEM], "message": "opened"},
        )
        assert incident.status_code == 201, incident.text
        groups = api.get(f"{ADMIN_API}/dashboards/prod/groups").json()["items"]
        tokens = api.get(f"{ADMIN_API}/tokens").json()["items"]
    found = {
        "environment": "prod",
        "item_id": PROD_ITEM,
        "incident_id": str(incident.json()["id"]),
        "group_id": groups[0]["id"],
        "token_id": str(tokens[0]["id"]),
        "window_id": "1",
    }
    server.__dict__["sql_defaults"] = found
    return found


def _data(server: HeldServer) -> dict[str, Any]:
    """What an injection could change or drop: the catalog, the incidents, the tokens, the
    audit log."""
    with server.api() as api:
        environments = api.get(f"{ADMIN_API}/environments").json()["items"]
        items = {
            env["key"]: api.get(f"{ADMIN_API}/dashboards/{env['key']}/items").json()["items"]
            for env in environments
        }
        return {
            "environments": environments,
            "items": {key: sorted(item["id"] for item in found) for key, found in items.items()},
            "incidents": api.get(f"{ADMIN_API}/dashboards/prod/incidents?limit=500").json(),
            "tokens": [t["id"] for t in api.get(f"{ADMIN_API}/tokens").json()["items"]],
            "audit": len(server.audit()),
        }


def _refused_or_filtered(answer: httpx.Response, target: Target, payload: str) -> str | None:
    """What is wrong with `answer` to `payload` in `target`, or None when it holds."""
    if answer.status_code >= 500:
        return f"{answer.status_code}: {answer.text[:200]}"
    field = TEXT_FILTERS.get((target.path, target.parameter))
    if field is None:
        if not 400 <= answer.status_code < 500:
            return f"a typed parameter was taken: {answer.status_code}"
        if not answer.headers.get("content-type", "").startswith("application/problem+json"):
            return f"the refusal is not a problem: {answer.headers.get('content-type')}"
        return None
    if answer.status_code == 400 and answer.json()["issues"][0]["name"] == target.parameter:
        return None  # a NUL, which no stored text can hold
    if answer.status_code != 200:
        return f"an exact-text filter refused: {answer.status_code} {answer.text[:200]}"
    other = [row for row in answer.json()["items"] if row[field] != payload]
    return f"rows of another {field}: {other[:3]}" if other else None


@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_an_api_parameter_is_never_sql(held: HeldServer, target: Target) -> None:
    values = _defaults(held)
    before = _data(held)
    wrong = {}
    with held.api() as api:
        for payload in PAYLOADS:
            path, params = target.path, {}
            for name, value in values.items():
                given = payload if (target.where, target.parameter) == ("path", name) else value
                path = path.replace("{" + name + "}", quote(given, safe=""))
            if target.where == "query":
                params[target.parameter] = payload
            headers = {"User-Agent": CONFORMING_AGENT}
            answer = api.get(path, params=params, headers=headers)
            problem = _refused_or_filtered(answer, target, payload)
            if problem is not None:
                wrong[payload] = problem
    assert wrong == {}
    assert _data(held) == before


def test_every_documented_parameter_is_attacked() -> None:
    names = {(t.path, t.parameter) for t in TARGETS}
    assert ("/api/admin/v1/audit", "actor") in names
    assert ("/api/admin/v1/dashboards/{environment}/items/{item_id}/history", "since") in names
    assert ("/api/v1/dashboard/{environment}", "environment") in names
    assert set(TEXT_FILTERS) <= names


@pytest.mark.parametrize("page", PAGE_PARAMETERS, ids=str)
def test_a_page_parameter_is_never_sql(held: HeldServer, page: PageParameter) -> None:
    before = _data(held)
    wrong = {}
    with _reader(held, page.by) as reader:
        for payload in PAYLOADS:
            answer = reader.get(page.path, params={page.parameter: payload})
            if answer.status_code >= 500:
                wrong[payload] = f"{answer.status_code}: {answer.text[:200]}"
            elif _filters_audit(page) and not _none_match(answer):
                wrong[payload] = f"rows of another filter ({answer.status_code})"
    assert wrong == {}
    assert _data(held) == before


@pytest.mark.parametrize("segment", PATH_SEGMENTS)
def test_a_key_or_id_in_a_page_address_is_never_sql(held: HeldServer, segment: str) -> None:
    before = _data(held)
    wrong = {}
    with signed_in(held, "ada") as reader:
        for payload in PAYLOADS:
            answer = reader.get(segment.format(quote(payload, safe="")))
            if not 400 <= answer.status_code < 500:
                wrong[payload] = f"{answer.status_code}: {answer.text[:200]}"
    assert wrong == {}
    assert _data(held) == before


def _filters_audit(page: PageParameter) -> bool:
    return page.path == "/admin/audit" and page.parameter != "cursor"


def _none_match(answer: httpx.Response) -> bool:
    """The audit page with no entry, or refusing the filter (400, next to it)."""
    return answer.status_code == 400 or (
        answer.status_code == 200 and "No entries match." in answer.text
    )


def _reader(server: HeldServer, user: str | None) -> Any:
    if user is None:
        client = server.browser()
        client.headers["Accept"] = "text/html"
        return client
    return signed_in(server, user)


NUL = "a\x00b"
WRITES = [
    ("POST", "/dashboards/prod/incidents", {"title": NUL, "item_ids": [PROD_ITEM], "message": "m"}, "title"),
    ("PATCH", f"/dashboards/prod/items/{PROD_ITEM}", {"status_code": 2, "description": NUL}, "description"),
    ("POST", "/tokens", {"name": NUL, "role": "viewer"}, "name"),
    ("POST", "/environments", {"key": "nul", "name": NUL}, "name"),
    ("POST", "/dashboards/prod/groups", {"key": "nul", "name": NUL}, "name"),
    (
        "POST",
        "/dashboards/prod/items",
        {"key": "nul", "group": "iam", "name": "n", "translations": {"nl": {"name": NUL}}},
        "translations.nl.name",
    ),
    (
        "PUT",
        f"/dashboards/prod/items/{PROD_ITEM}/checks",
        {"checks": [{"key": "c", "type": "http", "url": NUL}]},
        "checks[0].url",
    ),
    ("POST", "/dashboards/prod/maintenance", {"title": "t", "description": NUL, "starts_at": "2030-01-01T10:00:00+01:00", "ends_at": "2030-01-01T11:00:00+01:00"}, "description"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "field"), WRITES, ids=[w[3] + " of " + w[1] for w in WRITES]
)
def test_a_nul_in_a_text_the_api_takes_is_a_400_naming_it(
    held: HeldServer, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    before = _data(held)
    with held.api() as api:
        answer = api.request(method, ADMIN_API + path, json=body)
    assert answer.status_code == 400, answer.text
    assert [issue["name"] for issue in answer.json()["issues"]] == [field]
    assert _data(held) == before


UI_FORMS = [
    ("/admin/env/prod/incidents", "/admin/env/prod/incidents/new", {"title": NUL, "impact": "minor", "state": "investigating", "item_ids": PROD_ITEM, "message": "m"}, "title"),
    ("/admin/env/prod/maintenance", "/admin/env/prod/maintenance/new", {"title": "t", "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T11:00", "impact": "minor", "description": NUL}, "description"),
    (f"/admin/env/prod/items/{PROD_ITEM}/override", "/admin/env/prod", {"status_code": "2", "description": NUL, "back": "board"}, "description"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "page", "fields", "field"), UI_FORMS, ids=[f[3] + " of " + f[0] for f in UI_FORMS]
)
def test_a_nul_in_a_form_field_is_a_400_next_to_it(
    held: HeldServer, path: str, page: str, fields: dict[str, str], field: str
) -> None:
    before = _data(held)
    with signed_in(held, "alice") as browser:
        token = csrf_of(browser.get(page).text)
        answer = browser.post(path, data={"csrf_token": token, **fields})
    assert answer.status_code == 400, answer.text[:300]
    assert field in answer.text
    assert _data(held) == before


def test_a_nul_in_the_sign_in_name_is_a_400(held: HeldServer) -> None:
    with held.browser() as browser:
        token = csrf_of(browser.get("/admin/login").text)
        answer = browser.post(
            "/admin/login", data={"csrf_token": token, "name": NUL, "password": "x"}
        )
    assert answer.status_code == 400
