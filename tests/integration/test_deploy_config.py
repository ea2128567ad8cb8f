"""The deployment in deploy/: nginx accepts its configuration and, run in front of two real
replicas, terminates TLS, speaks HTTP/2, caches and revalidates the dashboards by ETag, and
passes the live streams through unbuffered; the systemd units pass `systemd-analyze verify`
(or, where systemd is absent, a reading of their keys); the environment file names only real
settings; the Containerfile copies only what exists."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from integration.replicas import nginx
from integration.replicas.support import STREAM_HEADERS, dashboard_events, wait_for
from status_dashboard.config import Settings

from support.databases import sqlite_database_url
from support.server import CONFORMING_AGENT, RunningServer, running_server

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "deploy" / "systemd"
UNITS = ("status-dashboard@.service", "status-dashboard-worker@.service")
ENV_FILE = SYSTEMD / "status-dashboard.env"
CONTAINERFILE = REPO / "deploy" / "Containerfile"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DASHBOARD = "/api/v1/dashboard"


# -- nginx -------------------------------------------------------------------------------------


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    verdict = nginx.check(nginx.site(tmp_path, upstreams=(8001, 8002)))
    assert verdict.returncode == 0, verdict.stderr
    assert "test is successful" in verdict.stderr
    assert "[warn]" not in verdict.stderr, verdict.stderr


@dataclass
class Deployment:
    site: nginx.NginxSite
    replicas: tuple[RunningServer, RunningServer]
    token: str

    def client(self, **headers: str) -> httpx.Client:
        base = {"User-Agent": CONFORMING_AGENT, "Accept": "application/json", **headers}
        return httpx.Client(
            base_url=self.site.url, verify=self.site.tls(), headers=base, timeout=10.0
        )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """nginx with the deployment's configuration in front of two replicas on one database,
    their dashboards cacheable for 1 s."""
    directory = tmp_path_factory.mktemp("deployment")
    url = sqlite_database_url(directory)
    env = {"STATUS_DASHBOARD_CACHE_MAX_AGE": "1", "STATUS_DASHBOARD_SSE_HEARTBEAT": "1"}
    with (
        running_server(url, directory, "--demo", "--no-monitor", env=env) as a,
        running_server(url, directory, "--no-monitor", env=env) as b,
    ):
        token = re.findall(r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)", a.log())
        with nginx.running(nginx.site(directory / "nginx", upstreams=(a.port, b.port))) as site:
            yield Deployment(site, (a, b), token[0])


def test_a_dashboard_is_cached_for_its_max_age_and_each_answer_has_its_own_trace_id(
    deployment: Deployment,
) -> None:
    time.sleep(1.1)  # whatever an earlier test cached has expired
    with deployment.client() as client:
        answers = [client.get(DASHBOARD) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].headers["x-cache-status"] in {"MISS", "EXPIRED", "STALE", "UPDATING"}
    assert answers[2].headers["x-cache-status"] == "HIT"
    assert len({a.headers["etag"] for a in answers}) == 1
    assert answers[0].content == answers[2].content
    trace_ids = {a.headers["belgov-trace-id"] for a in answers}
    assert len(trace_ids) == 3
    assert all(UUID.match(trace_id) for trace_id in trace_ids)
    assert answers[2].headers["cache-control"] == "public, max-age=1"
    assert "strict-transport-security" in answers[2].headers


def test_nginx_answers_if_none_match_with_a_304_from_its_cache(deployment: Deployment) -> None:
    with deployment.client(**{"BelGov-Trace-Id": "partner-42"}) as client:
        etag = client.get(DASHBOARD).headers["etag"]
        answer = client.get(DASHBOARD, headers={"If-None-Match": etag})
    assert answer.status_code == 304
    assert answer.content == b""
    assert answer.headers["x-cache-status"] == "HIT"
    assert answer.headers["belgov-related-trace-id"] == "partner-42"


def test_the_compressed_variants_are_cached_apart(deployment: Deployment) -> None:
    with deployment.client() as client:
        variants = {
            coding: client.get(DASHBOARD, headers={"Accept-Encoding": coding})
            for coding in ("br", "gzip", "identity")
        }
    assert variants["br"].headers["content-encoding"] == "br"
    assert variants["gzip"].headers["content-encoding"] == "gzip"
    assert "content-encoding" not in variants["identity"].headers
    assert len({answer.headers["etag"] for answer in variants.values()}) == 3
    assert variants["br"].json() == variants["gzip"].json() == variants["identity"].json()


@pytest.mark.parametrize(
    ("headers", "status"),
    [({"User-Agent": "curl/8.5.0"}, 200), ({"Accept": "text/html"}, 406)],
)
def test_requests_a_replica_must_judge_bypass_the_cache(
    deployment: Deployment, headers: dict[str, str], status: int
) -> None:
    with deployment.client(**headers) as client:
        answer = client.get(DASHBOARD)
    assert answer.status_code == status
    assert answer.headers["x-cache-status"] == "BYPASS"


def test_a_change_replaces_the_cached_dashboard_once_its_max_age_passed(
    deployment: Deployment,
) -> None:
    with deployment.client() as client:
        before = client.get(DASHBOARD)
        item_id = before.json()["groups"][0]["items"][0]["id"]
        changed = client.patch(
            f"/api/admin/v1/dashboards/prod/items/{item_id}",
            json={"status_code": 2, "description": "changed behind the cache"},
            headers={"Authorization": f"Bearer {deployment.token}"},
        )
        assert changed.status_code == 200, changed.text

        def fresh() -> httpx.Response | None:
            answer = client.get(DASHBOARD)
            return answer if answer.headers["etag"] != before.headers["etag"] else None

        after = wait_for(fresh, 5.0, "the new dashboard through the cache")
    item = after.json()["groups"][0]["items"][0]
    assert (item["status_code"], item["description"]) == (2, "changed behind the cache")


def test_the_live_stream_passes_through_unbuffered(deployment: Deployment) -> None:
    timeout = httpx.Timeout(10.0, read=5.0)
    with (
        httpx.Client(
            base_url=deployment.site.url,
            verify=deployment.site.tls(),
            headers=STREAM_HEADERS,
            timeout=timeout,
        ) as client,
        client.stream("GET", f"{DASHBOARD}/stream") as response,
    ):
        started = time.monotonic()
        first = next(dashboard_events(response.iter_lines()))
        took = time.monotonic() - started
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert first["groups"]
    assert took < 1.0


def test_both_replicas_serve_and_plain_http_is_sent_to_https(deployment: Deployment) -> None:
    with deployment.client(**{"User-Agent": "curl/8.5.0"}) as client:
        for _ in range(6):
            assert client.get(DASHBOARD).status_code == 200
    with httpx.Client(timeout=5.0) as plain:
        redirect = plain.get(f"http://127.0.0.1:{deployment.site.http_port}{DASHBOARD}")
    assert redirect.status_code == 301
    assert redirect.headers["location"].startswith("https://")
    used = set(re.findall(r"upstream=(127\.0\.0\.1:\d+)", deployment.site.access_log.read_text()))
    assert used >= {f"127.0.0.1:{replica.port}" for replica in deployment.replicas}


def test_clients_get_http2(deployment: Deployment) -> None:
    curl = shutil.which("curl")
    assert curl is not None, "curl (with HTTP/2) is needed to see the protocol nginx speaks"
    head = subprocess.run(
        [curl, "--http2", "--silent", "--head", "--cacert", str(deployment.site.ca_file()),
         "--user-agent", CONFORMING_AGENT, f"{deployment.site.url}{DASHBOARD}"],
        capture_output=True, text=True, timeout=15, check=False,
    )  # fmt: skip
    assert head.returncode == 0, head.stderr
    assert head.stdout.startswith("HTTP/2 200")


# -- systemd -----------------------------------------------------------------------------------


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((SYSTEMD / name).read_text())
    return parser


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("status-dashboard@.service", "serve --host 127.0.0.1 --port %i --no-monitor"),
        ("status-dashboard-worker@.service", "worker --name %H-%i"),
    ],
)
def test_each_unit_runs_its_command_with_the_shared_settings_and_stops_on_sigterm(
    unit: str, command: str
) -> None:
    service = _unit(unit)["Service"]
    assert service["ExecStart"] == f"/opt/status-dashboard/bin/status-dashboard {command}"
    assert service["EnvironmentFile"] == "/etc/status-dashboard/status-dashboard.env"
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    assert service["User"] == "status-dashboard"
    assert service["NoNewPrivileges"] == "yes"
    assert _unit(unit)["Install"]["WantedBy"] == "multi-user.target"


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """With systemd-analyze, the units as systemd reads them; without, their keys read here."""
    analyze = shutil.which("systemd-analyze")
    installed = Path(sys.executable).parent / "status-dashboard"
    assert installed.exists(), f"{installed} is missing: install the project into its venv"
    (tmp_path / "status-dashboard.env").write_text(ENV_FILE.read_text())
    instances = []
    for unit, instance in zip(UNITS, ("8001", "1"), strict=True):
        text = (SYSTEMD / unit).read_text()
        text = text.replace("/opt/status-dashboard/bin/status-dashboard", str(installed))
        text = text.replace("/etc/status-dashboard/", f"{tmp_path}/")
        path = tmp_path / unit.replace("@.", f"@{instance}.")
        path.write_text(text)
        instances.append(path)
    if analyze is None:
        for path in instances:
            _known_keys_only(path)
        return
    verdict = subprocess.run(
        [analyze, "verify", *map(str, instances)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert verdict.returncode == 0, verdict.stderr
    # Unknown keys and bad values are only warnings, with exit code 0.
    assert verdict.stderr.strip() == "", verdict.stderr


_KNOWN_KEYS = {
    "Unit": {"Description", "After", "Wants", "Documentation"},
    "Service": {
        "Type",
        "User",
        "Group",
        "EnvironmentFile",
        "WorkingDirectory",
        "StateDirectory",
        "ExecStart",
        "KillSignal",
        "TimeoutStopSec",
        "Restart",
        "RestartSec",
        "LimitNOFILE",
        "NoNewPrivileges",
        "CapabilityBoundingSet",
        "PrivateTmp",
        "PrivateDevices",
        "ProtectSystem",
        "ProtectHome",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
        "RestrictAddressFamilies",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "LockPersonality",
        "SystemCallArchitectures",
        "UMask",
    },
    "Install": {"WantedBy"},
}


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_use_only_keys_they_are_known_to_use(unit: str) -> None:
    _known_keys_only(SYSTEMD / unit)


def _known_keys_only(path: Path) -> None:
    """Where systemd is absent: every section and key is one these units are known to use."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    assert set(parser.sections()) == set(_KNOWN_KEYS), path.name
    for section in parser.sections():
        unknown = set(parser[section]) - _KNOWN_KEYS[section]
        assert not unknown, f"{path.name} [{section}]: {sorted(unknown)}"


# -- the environment file and the Containerfile -------------------------------------------------


def _environment() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in ENV_FILE.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    return dict(pairs)


def test_the_environment_file_names_only_real_settings_with_valid_values() -> None:
    environment = _environment()
    fields = {f"STATUS_DASHBOARD_{name.upper()}": name for name in Settings.model_fields}
    unknown = set(environment) - set(fields)
    assert not unknown, f"not settings: {sorted(unknown)}"
    settings = Settings(**{fields[name]: value for name, value in environment.items()})
    assert settings.database.startswith("postgresql+psycopg://")
    assert settings.secure_cookies


def test_the_containerfile_copies_only_what_the_repository_has() -> None:
    text = CONTAINERFILE.read_text()
    sources = re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE)
    assert sources, "no COPY lines"
    for line in sources:
        for source in line.split():
            assert (REPO / source).exists(), f"COPY {source}: not in the repository"
    assert "uv sync --frozen" in text
    assert re.search(r'^ENTRYPOINT \["status-dashboard"\]$', text, flags=re.MULTILINE)
