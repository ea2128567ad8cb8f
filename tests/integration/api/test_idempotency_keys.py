"""Idempotency-Key on the admin API's creating POSTs, over real HTTP on SQLite and PostgreSQL:
a retry answers the first result and creates nothing; the key reused for another request is a
422 naming the header; keys are each principal's own."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from support.admin import Admin, admin_server

IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, "eHealth IDP - ... Authorization management"
API = "/api/admin/v1/dashboards/prod"
OPENING = {"title": "IDP down", "impact": "major", "item_ids": [IDP], "message": "Looking"}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def admin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Admin]:
    directory = tmp_path_factory.mktemp(f"idempotency-{request.param}")
    with admin_server(request.param, directory, default_role="operator") as admin:
        yield admin


def _key() -> str:
    return f'"{uuid.uuid4()}"'  # the draft's form: a quoted string


def _incident_ids(client: httpx.Client) -> list[int]:
    return [i["id"] for i in client.get(f"{API}/incidents?limit=100").json()["items"]]


def _problem(answer: httpx.Response, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, object] = answer.json()
    return problem


def test_a_retried_incident_with_its_key_answers_the_first_and_opens_one(admin: Admin) -> None:
    key = _key()
    with admin.client() as client:
        before = _incident_ids(client)
        first = client.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
        retry = client.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
        after = _incident_ids(client)
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert after == [first.json()["id"], *before]


def test_the_same_body_spelled_otherwise_is_the_same_request(admin: Admin) -> None:
    key = _key()
    with admin.client() as client:
        first = client.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
        spaced = client.post(
            f"{API}/incidents",
            content=b'{ "message": "Looking", "item_ids": ["%s"], "impact": "major", '
            b'"title": "IDP down" }' % IDP.encode(),
            headers={"Idempotency-Key": key, "Content-Type": "application/json"},
        )
    assert spaced.status_code == 201, spaced.text
    assert spaced.json()["id"] == first.json()["id"]


def test_a_key_reused_for_another_request_is_422_naming_the_header(admin: Admin) -> None:
    key = _key()
    with admin.client() as client:
        first = client.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
        before = _incident_ids(client)
        other = client.post(
            f"{API}/incidents",
            json={**OPENING, "title": "Another outage"},
            headers={"Idempotency-Key": key},
        )
        elsewhere = client.post(
            f"{API}/maintenance", json=_window(), headers={"Idempotency-Key": key}
        )
        assert _incident_ids(client) == before
    assert first.status_code == 201
    for answer in (other, elsewhere):
        problem = _problem(answer, 422)
        issues = problem["issues"]
        assert isinstance(issues, list)
        assert [(i["in"], i["name"]) for i in issues] == [("header", "Idempotency-Key")]


def test_keys_are_each_principals_own(admin: Admin) -> None:
    key = _key()
    with admin.client() as operator, admin.client("admin") as other:
        mine = operator.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
        theirs = other.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize(
    "key", ["", '""', "x" * 256, "white space", "caf\u00e9".encode(), '"a\\"b"']
)
def test_a_malformed_key_is_400_naming_the_header_and_opens_nothing(
    admin: Admin, key: str | bytes
) -> None:
    with admin.client() as client:
        before = _incident_ids(client)
        answer = client.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})
        assert _incident_ids(client) == before
    problem = _problem(answer, 400)
    issues = problem["issues"]
    assert isinstance(issues, list)
    assert [(i["in"], i["name"]) for i in issues] == [("header", "Idempotency-Key")]


def _window() -> dict[str, object]:
    start = datetime.now(UTC) + timedelta(days=1)
    return {
        "title": "Upgrade",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "item_ids": [IDP],
        "impact": "minor",
    }


def test_a_retried_window_with_its_key_is_scheduled_once(admin: Admin) -> None:
    key, window = _key(), _window()
    with admin.client() as client:
        first = client.post(f"{API}/maintenance", json=window, headers={"Idempotency-Key": key})
        retry = client.post(f"{API}/maintenance", json=window, headers={"Idempotency-Key": key})
        listed = [w["id"] for w in client.get(f"{API}/maintenance").json()["items"]]
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert listed.count(first.json()["id"]) == 1
    assert len(listed) == len(set(listed))


def test_a_retried_resolving_update_answers_201_and_adds_one_update(admin: Admin) -> None:
    key = _key()
    resolving = {"state": "resolved", "message": "Fixed"}
    with admin.client() as client:
        incident = client.post(f"{API}/incidents", json=OPENING).json()
        path = f"{API}/incidents/{incident['id']}/updates"
        first = client.post(path, json=resolving, headers={"Idempotency-Key": key})
        retry = client.post(path, json=resolving, headers={"Idempotency-Key": key})
        again = client.post(path, json=resolving)  # without a key: a new update, refused
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    assert len(retry.json()["updates"]) == 2
    _problem(again, 409)


def test_the_openapi_document_offers_the_key_on_the_three_creating_posts(admin: Admin) -> None:
    with admin.client() as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    env = "/api/admin/v1/dashboards/{environment}"
    for path in ("/incidents", "/incidents/{incident_id}/updates", "/maintenance"):
        post = paths[env + path]["post"]
        assert "Idempotency-Key" in [p["name"] for p in post.get("parameters", [])], path
        assert "422" in post["responses"], path


def test_retries_racing_with_one_key_open_one_incident(admin: Admin) -> None:
    key = _key()
    clients = [admin.client() for _ in range(4)]
    barrier = threading.Barrier(len(clients))

    def post(client: httpx.Client) -> httpx.Response:
        barrier.wait()
        return client.post(f"{API}/incidents", json=OPENING, headers={"Idempotency-Key": key})

    try:
        before = _incident_ids(clients[0])
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(post, clients))
        after = _incident_ids(clients[0])
    finally:
        for client in clients:
            client.close()
    assert [a.status_code for a in answers] == [201] * len(clients), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert after == [answers[0].json()["id"], *before]
