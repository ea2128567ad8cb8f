"""The SDK and `status-dashboard client` against the real server (`serve --demo`) over a real
socket: typed answers, the 304 round trip, the identity the service records, and the Nagios
plugin's verdicts on the demo's known states."""

from __future__ import annotations

import json
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from integration.sdk.sessions import AGENT
from status_dashboard import __version__
from status_dashboard.cli.client import client as client_command
from status_dashboard.sdk import (
    AsyncStatusClient,
    ChangeKind,
    NotFound,
    StatusClient,
    StatusCode,
    UserAgent,
)

from support.contract import contract_violations
from support.databases import sqlite_database_url
from support.server import RunningServer, running_server

IDP = "715d31b5a498a4587fedc57dada6a9df"  # PROD, disrupted by hand in the demo catalog
EXCHANGE = "2c7ab1fb8df82828f961293921177004"  # PROD, operational by hand
HUB = "JPxywQXOYRSfq0uahPA1"  # PROD group "4. HUB - ...": four items, all operational by hand
CODAGE = "WebService eHealth - Codage (anonymisation/TTP)"  # PROD, unknown by hand
IDP_LINE = (
    "STATUS-DASHBOARD CRITICAL - eHealth IDP - Identity provider - Authorization management is "
    "disrupted: User can not select profile anymore for each online services protected by IDP"
    " | operational=0 disrupted=1 unknown=0"
)
_TOKEN = re.compile(r"demo admin token \(Authorization: Bearer \.\.\.\): (\S+)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The demo, with a max-age of 1 s so that a watch sees a change within seconds, and no
    monitor: the items with checks stay Unknown instead of flipping while a test watches, so
    every state is the catalog's or an operator's."""
    directory = tmp_path_factory.mktemp("sdk-demo")
    env = {"STATUS_DASHBOARD_CACHE_MAX_AGE": "1"}
    database = sqlite_database_url(directory)
    with running_server(database, directory, "--demo", "--no-monitor", env=env) as server:
        yield server


@pytest.fixture(scope="module")
def operator(demo: RunningServer) -> Iterator[httpx.Client]:
    """The admin API, with the token the demo printed at start."""
    found = _TOKEN.search(demo.log())
    assert found, demo.log()
    with demo.client() as admin:
        admin.headers["Authorization"] = f"Bearer {found.group(1)}"
        yield admin


class RecordingTransport(httpx.HTTPTransport):
    """httpx's own transport, noting each request's headers and the status it got."""

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[httpx.Headers, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.exchanges.append((request.headers, response.status_code))
        return response


def test_the_demo_dashboard_comes_back_typed_and_as_served(demo: RunningServer) -> None:
    with StatusClient(demo.url, user_agent=AGENT) as client:
        dashboard = client.dashboard()
    assert contract_violations(json.loads(dashboard.raw)) == []
    assert len(dashboard.groups) == 8
    assert dashboard.groups[0].name == "1. IAM - Identity & Access Management"
    idp = dashboard.item(IDP)
    assert (idp.status_code, idp.group_id) == (StatusCode.DISRUPTED, "AXAQooF-9v9nOdhekPYm")
    assert idp.description == (
        "User can not select profile anymore for each online services protected by IDP"
    )
    assert idp.last_updated.utcoffset() is not None
    assert dashboard.group(HUB).status_code is StatusCode.OPERATIONAL
    (codage,) = dashboard.find("codage")
    assert codage.status_code is StatusCode.UNKNOWN
    assert (dashboard.max_age, dashboard.etag is not None) == (1, True)


@pytest.mark.parametrize("environment", ["prod", "acc", "int"])
def test_every_environment_is_read_the_strict_one_included(
    demo: RunningServer, environment: str
) -> None:
    # INT refuses a User-Agent off the cookbook's pattern with a 400; the SDK's always conforms.
    with StatusClient(demo.url, environment, user_agent=AGENT) as client:
        dashboard = client.dashboard()
    assert dashboard.environment == environment
    assert len(dashboard.items()) > 30


def test_a_second_poll_is_a_304_answered_with_the_dashboard_already_parsed(
    demo: RunningServer,
) -> None:
    recording = RecordingTransport()
    with StatusClient(demo.url, user_agent=AGENT, transport=recording) as client:
        first = client.dashboard()
        second = client.dashboard()
    assert [status for _, status in recording.exchanges] == [200, 304]
    (plain, _), (conditional, _) = recording.exchanges
    assert "if-none-match" not in plain
    assert conditional["if-none-match"] == first.etag
    assert conditional["if-modified-since"] == first.last_modified
    for headers, _ in recording.exchanges:
        assert headers["accept"] == "application/json"
        assert headers["user-agent"] == str(AGENT)
    assert second.groups is first.groups
    assert second.fetched_at >= first.fetched_at


def test_the_service_records_the_sdk_and_the_cli_as_conforming_clients(
    demo: RunningServer, operator: httpx.Client
) -> None:
    agent = UserAgent("registerCheck", "2.0", connector=("status-dashboard-sdk", __version__))
    with StatusClient(demo.url, "acc", user_agent=agent) as client:
        client.dashboard()
    result = _cli("show", "--url", demo.url, "--env", "acc", "--user-agent", "myMonitoring/2.1")
    assert result.exit_code == 0, result.output
    cli_agent = (
        f"myMonitoring/2.1 status-dashboard-cli/{__version__} status-dashboard-sdk/{__version__}"
    )
    deadline = time.monotonic() + 10
    while True:
        records = operator.get("/api/admin/v1/dashboards/acc/clients").json()["items"]
        conforming = {r["user_agent"]: r["conforming"] for r in records}
        if {str(agent), cli_agent} <= set(conforming) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert conforming.get(str(agent)) is True
    assert conforming.get(cli_agent) is True


def test_an_environment_the_service_does_not_have_is_not_found(demo: RunningServer) -> None:
    with StatusClient(demo.url, user_agent=AGENT) as client, pytest.raises(NotFound) as missing:
        client.dashboard("xyz")
    assert missing.value.problem is not None
    assert missing.value.problem["detail"] == "No dashboard for environment 'xyz'"
    assert missing.value.trace_id is not None
    assert "No dashboard for environment 'xyz'" in str(missing.value)


def test_the_async_client_reads_the_same_dashboard_and_revalidates_it(
    demo: RunningServer,
) -> None:
    import asyncio

    async def twice() -> tuple[object, object, bool]:
        async with AsyncStatusClient(demo.url, user_agent=AGENT) as client:
            first = await client.dashboard()
            second = await client.dashboard()
            return first, second, second.groups is first.groups

    first, _, reused = asyncio.run(asyncio.wait_for(twice(), 30))
    with StatusClient(demo.url, user_agent=AGENT) as client:
        assert client.dashboard() == first
    assert reused


def test_a_watch_sees_an_operators_change_within_max_age(
    demo: RunningServer, operator: httpx.Client
) -> None:
    with StatusClient(demo.url, user_agent=AGENT) as client:
        baseline = client.dashboard()
        changed = operator.patch(
            f"/api/admin/v1/dashboards/prod/items/{EXCHANGE}",
            json={"status_code": 2, "description": "eXchange refuses tokens"},
        )
        assert changed.status_code == 200, changed.text
        try:
            started = time.monotonic()
            changes = list(client.watch(since=baseline, max_polls=1))
            waited = time.monotonic() - started
        finally:
            operator.delete(f"/api/admin/v1/dashboards/prod/items/{EXCHANGE}/override")
    (change,) = [c for c in changes if c.item.id == EXCHANGE]
    assert change.kind is ChangeKind.STATUS
    assert change.before is not None
    assert change.before.status_code is StatusCode.OPERATIONAL
    assert change.after is not None
    assert (change.after.status_code, change.after.description) == (
        StatusCode.DISRUPTED,
        "eXchange refuses tokens",
    )
    assert 1.0 <= waited < 5.0  # one max-age, jittered, and no sooner


def _cli(*args: str) -> Result:
    return CliRunner().invoke(client_command, list(args), env={"COLUMNS": "200"})


def _item_id(demo: RunningServer, name: str) -> str:
    with StatusClient(demo.url, user_agent=AGENT) as client:
        (item,) = client.dashboard().find(name)
    return item.id


@pytest.mark.parametrize(
    ("selection", "code", "status_line"),
    [
        (["--item", IDP], 2, IDP_LINE),
        (["--group", HUB], 0, "STATUS-DASHBOARD OK - 4 of 4 operational | operational=4 disrupted=0 unknown=0"),
        (["--item", "codage"], 0, f"STATUS-DASHBOARD OK - {CODAGE} is unknown | operational=0 disrupted=0 unknown=1"),
        (["--item", "codage", "--warn-unknown"], 1, f"STATUS-DASHBOARD WARNING - {CODAGE} is unknown | operational=0 disrupted=0 unknown=1"),
        (["--item", "nope"], 3, "STATUS-DASHBOARD UNKNOWN - no item 'nope' in the prod dashboard"),
        (["--env", "xyz"], 3, "STATUS-DASHBOARD UNKNOWN - 404 Not Found from {url}/api/v1/dashboard/xyz: No dashboard for environment 'xyz'"),
        (["--all", "--item", IDP], 3, "STATUS-DASHBOARD UNKNOWN - --all checks every item: leave out --item and --group"),
    ],
)  # fmt: skip
def test_check_gives_the_nagios_verdict_of_the_demos_known_states(
    demo: RunningServer, selection: list[str], code: int, status_line: str
) -> None:
    if "codage" in selection:
        selection = [_item_id(demo, CODAGE) if arg == "codage" else arg for arg in selection]
    result = _cli("check", "--url", demo.url, *selection)
    assert result.exit_code == code, result.output
    assert result.stdout.splitlines()[0] == status_line.format(url=demo.url)


def test_check_of_everything_counts_what_the_sdk_counts(demo: RunningServer) -> None:
    with StatusClient(demo.url, user_agent=AGENT) as client:
        dashboard = client.dashboard()
    result = _cli("check", "--url", demo.url, "--all")
    first_line, *details = result.stdout.splitlines()
    disrupted, unknown = len(dashboard.disrupted()), len(dashboard.unknown())
    operational = len(dashboard.items()) - disrupted - unknown
    assert result.exit_code == 2  # the demo always has the IDP disrupted
    assert first_line.startswith(
        f"STATUS-DASHBOARD CRITICAL - {disrupted} of {len(dashboard.items())} disrupted: "
    )
    assert first_line.endswith(
        f" | operational={operational} disrupted={disrupted} unknown={unknown}"
    )
    assert len(details) == disrupted + unknown


def test_check_of_an_unreachable_service_is_unknown(tmp_path: Path) -> None:
    from integration.probes.servers import refused_port

    with refused_port() as port:
        result = _cli("check", "--url", f"http://127.0.0.1:{port}", "--timeout", "2")
    assert result.exit_code == 3
    assert result.stdout == (
        f"STATUS-DASHBOARD UNKNOWN - cannot connect to 127.0.0.1:{port}: Connection refused\n"
    )


@pytest.mark.parametrize(
    "bad", [["--user-agent", "my monitoring"], ["--timeout", "0"], ["--no-such-option"]]
)
def test_check_answers_bad_usage_with_unknown_not_critical(
    demo: RunningServer, bad: list[str]
) -> None:
    result = _cli("check", "--url", demo.url, *bad)
    assert result.exit_code == 3
    assert result.stdout.startswith("STATUS-DASHBOARD UNKNOWN - ")


def test_check_run_as_a_process_exits_with_the_plugin_code(demo: RunningServer) -> None:
    run = subprocess.run(
        [sys.executable, "-c", "from status_dashboard.cli.client import client; client()",
         "check", "--url", demo.url, "--item", IDP],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert run.stdout.splitlines()[0] == IDP_LINE


def test_show_json_prints_the_v1_document_as_received(demo: RunningServer) -> None:
    with StatusClient(demo.url, user_agent=AGENT) as client:
        served = json.loads(client.dashboard().raw)
    result = _cli("show", "--url", demo.url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == served
    only_hub = _cli("show", "--url", demo.url, "--json", "--group", HUB)
    assert [g["id"] for g in json.loads(only_hub.stdout)["groups"]] == [HUB]


def test_show_prints_a_table_with_status_words_not_colour_alone(demo: RunningServer) -> None:
    result = _cli("show", "--url", demo.url, "--group", "iam")
    assert result.exit_code == 0, result.output
    assert "1. IAM - Identity & Access Management" in result.stdout
    idp_row = next(
        line for line in result.stdout.splitlines() if "Authorization management" in line
    )
    assert "Disrupted" in idp_row
    assert "User can not select profile" in idp_row
    assert "8 items: 7 operational, 1 disrupted, 0 unknown" in result.stdout
    assert "2. ETEE" not in result.stdout


def test_show_of_a_group_that_is_not_there_fails_plainly(demo: RunningServer) -> None:
    result = _cli("show", "--url", demo.url, "--group", "no such group")
    assert result.exit_code == 1
    assert "no group of prod has the id 'no such group' or a name containing it" in result.stderr


def test_the_watch_command_prints_a_line_per_change(
    demo: RunningServer, operator: httpx.Client
) -> None:
    command = [
        sys.executable, "-c", "from status_dashboard.cli.client import client; client()",
        "watch", "--url", demo.url, "--count", "2", "--interval", "3",
    ]  # fmt: skip
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as watching:
        try:
            assert watching.stderr is not None
            with selectors.DefaultSelector() as selector:
                selector.register(watching.stderr, selectors.EVENT_READ)
                assert selector.select(timeout=20), "the watch did not start"
            started = watching.stderr.readline()
            assert started.startswith(f"watching prod at {demo.url}: 41 items,"), started
            changed = operator.patch(
                f"/api/admin/v1/dashboards/prod/items/{EXCHANGE}",
                json={"status_code": 3, "description": "Monitoring lost"},
            )
            assert changed.status_code == 200, changed.text
            out, err = watching.communicate(timeout=30)
        finally:
            watching.kill()
            operator.delete(f"/api/admin/v1/dashboards/prod/items/{EXCHANGE}/override")
    assert watching.returncode == 0, err
    (line,) = [line for line in out.splitlines() if "IAM Connect - eXchange" in line]
    _, env, what, rest = line.split(" ", 3)
    assert (env, what) == ("prod", "UNKNOWN")
    assert (
        rest.strip()
        == "WebService eHealth - IAM Connect - eXchange (was Operational): Monitoring lost"
    )
