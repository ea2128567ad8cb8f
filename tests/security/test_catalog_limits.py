"""A catalog file has limits (docs/catalog.md): 5 MiB, 50 environments, 2,000 groups, 20,000
items and 20,000 checks. Past one, `catalog check`, `catalog load` and `serve --catalog` refuse
the file with a message naming the limit, before reading it further; aliases that repeat a part
of the file count every time they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from status_dashboard.service.catalog import CatalogInvalid, parse_catalog
from status_dashboard.service.catalog_limits import MAX_CATALOG_BYTES
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.sql import SqlDashboardStore

from support.admin import cli_output
from support.databases import sqlite_database_url
from support.server import free_port

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "catalogs" / "demo.yaml"


def _environments(count: int) -> str:
    lines = ["version: 1", "environments:"]
    for n in range(count):
        lines += [f"  env{n}:", f"    name: Environment {n}"]
    return "\n".join(lines) + "\n"


def _groups(count: int) -> str:
    lines = ["version: 1", "environments:", "  prod:", "    default: true", "    groups:"]
    for n in range(count):
        lines += [f"      g{n}:", f"        name: Group {n}"]
    return "\n".join(lines) + "\n"


def _aliased_items(per_group: int, groups: int) -> str:
    """`groups` groups sharing one anchored mapping of `per_group` items: a small file."""
    items = [f"          i{n}: {{name: Item {n}}}" for n in range(per_group)]
    lines = ["version: 1", "environments:", "  prod:", "    default: true", "    groups:"]
    lines += ["      g0:", "        name: Group 0", "        items: &items", *items]
    for n in range(1, groups):
        lines += [f"      g{n}:", f"        name: Group {n}", "        items: *items"]
    return "\n".join(lines) + "\n"


def _aliased_checks(per_item: int, items: int) -> str:
    checks = [
        f"              - {{type: tcp, host: 127.0.0.1, port: {n + 1}}}" for n in range(per_item)
    ]
    lines = ["version: 1", "environments:", "  prod:", "    default: true", "    groups:"]
    lines += ["      g0:", "        name: Group 0", "        items:"]
    lines += ["          i0:", "            name: Item 0", "            checks: &checks", *checks]
    for n in range(1, items):
        lines += [f"          i{n}:", f"            name: Item {n}", "            checks: *checks"]
    return "\n".join(lines) + "\n"


def _too_large() -> str:
    text = DEMO.read_text()
    return text + "#" * (MAX_CATALOG_BYTES + 1 - len(text.encode("utf-8")))


CASES = {
    "bytes": (_too_large, "larger than 5,242,880 bytes"),
    "environments": (lambda: _environments(51), "at most 50 environments"),
    "groups": (lambda: _groups(2_001), "at most 2,000 groups"),
    "items": (lambda: _aliased_items(200, 101), "at most 20,000 items"),
    "checks": (lambda: _aliased_checks(200, 101), "at most 20,000 checks"),
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "status_dashboard", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("limit", list(CASES))
def test_catalog_check_refuses_a_file_past_a_limit(tmp_path: Path, limit: str) -> None:
    make, message = CASES[limit]
    path = tmp_path / "catalog.yaml"
    path.write_text(make())
    done = _run("catalog", "check", str(path))
    assert done.returncode == 1
    assert message in done.stderr, done.stderr


def test_a_file_at_the_limits_is_a_catalog() -> None:
    spec = parse_catalog(_environments(50))
    assert len(spec.environments) == 50
    assert len(parse_catalog(_groups(2_000)).environments[0].groups) == 2_000


def test_the_limit_is_placed_at_the_first_entry_past_it() -> None:
    with pytest.raises(CatalogInvalid) as refused:
        parse_catalog(_environments(51), "many.yaml")
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (2 + 2 * 50 + 1, "environments.env50")


def test_catalog_load_refuses_a_file_past_a_limit_and_writes_nothing(tmp_path: Path) -> None:
    url = sqlite_database_url(tmp_path)
    cli_output(url, "db", "upgrade")
    path = tmp_path / "catalog.yaml"
    path.write_text(_aliased_items(200, 101))
    done = _run("catalog", "load", str(path), "--database", url)
    assert done.returncode == 1
    assert "at most 20,000 items" in done.stderr
    engine = create_engine_for(url)
    try:
        environments = SqlDashboardStore(engine).environments()
    finally:
        engine.dispose()
    assert all(not env.groups for env in environments)


def test_serve_refuses_to_start_with_a_catalog_past_a_limit(tmp_path: Path) -> None:
    url = sqlite_database_url(tmp_path)
    cli_output(url, "db", "upgrade")
    path = tmp_path / "catalog.yaml"
    path.write_text(_too_large())
    port = str(free_port())
    done = _run("serve", "--port", port, "--catalog", str(path), "--database", url)
    assert done.returncode == 1
    assert "larger than 5,242,880 bytes" in done.stderr + done.stdout
