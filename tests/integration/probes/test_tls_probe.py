"""TLS certificate checks against real TLS servers with trustme certificates."""

from __future__ import annotations

import ssl
from collections.abc import Callable

import pytest

from integration.probes.servers import LIFETIMES, HttpServer, run, silent_port
from status_dashboard.domain.checks import CheckSchedule, TlsCheck
from status_dashboard.probes import TlsProbe

from support.outbound import LOOPBACK

SCHEDULE = CheckSchedule(interval_s=60, timeout_s=3)
Trust = Callable[[], ssl.SSLContext]


def _date(lifetime: str) -> str:
    return LIFETIMES[lifetime][1].date().isoformat()


@pytest.mark.parametrize(
    ("server", "min_days", "ok", "reason"),
    [
        ("valid", 14, True, f"certificate valid for 365 days ({_date('valid')})"),
        ("expiring", 14, False, f"certificate expires in 3 days ({_date('expiring')})"),
        ("expiring", 3, True, f"certificate valid for 3 days ({_date('expiring')})"),
        ("expired", 14, False, f"certificate expired 2 days ago ({_date('expired')})"),
    ],
)
def test_certificate_days_left_decide_the_result_and_the_reason_names_the_date(
    tls_ports: dict[str, int], trust: Trust, server: str, min_days: int, ok: bool, reason: str
) -> None:
    check = TlsCheck("127.0.0.1", tls_ports[server], min_days_valid=min_days)
    result = run(TlsProbe(check, SCHEDULE, trust, LOOPBACK))
    assert (result.ok, result.reason) == (ok, reason)


def test_a_certificate_from_an_unknown_ca_is_not_trusted(
    tls_ports: dict[str, int], trust: Trust
) -> None:
    result = run(TlsProbe(TlsCheck("127.0.0.1", tls_ports["untrusted"]), SCHEDULE, trust, LOOPBACK))
    assert not result.ok
    assert result.reason.startswith("TLS certificate not trusted: ")
    assert "issuer" in result.reason


def test_a_certificate_for_another_name_is_not_trusted(
    tls_ports: dict[str, int], trust: Trust
) -> None:
    check = TlsCheck("127.0.0.1", tls_ports["valid"], server_name="elsewhere.test")
    result = run(TlsProbe(check, SCHEDULE, trust, LOOPBACK))
    assert not result.ok
    assert result.reason.startswith("TLS certificate not trusted: Hostname mismatch")


def test_the_server_name_is_the_name_checked_against_the_certificate(
    tls_ports: dict[str, int], trust: Trust
) -> None:
    check = TlsCheck("127.0.0.1", tls_ports["valid"], server_name="localhost")
    assert run(TlsProbe(check, SCHEDULE, trust, LOOPBACK)).ok


def test_the_system_trust_does_not_know_a_private_ca(tls_ports: dict[str, int]) -> None:
    result = run(TlsProbe(TlsCheck("127.0.0.1", tls_ports["valid"]), SCHEDULE, policy=LOOPBACK))
    assert result.reason.startswith("TLS certificate not trusted: ")


def test_a_port_that_is_not_tls_fails_the_handshake(http_server: HttpServer, trust: Trust) -> None:
    port = http_server.server_address[1]
    result = run(TlsProbe(TlsCheck("127.0.0.1", port), SCHEDULE, trust, LOOPBACK))
    assert not result.ok
    assert result.reason == "TLS handshake failed: wrong version number"


def test_a_silent_port_is_cut_at_the_timeout(trust: Trust) -> None:
    with silent_port() as port:
        result = run(
            TlsProbe(TlsCheck("127.0.0.1", port), CheckSchedule(timeout_s=1), trust, LOOPBACK)
        )
    assert (result.ok, result.reason) == (False, "timed out after 1 s")
    assert result.duration_ms < 2000
