"""A masked secret stays with the server it was given for: a check's header shows as `***`, and
`***` sent back keeps the stored value only while the URL's scheme, host and port stay the same;
otherwise it is a 400 naming the header, and nothing is written. Replayed: a check put back with
`***` and another URL used to send the stored credential to the new host. And the check's
headers go to its own server only, not to where a redirect points."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from security.hostile import NOW, HostileServer, hostile_server
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckSchedule, HttpCheck
from status_dashboard.probes import HttpProbe

from support.admin import Admin, admin_server
from support.outbound import LOOPBACK

SECRET = "Bearer s3cret-value"
CHECKS = f"/api/admin/v1/dashboards/prod/items/{ids.item_id('prod', 'sts')}/checks"
FIELD = "checks[0].headers.Authorization"


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Admin]:
    with admin_server("sqlite", tmp_path_factory.mktemp("masked"), default_role="admin") as admin:
        yield admin


@pytest.fixture(scope="module")
def target() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


def check(url: str, authorization: str) -> dict[str, Any]:
    return {"key": "web", "type": "http", "url": url, "headers": {"Authorization": authorization},
            "interval": 1, "timeout": 0.5}  # fmt: skip


def put(admin: Admin, url: str, authorization: str) -> httpx.Response:
    with admin.client() as client:
        return client.put(CHECKS, json={"checks": [check(url, authorization)]})


def stored_url(admin: Admin) -> str:
    with admin.client() as client:
        (shown,) = client.get(CHECKS).json()["checks"]
    assert shown["headers"] == {"Authorization": "***"}
    return str(shown["url"])


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://attacker.example.net/health",  # another host
        "http://idp.example.org/health",  # another scheme
        "https://idp.example.org:8443/health",  # another port
        "https://idp.example.org.attacker.example.net/health",
    ],
)
def test_a_masked_header_is_not_kept_for_another_server(admin: Admin, elsewhere: str) -> None:
    assert put(admin, "https://idp.example.org/health", SECRET).status_code == 200

    refused = put(admin, elsewhere, "***")

    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    (issue,) = refused.json()["issues"]
    assert issue["name"] == FIELD
    assert "same scheme, host and port" in issue["detail"]
    assert stored_url(admin) == "https://idp.example.org/health"


@pytest.mark.parametrize(
    "same_server",
    ["https://idp.example.org/other?x=1", "https://IDP.example.org:443/health"],
)
def test_a_masked_header_is_kept_for_the_same_server(admin: Admin, same_server: str) -> None:
    assert put(admin, "https://idp.example.org/health", SECRET).status_code == 200
    kept = put(admin, same_server, "***")
    assert kept.status_code == 200, kept.text
    assert stored_url(admin) == same_server


def test_the_value_given_again_goes_to_the_new_server(admin: Admin) -> None:
    assert put(admin, "https://idp.example.org/health", SECRET).status_code == 200
    moved = put(admin, "https://other.example.org/health", "Bearer another")
    assert moved.status_code == 200, moved.text


def test_the_kept_secret_is_what_the_same_server_receives(
    admin: Admin, target: HostileServer
) -> None:
    """End to end: the monitor (loopback open in demo mode) sends the stored value, not `***`,
    to the same server at another path."""
    assert put(admin, target.base_url + "/metadata/first", SECRET).status_code == 200
    assert put(admin, target.base_url + "/metadata/second", "***").status_code == 200
    deadline = time.monotonic() + 20
    while "/metadata/second" not in target.headers and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.headers["/metadata/second"]["Authorization"] == SECRET


def test_a_redirect_to_another_server_does_not_carry_the_checks_headers(
    target: HostileServer,
) -> None:
    """The Location is the target's to set: the check's headers (credentials, often) go to the
    check's own scheme, host and port only. httpx drops Authorization itself, not the others."""

    headers = {"Authorization": SECRET, "X-Api-Key": "key-s3cret"}
    with hostile_server() as elsewhere:
        same = f"{target.base_url}/redirect?to={target.base_url}/metadata/same"
        other = f"{target.base_url}/redirect?to={elsewhere.base_url}/metadata/other"
        for url in (same, other):
            check = HttpCheck(url, headers=headers)
            result = asyncio.run(HttpProbe(check, CheckSchedule(), policy=LOOPBACK).run(NOW))
            assert result.ok, result

        assert target.headers["/metadata/same"]["X-Api-Key"] == "key-s3cret"
        assert target.headers["/metadata/same"]["Authorization"] == SECRET
        received = elsewhere.headers["/metadata/other"]
        assert "X-Api-Key" not in received
        assert "Authorization" not in received
