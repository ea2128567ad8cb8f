"""Checks may not reach the inside (docs/design.md §7): loopback, link-local, private, multicast,
unspecified and other special addresses are refused on the resolved address, on every redirect,
for HTTP, TCP and TLS checks alike, unless STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS opens them;
and what the public sees of a failed check never quotes the target's answer.

Replayed: a scoped admin pointing a check at a mock cloud metadata service on loopback, with a
JSON condition made to fail so that the old reason showed the secret key on the public page."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from security.hostile import NOW, HostileServer, hostile_server, hostile_targets
from status_dashboard.bootstrap import demo_catalog_path
from status_dashboard.config import Settings
from status_dashboard.domain import ids
from status_dashboard.domain.checks import CheckResult, CheckSchedule, HttpCheck, TcpCheck, TlsCheck
from status_dashboard.domain.outbound import OutboundPolicy
from status_dashboard.probes import HttpClients, HttpProbe, TcpProbe, TlsProbe, build_probe

from support.admin import Admin, admin_server
from support.outbound import LOOPBACK

SCHEDULE = CheckSchedule(interval_s=60, timeout_s=3)
SECRET = hostile_targets.METADATA_SECRET


@pytest.fixture(scope="module")
def target() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


def run(probe: HttpProbe | TcpProbe | TlsProbe) -> CheckResult:
    return asyncio.run(probe.run(NOW))


def http(url: str, policy: OutboundPolicy | None = None, **fields: Any) -> CheckResult:
    return run(HttpProbe(HttpCheck(url, **fields), SCHEDULE, policy=policy))


# -- refused by default ---------------------------------------------------------------------------

ADDRESSES = {
    # URL host (the port is the hostile server's where it listens): the kind refused
    "169.254.169.254": "link-local",  # the cloud metadata service
    "[::1]": "loopback",
    "0x7f000001": "loopback",  # 127.0.0.1 in hexadecimal, resolved by the C library
    "127.1": "loopback",  # 127.0.0.1, short form
    "2130706433": "loopback",  # 127.0.0.1 as one number
    "localhost": "loopback",
    "[::ffff:127.0.0.1]": "loopback",  # IPv4-mapped IPv6
    "10.20.30.40": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "[fd12:3456::1]": "private",  # RFC 4193
    "[fe80::1]": "link-local",
    "224.0.0.1": "multicast",
    "0.0.0.0": "unspecified",
    "100.64.0.1": "special",  # shared address space (carrier-grade NAT)
}


@pytest.mark.parametrize(("host", "kind"), ADDRESSES.items(), ids=ADDRESSES.keys())
def test_an_http_check_to_an_internal_address_is_refused_before_connecting(
    target: HostileServer, host: str, kind: str
) -> None:
    port = target.server_address[1]
    before = target.hits["/metadata"]
    result = http(f"http://{host}:{port}/metadata", json_condition='$.SecretAccessKey == "x"')

    assert (result.ok, result.reason) == (False, f"address not allowed ({kind})")
    assert result.detail is not None
    assert "STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS" in result.detail
    assert target.hits["/metadata"] == before


def test_a_redirect_to_an_internal_address_is_refused(target: HostileServer) -> None:
    # 127.0.0.1 is opened, so the first hop is made; 127.0.0.2 and the metadata service are not.
    only_first = OutboundPolicy((ipaddress.ip_network("127.0.0.1/32"),))
    port = target.server_address[1]
    to_loopback = f"{target.base_url}/redirect?to=http://127.0.0.2:{port}/metadata"
    to_metadata = f"{target.base_url}/redirect?to=http://169.254.169.254/latest/meta-data/"
    before = target.hits["/metadata"]

    assert http(to_loopback, only_first).reason == "address not allowed (loopback)"
    assert http(to_metadata, only_first).reason == "address not allowed (link-local)"
    assert target.hits["/metadata"] == before
    assert target.hits["/redirect"] >= 2


def test_the_workers_shared_clients_refuse_too(target: HostileServer) -> None:
    """The path `serve` and `worker` take: `build_probe` with the policy HttpClients holds."""

    async def both() -> tuple[CheckResult, CheckResult]:
        async with HttpClients() as closed, HttpClients(policy=LOOPBACK) as opened:
            check = HttpCheck(target.base_url + "/metadata")
            refused = await build_probe(check, SCHEDULE, http=closed).run(NOW)
            reached = await build_probe(check, SCHEDULE, http=opened).run(NOW)
            return refused, reached

    refused, reached = asyncio.run(both())
    assert refused.reason == "address not allowed (loopback)"
    assert reached.ok, reached


def test_a_tcp_check_is_no_port_scanner_of_loopback(target: HostileServer) -> None:
    port = target.server_address[1]
    refused = run(TcpProbe(TcpCheck("127.0.0.1", port), SCHEDULE))
    assert (refused.ok, refused.reason) == (False, "address not allowed (loopback)")
    assert (
        run(TcpProbe(TcpCheck("10.0.0.1", 22), SCHEDULE)).reason == "address not allowed (private)"
    )
    assert run(TcpProbe(TcpCheck("127.0.0.1", port), SCHEDULE, LOOPBACK)).ok


def test_a_tls_check_to_loopback_is_refused(target: HostileServer) -> None:
    port = target.server_address[1]
    check = TlsCheck("127.0.0.1", port)
    refused = run(TlsProbe(check, SCHEDULE, ssl.create_default_context))
    assert (refused.ok, refused.reason) == (False, "address not allowed (loopback)")
    # Opened, it connects and gets as far as the handshake, which plain HTTP cannot answer.
    opened = run(TlsProbe(check, SCHEDULE, ssl.create_default_context, LOOPBACK))
    assert opened.reason.startswith("TLS handshake failed")


# -- the allow-list ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f000001", "127.1", "localhost"])
def test_the_allow_list_opens_loopback(target: HostileServer, host: str) -> None:
    result = http(f"http://{host}:{target.server_address[1]}/metadata", LOOPBACK)
    assert result.ok, result


def test_the_setting_opens_networks_and_demo_mode_opens_loopback() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    assert Settings().outbound_policy.refusal(loopback) == "loopback"
    assert Settings(demo=True).outbound_policy.refusal(loopback) is None
    opened = Settings(outbound_allow_networks="10.0.0.0/8, fd00::/8").outbound_policy
    assert opened.refusal("10.1.2.3") is None
    assert opened.refusal("fd00::5") is None
    assert opened.refusal("192.168.0.1") == "private"
    assert opened.refusal(loopback) == "loopback"


def test_an_allow_list_that_is_not_cidrs_stops_the_server_at_start(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "status_dashboard", "serve", "--database",
               f"sqlite:///{tmp_path}/db.sqlite"]  # fmt: skip
    env = {"STATUS_DASHBOARD_OUTBOUND_ALLOW_NETWORKS": "10.0.0.0/8,10.0.0.1/8", "PATH": ""}
    ended = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, check=False
    )

    assert ended.returncode != 0
    assert "outbound_allow_networks" in ended.stderr
    assert "'10.0.0.1/8' is not a network in CIDR notation" in ended.stderr


# -- the replay: a scoped admin, the metadata service, the public page -------------------------------

ACC_ITEM = "iam-connect-m2m"
CHECKS = f"/api/admin/v1/dashboards/acc/items/{ids.item_id('acc', ACC_ITEM)}/checks"


def metadata_check(target: HostileServer) -> dict[str, Any]:
    url = f"{target.base_url}/metadata/latest/meta-data/iam/security-credentials/role"
    return {"key": "creds", "type": "http", "url": url, "json_condition": '$.SecretAccessKey == "x"',
            "interval": 1, "timeout": 0.5, "fail_threshold": 1}  # fmt: skip


def disrupted_reason(admin: Admin, within: float = 20.0) -> str:
    """The item's public description (its check's reason) once its check has failed."""
    deadline = time.monotonic() + within
    item_id = ids.item_id("acc", ACC_ITEM)
    while time.monotonic() < deadline:
        with admin.server.client() as client:
            groups = client.get("/api/v1/dashboard/acc").json()["groups"]
        item = next(i for g in groups for i in g["items"] if i["id"] == item_id)
        if int(item["status_code"]) == 2:
            return str(item["description"])
        time.sleep(0.2)
    raise AssertionError(f"the check of {ACC_ITEM} did not fail within {within} s")


def public_pages(admin: Admin) -> str:
    with admin.server.client() as client:
        paths = ("/acc", "/api/v1/dashboard/acc")
        pages = [client.get(path) for path in paths]
    assert [page.status_code for page in pages] == [200] * len(paths)
    return "\n".join(page.text for page in pages)


def admin_view(admin: Admin) -> dict[str, Any]:
    with admin.client("acc-admin") as client:
        shown = client.get(CHECKS)
    assert shown.status_code == 200, shown.text
    body: dict[str, Any] = shown.json()
    return body


@pytest.fixture
def scoped_server(tmp_path: Path) -> Iterator[Admin]:
    """A production-like server (no --demo): nothing opened for checks."""
    args = ("--catalog", str(demo_catalog_path()))
    scoped = {"acc-admin": ("admin", "acc")}
    with admin_server(
        "sqlite", tmp_path, default_role="admin", scoped=scoped, serve_args=args
    ) as a:
        yield a


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Admin]:
    """`serve --demo`: loopback opened, so the check reaches the metadata service."""
    scoped = {"acc-admin": ("admin", "acc")}
    with admin_server("sqlite", tmp_path, default_role="admin", scoped=scoped) as admin:
        yield admin


def test_a_scoped_admins_check_against_the_metadata_service_is_refused(
    scoped_server: Admin, target: HostileServer
) -> None:
    before = target.hits["/metadata/latest/meta-data/iam/security-credentials/role"]
    with scoped_server.client("acc-admin") as client:
        put = client.put(CHECKS, json={"checks": [metadata_check(target)]})
    assert put.status_code == 200, put.text

    assert disrupted_reason(scoped_server) == "address not allowed (loopback)"
    assert target.hits["/metadata/latest/meta-data/iam/security-credentials/role"] == before
    assert SECRET not in public_pages(scoped_server)


def test_where_loopback_is_open_the_public_reason_still_does_not_quote_the_answer(
    demo_server: Admin, target: HostileServer
) -> None:
    with demo_server.client("acc-admin") as client:
        put = client.put(CHECKS, json={"checks": [metadata_check(target)]})
    assert put.status_code == 200, put.text

    assert disrupted_reason(demo_server) == "JSON condition not met"
    assert SECRET not in public_pages(demo_server)
    # The admin, who pointed the check there, sees what it found.
    (check,) = admin_view(demo_server)["checks"]
    assert check["state"]["last_reason"] == "JSON condition not met"
    assert check["state"]["last_detail"].startswith(
        f"$.SecretAccessKey is '{SECRET}', expected 'x'"
    )
