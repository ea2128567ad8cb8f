"""`status-dashboard simulate` on the command line: its options, and bad values refused
before anything starts."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from status_dashboard.cli.simulate import simulate


def test_help_lists_the_options_partners_use() -> None:
    result = CliRunner().invoke(simulate, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--seed", "--max-age", "--slow-delay", "--access-log"):
        assert option in result.output
    assert "8001" in result.output
    assert "--timeout-hold" not in result.output


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--slow-delay", "500"], "--slow-delay"),
        (["--slow-delay", "-1"], "--slow-delay"),
        (["--max-age", "-5"], "--max-age"),
        (["--port", "70000"], "--port"),
        (["--seed", "many"], "--seed"),
    ],
)
def test_a_bad_value_is_refused_naming_its_option(arguments: list[str], named: str) -> None:
    result = CliRunner().invoke(simulate, arguments)
    assert result.exit_code == 2
    assert named in result.output
