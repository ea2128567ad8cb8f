"""One seed, same answers: two simulator processes started with the same `--seed` show the same
ids, names and statuses (each process hashes strings with a seed of its own, so this holds only
if no draw depends on Python's hashing); another seed draws other items."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from integration.simulator.simulators import RunningSimulator, running_simulator

_SEEDED_FIELDS = ("id", "order", "name", "status_code", "description")
DRAWN = ["one-disrupted", "group-disrupted", "large", "new-item", "reordered", "flapping"]


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RunningSimulator]]:
    """Simulators started with seeds 5, 5 and 6."""
    directory: Path = tmp_path_factory.mktemp("seeds")
    with ExitStack() as stack:
        yield [
            stack.enter_context(running_simulator(directory, "--seed", seed))
            for seed in ("5", "5", "6")
        ]


def _shown(simulator: RunningSimulator, scenario: str, agent: str) -> list[Any]:
    """What each environment shows, but the stamps (which follow the clock, not the seed)."""
    shown = []
    with simulator.client(user_agent=agent) as client:
        for environment in ("prod", "acc", "int"):
            path = f"/scenarios/{scenario}/api/v1/dashboard/{environment}"
            for group in client.get(path).json()["groups"]:
                shown.append((environment, group["id"], group["name"], group["status_code"]))
                shown.extend(
                    tuple(item.get(field) for field in _SEEDED_FIELDS) for item in group["items"]
                )
    return shown


@pytest.mark.parametrize("scenario", DRAWN)
def test_two_processes_with_one_seed_show_the_same(
    three: list[RunningSimulator], scenario: str
) -> None:
    first, second, _ = three
    agent = f"seedCheck-{scenario}/1.0 Technical/3.19.0"
    assert _shown(first, scenario, agent) == _shown(second, scenario, agent)


def test_another_seed_draws_other_items(three: list[RunningSimulator]) -> None:
    first, _, other = three
    differ = [
        scenario
        for scenario in ("one-disrupted", "group-disrupted", "large")
        if _shown(first, scenario, "seedOther/1.0 x/1")
        != _shown(other, scenario, "seedOther/1.0 x/1")
    ]
    assert differ == ["one-disrupted", "group-disrupted", "large"]
