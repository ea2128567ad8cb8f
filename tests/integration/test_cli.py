"""The command line, run as a partner's operator would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from status_dashboard.bootstrap import demo_catalog_path
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.sql import SqlDashboardStore

from support.databases import sqlite_database_url
from support.server import free_port, serve_command


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "status_dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = sqlite_database_url(tmp_path)
    assert _cli("db", "upgrade", "--database", url).returncode == 0
    return url


def test_db_upgrade_is_idempotent_and_reads_the_environment(tmp_path: Path) -> None:
    url = sqlite_database_url(tmp_path)
    first = _cli("db", "upgrade", env={"STATUS_DASHBOARD_DATABASE_URL": url})
    second = _cli("db", "upgrade", "--database", url)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert (tmp_path / "var" / "status-dashboard.db").exists()


def test_the_demo_catalog_checks_clean() -> None:
    result = _cli("catalog", "check", str(demo_catalog_path()))
    assert result.returncode == 0, result.stderr
    assert "3 environments, 24 groups" in result.stdout


def test_a_broken_catalog_is_reported_with_file_line_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "environments:\n"
        "  prod:\n"
        "    groups:\n"
        "      iam:\n"
        "        name: IAM\n"
        "        items:\n"
        "          sts:\n"
        "            name: STS\n"
        "            status: 7\n"
    )
    result = _cli("catalog", "check", str(broken))
    assert result.returncode == 1
    assert f"{broken}:9:" in result.stderr
    assert "environments.prod.groups.iam.items.sts.status" in result.stderr


def test_an_invalid_catalog_changes_nothing_in_the_database(tmp_path: Path, database: str) -> None:
    assert _cli("catalog", "load", str(demo_catalog_path()), "--database", database).returncode == 0
    store = SqlDashboardStore(create_engine_for(database))
    revision, tree = store.revision(), store.environments()
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        demo_catalog_path().read_text().replace("status: disrupted", "status: broken", 1)
    )
    result = _cli("catalog", "load", str(broken), "--database", database)
    assert result.returncode == 1
    assert "status" in result.stderr
    assert (store.revision(), store.environments()) == (revision, tree)


def test_loading_the_demo_twice_reports_no_changes_the_second_time(database: str) -> None:
    first = _cli("catalog", "load", str(demo_catalog_path()), "--database", database)
    second = _cli("catalog", "load", str(demo_catalog_path()), "--database", database)
    assert first.returncode == second.returncode == 0
    assert "created" in first.stdout
    assert second.stdout.strip().endswith("no changes")


def test_serving_an_unmigrated_database_is_refused_with_the_fix(tmp_path: Path) -> None:
    result = subprocess.run(
        serve_command(free_port(), sqlite_database_url(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "status-dashboard db upgrade" in result.stderr


def test_a_bad_setting_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    result = _cli("serve", "--port", "70000", "--database", sqlite_database_url(tmp_path))
    assert result.returncode == 2
    assert "port" in result.stderr


def test_an_unknown_database_scheme_is_refused_clearly(tmp_path: Path) -> None:
    result = _cli("db", "upgrade", "--database", "mysql://nobody@127.0.0.1/x")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "mysql" in result.stderr


def _cli_input(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "status_dashboard", *args],
        capture_output=True, text=True, timeout=60, input=text, check=False,
    )  # fmt: skip


def test_token_create_prints_only_the_token(database: str) -> None:
    result = _cli(
        "token",
        "create",
        "--name",
        "ci",
        "--role",
        "operator",
        "--environment",
        "acc",
        "--database",
        database,
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("sdt_")
    assert len(line) > 40


def test_user_create_reads_the_password_from_stdin_and_refuses_short_or_taken(
    database: str,
) -> None:
    made = _cli_input(
        "correct horse battery staple\n",
        "user",
        "create",
        "ann",
        "--role",
        "admin",
        "--password-stdin",
        "--database",
        database,
    )
    short = _cli_input(
        "short\n",
        "user",
        "create",
        "bo",
        "--role",
        "viewer",
        "--password-stdin",
        "--database",
        database,
    )
    taken = _cli_input(
        "another long password\n",
        "user",
        "create",
        "ann",
        "--role",
        "viewer",
        "--password-stdin",
        "--database",
        database,
    )
    assert made.returncode == 0, made.stderr
    assert "correct horse" not in made.stdout + made.stderr
    assert short.returncode == 1
    assert "password" in short.stderr
    assert taken.returncode == 1
    assert "ann" in taken.stderr


def test_serving_without_a_session_secret_outside_demo_mode_is_refused(database: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "STATUS_DASHBOARD_SESSION_SECRET"}
    result = subprocess.run(
        serve_command(free_port(), database),
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )
    assert result.returncode == 2
    assert "STATUS_DASHBOARD_SESSION_SECRET" in result.stderr


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A loopback port another program listens on."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize(
    ("command", "environment", "what"),
    [
        (["serve", "--demo", "--port", "{taken}"], {}, "the server"),
        (
            ["serve", "--demo", "--port", "0"],
            {"STATUS_DASHBOARD_METRICS_PORT": "{taken}"},
            "the metrics port",
        ),
        (["worker"], {"STATUS_DASHBOARD_METRICS_PORT": "{taken}"}, "the metrics port"),
    ],
)
def test_a_port_another_program_holds_is_refused_in_one_line(
    database: str, taken_port: int, command: list[str], environment: dict[str, str], what: str
) -> None:
    args = [part.format(taken=taken_port) for part in command]
    env = {name: value.format(taken=taken_port) for name, value in environment.items()}
    result = _cli(*args, "--database", database, env=env)
    assert result.returncode == 1
    assert (
        result.stderr
        == f"cannot listen on 127.0.0.1:{taken_port} for {what}: Address already in use\n"
    )


def test_a_host_that_does_not_resolve_is_refused_in_one_line(database: str) -> None:
    result = _cli(
        "serve", "--demo", "--host", "nowhere.invalid", "--port", "0", "--database", database
    )
    assert result.returncode == 1
    assert result.stderr.startswith("cannot listen on nowhere.invalid:0 for the server: ")
    assert "Traceback" not in result.stderr
