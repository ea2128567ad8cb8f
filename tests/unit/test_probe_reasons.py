"""Foreign exceptions become the same short reasons wherever they happen (probes.errors)."""

from __future__ import annotations

import errno
import socket
import ssl

import httpx
import pytest

from status_dashboard.probes.errors import detail_for, reason_for


def _wrapped(inner: BaseException, outer: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


def _untrusted() -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    return error


REASONS = {
    "refused, as httpx wraps it": (
        _wrapped(
            _wrapped(ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"), OSError()),
            httpx.ConnectError("All connection attempts failed"),
        ),
        "Connection refused",
    ),
    "unknown host": (socket.gaierror(-2, "Name or service not known"), "Name or service not known"),
    "asyncio timeout": (TimeoutError(), "timed out after 5 s"),
    "httpx read timeout": (httpx.ReadTimeout("read"), "timed out after 5 s"),
    "untrusted certificate inside httpx": (
        _wrapped(_untrusted(), httpx.ConnectError("verify failed")),
        "TLS certificate not trusted: unable to get local issuer certificate",
    ),
    "reset": (ConnectionResetError(errno.ECONNRESET, "reset"), "Connection reset by peer"),
    "unreachable network": (
        OSError(errno.ENETUNREACH, "x"),
        "Network is unreachable",
    ),
    "server hung up": (
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        "connection closed without an answer",
    ),
    "garbage answer": (httpx.RemoteProtocolError("illegal status line"), "invalid HTTP answer"),
    "something unforeseen": (KeyError("x"), "probe error: KeyError"),
}


@pytest.mark.parametrize(("error", "reason"), REASONS.values(), ids=REASONS.keys())
def test_foreign_errors_read_as_short_reasons(error: BaseException, reason: str) -> None:
    assert reason_for(error, timeout_s=5) == reason


def test_a_fractional_timeout_is_written_as_configured() -> None:
    assert reason_for(TimeoutError(), timeout_s=0.5) == "timed out after 0.5 s"


def test_the_detail_keeps_each_distinct_message_of_the_chain() -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    error = _wrapped(
        _wrapped(refused, OSError("All connection attempts failed")),
        httpx.ConnectError("All connection attempts failed"),
    )
    assert detail_for(error) == (
        "OSError: All connection attempts failed <- "
        f"ConnectionRefusedError: [Errno {errno.ECONNREFUSED}] Connect call failed"
    )
