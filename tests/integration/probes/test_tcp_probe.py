"""TCP checks against a real listener, a refusing port and a silent one."""

from __future__ import annotations

import time

from integration.probes.servers import listening, refused_port, run, silent_port
from status_dashboard.domain.checks import CheckSchedule, TcpCheck
from status_dashboard.probes import TcpProbe

from support.outbound import LOOPBACK

SCHEDULE = CheckSchedule(interval_s=60, timeout_s=1)


def test_a_listening_port_passes() -> None:
    with listening() as port:
        result = run(TcpProbe(TcpCheck("127.0.0.1", port), SCHEDULE, LOOPBACK))
    assert (result.ok, result.reason) == (True, f"port {port} open")


def test_a_closed_port_is_refused() -> None:
    with refused_port() as port:
        result = run(TcpProbe(TcpCheck("127.0.0.1", port), SCHEDULE, LOOPBACK))
    assert (result.ok, result.reason) == (False, "Connection refused")


def test_a_port_that_never_answers_is_cut_at_the_timeout() -> None:
    started = time.monotonic()
    with silent_port() as port:
        result = run(TcpProbe(TcpCheck("127.0.0.1", port), SCHEDULE, LOOPBACK))
    assert time.monotonic() - started < SCHEDULE.timeout_s + 1
    assert (result.ok, result.reason) == (False, "timed out after 1 s")
    assert 900 < result.duration_ms < 2000
