"""The simulator process the tests of this folder talk to (one per module: the faults and the
conformance book keep state per client, so each module starts clean)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.simulator.simulators import SLOW_DELAY_S, RunningSimulator, running_simulator


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    """`simulate --seed 1 --slow-delay 1.5` on a free loopback port."""
    directory = tmp_path_factory.mktemp("simulator")
    with running_simulator(directory, "--seed", "1", "--slow-delay", str(SLOW_DELAY_S)) as running:
        yield running
