"""The partners' page of the simulator (docs/simulator.md) keeps up with the simulator itself:
every scenario, every fault and every conformance rule is described there."""

from __future__ import annotations

from pathlib import Path

import pytest

from status_dashboard.domain.conformance import SEVERITY, Rule
from status_dashboard.service.simulator.scenarios import SCENARIOS

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "simulator.md").read_text()


@pytest.mark.parametrize("name", [info.name for info in SCENARIOS])
def test_every_scenario_and_fault_has_its_row(name: str) -> None:
    assert f"| `{name}` |" in PAGE


@pytest.mark.parametrize("rule", list(Rule))
def test_every_conformance_rule_has_its_row_with_its_severity(rule: Rule) -> None:
    assert f"| `{rule.value}` | {SEVERITY[rule].value} |" in PAGE
