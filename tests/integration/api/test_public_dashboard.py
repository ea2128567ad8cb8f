"""The public v1 API over real HTTP, against `status-dashboard serve --demo` on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import uuid
from email.utils import format_datetime, parsedate_to_datetime

import brotli
import httpx
import orjson
import pytest

from support.contract import contract_violations, expected_group_code
from support.server import RunningServer

ENVIRONMENT_PATHS = [
    "/api/v1/dashboard",
    "/api/v1/dashboard/prod",
    "/api/v1/dashboard/acc",
    "/api/v1/dashboard/int",
]


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert str(body["instance"]).startswith("urn:uuid:")
    assert body["instance"] == f"urn:uuid:{response.headers['belgov-trace-id']}"
    return body


@pytest.mark.parametrize("path", ENVIRONMENT_PATHS)
def test_every_environment_answers_exactly_the_cookbook_json(
    demo_server: RunningServer, path: str
) -> None:
    with demo_server.client() as client:
        response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert contract_violations(document) == []
    assert len(document["groups"]) == 8
    assert 35 <= sum(len(g["items"]) for g in document["groups"]) <= 45


@pytest.mark.parametrize("path", ENVIRONMENT_PATHS)
def test_each_demo_environment_shows_disrupted_and_unknown_items(
    demo_server: RunningServer, path: str
) -> None:
    with demo_server.client() as client:
        groups = client.get(path).json()["groups"]
    items = [item for group in groups for item in group["items"]]
    assert any(i["status_code"] == 2 and i.get("description") for i in items)
    assert any(i["status_code"] == 3 for i in items)
    for group in groups:
        assert group["status_code"] == expected_group_code(
            [i["status_code"] for i in group["items"]]
        )


def test_the_default_dashboard_is_prod_with_the_cookbooks_ids(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        default, prod = client.get("/api/v1/dashboard"), client.get("/api/v1/dashboard/prod")
    assert default.content == prod.content
    assert default.headers["etag"] == prod.headers["etag"]
    iam = default.json()["groups"][0]
    assert (iam["id"], iam["name"]) == (
        "AXAQooF-9v9nOdhekPYm",
        "1. IAM - Identity & Access Management",
    )
    assert [i["id"] for i in iam["items"][:2]] == [
        "715d31b5a498a4587fedc57dada6a9df",
        "2c7ab1fb8df82828f961293921177004",
    ]


def test_environments_have_their_own_ids(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        prod = client.get("/api/v1/dashboard/prod").json()
        acc = client.get("/api/v1/dashboard/acc").json()
    ids = lambda doc: {i["id"] for g in doc["groups"] for i in g["items"]}  # noqa: E731
    assert not ids(prod) & ids(acc)


def test_an_unknown_environment_is_a_404_problem_naming_it(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        body = _problem(client.get("/api/v1/dashboard/xyz"), 404)
    assert body["type"] == "urn:problem-type:belgif:resourceNotFound"
    assert body["detail"] == "No dashboard for environment 'xyz'"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dashboard/prod/extra",
        "/api/v1/dashboard/",
        "/api/v1/dashboards",
        "/nope",
        "/api/v2/dashboard",
    ],
)
def test_unknown_paths_are_404_problems(demo_server: RunningServer, path: str) -> None:
    with demo_server.client() as client:
        _problem(client.get(path), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_to_a_dashboard_are_405_with_allow(demo_server: RunningServer, method: str) -> None:
    with demo_server.client() as client:
        response = client.request(method, "/api/v1/dashboard", content=b"{}")
    _problem(response, 405)
    assert "GET" in response.headers["allow"]


def test_writes_to_health_are_405_problems_too(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        response = client.post("/health")
    _problem(response, 405)
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "application/json;q=0"])
def test_an_accept_that_excludes_json_is_406(demo_server: RunningServer, accept: str) -> None:
    with demo_server.client() as client:
        _problem(client.get("/api/v1/dashboard", headers={"Accept": accept}), 406)


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*", ""])
def test_json_friendly_accept_headers_are_served(demo_server: RunningServer, accept: str) -> None:
    with demo_server.client() as client:
        assert client.get("/api/v1/dashboard", headers={"Accept": accept}).status_code == 200


def test_an_unchanged_dashboard_answers_304_to_its_etag(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        first = client.get("/api/v1/dashboard")
        again = client.get("/api/v1/dashboard", headers={"If-None-Match": first.headers["etag"]})
        listed = client.get(
            "/api/v1/dashboard", headers={"If-None-Match": f'"other", W/{first.headers["etag"]}'}
        )
        stale = client.get("/api/v1/dashboard", headers={"If-None-Match": '"stale"'})
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == first.headers["cache-control"]
    assert listed.status_code == 304
    assert stale.status_code == 200


def test_if_modified_since_is_honoured_and_etag_takes_precedence(
    demo_server: RunningServer,
) -> None:
    with demo_server.client() as client:
        first = client.get("/api/v1/dashboard")
        modified = parsedate_to_datetime(first.headers["last-modified"])
        same = client.get(
            "/api/v1/dashboard", headers={"If-Modified-Since": first.headers["last-modified"]}
        )
        earlier = format_datetime(modified.replace(year=modified.year - 1), usegmt=True)
        older = client.get("/api/v1/dashboard", headers={"If-Modified-Since": earlier})
        both = client.get(
            "/api/v1/dashboard",
            headers={
                "If-Modified-Since": first.headers["last-modified"],
                "If-None-Match": '"stale"',
            },
        )
        garbage = client.get("/api/v1/dashboard", headers={"If-Modified-Since": "yesterday-ish"})
    assert same.status_code == 304
    assert older.status_code == 200
    assert both.status_code == 200
    assert garbage.status_code == 200


def test_cache_control_and_vary_are_set(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        response = client.get("/api/v1/dashboard")
    assert response.headers["cache-control"] == "public, max-age=15"
    assert response.headers["vary"] == "Accept-Encoding"


def test_head_gives_the_headers_of_get_without_a_body(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        get, head = client.get("/api/v1/dashboard/acc"), client.head("/api/v1/dashboard/acc")
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "content-length", "content-type"):
        assert head.headers[name] == get.headers[name]


@pytest.mark.parametrize(
    ("accept_encoding", "coding"), [("gzip", "gzip"), ("br, gzip", "br"), ("identity", None)]
)
def test_compressed_answers_are_the_same_document(
    demo_server: RunningServer, accept_encoding: str, coding: str | None
) -> None:
    raw_headers = {"Accept-Encoding": accept_encoding, "User-Agent": "x/1 y/2"}
    with httpx.Client(base_url=demo_server.url) as client:
        plain = client.get("/api/v1/dashboard", headers={"Accept-Encoding": "identity"}).content
        with client.stream("GET", "/api/v1/dashboard", headers=raw_headers) as response:
            body = b"".join(response.iter_raw())
            assert response.headers.get("content-encoding") == coding
            assert int(response.headers["content-length"]) == len(body)
    decoded = {"gzip": gzip.decompress, "br": brotli.decompress, None: bytes}[coding](body)
    assert orjson.loads(decoded) == orjson.loads(plain)
    if coding:
        assert len(body) < len(plain) / 3


def test_every_answer_has_a_fresh_trace_id_and_echoes_the_callers(
    demo_server: RunningServer,
) -> None:
    with demo_server.client() as client:
        one = client.get("/api/v1/dashboard", headers={"BelGov-Trace-Id": "abc-123"})
        two = client.get("/api/v1/dashboard/nope")
        three = client.get("/health")
    ids = [r.headers["belgov-trace-id"] for r in (one, two, three)]
    assert len(set(ids)) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)
    assert one.headers["belgov-related-trace-id"] == "abc-123"
    assert "belgov-related-trace-id" not in two.headers


def test_a_strict_environment_refuses_a_nonconforming_user_agent_naming_the_header(
    demo_server: RunningServer,
) -> None:
    with httpx.Client(base_url=demo_server.url) as client:
        refused = client.get("/api/v1/dashboard/int", headers={"User-Agent": "curl/8.5.0"})
        missing = client.get("/api/v1/dashboard/int", headers={"User-Agent": ""})
        served = client.get(
            "/api/v1/dashboard/int", headers={"User-Agent": "myProduct/62.310.4 Technical/3.19.0"}
        )
        lenient = client.get("/api/v1/dashboard/acc", headers={"User-Agent": "curl/8.5.0"})
    body = _problem(refused, 400)
    assert body["type"] == "urn:problem-type:belgif:badRequest"
    (issue,) = body["issues"]  # type: ignore[misc]
    assert (issue["in"], issue["name"], issue["value"]) == ("header", "User-Agent", "curl/8.5.0")
    _problem(missing, 400)
    assert served.status_code == 200
    assert lenient.status_code == 200


def test_a_strict_environment_serves_its_own_status_page_whose_script_sets_no_user_agent(
    demo_server: RunningServer,
) -> None:
    browser = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"
    with httpx.Client(base_url=demo_server.url) as client:
        own_page = client.get(
            "/api/v1/dashboard/int",
            headers={"User-Agent": browser, "Sec-Fetch-Site": "same-origin"},
        )
        elsewhere = client.get(
            "/api/v1/dashboard/int",
            headers={"User-Agent": browser, "Sec-Fetch-Site": "cross-site"},
        )
    assert own_page.status_code == 200
    _problem(elsewhere, 400)


def test_health_is_up_with_its_details(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "UP"
    assert body["details"]["database"]["status"] == "UP"
    assert set(body["details"]["dashboards"]["environments"]) >= {"prod", "acc", "int"}


def test_cross_origin_pages_may_read_the_dashboard(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        response = client.get("/api/v1/dashboard", headers={"Origin": "https://example.org"})
        preflight = client.options("/api/v1/dashboard")
    assert response.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_the_openapi_document_is_served(demo_server: RunningServer) -> None:
    with demo_server.client() as client:
        document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert {"/api/v1/dashboard", "/api/v1/dashboard/{environment}", "/health"} <= set(
        document["paths"]
    )


def test_every_admin_operation_documents_the_503_of_a_database_outage(
    demo_server: RunningServer,
) -> None:
    with demo_server.client() as client:
        document = client.get("/api/v1/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        if path.startswith("/api/admin/")
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        unavailable = operation["responses"].get("503")
        assert unavailable is not None, f"{method.upper()} {path} documents no 503"
        assert "Retry-After" in unavailable["headers"], f"{method.upper()} {path}"
        assert "application/problem+json" in unavailable["content"]
