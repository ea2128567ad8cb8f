"""Probe errors, and the one place where foreign exceptions become short human reasons.

ProbeError
└── CheckFailed   the target answered, but not as the check expects; `reason` is what the
                  result will say ("HTTP 503", "body lacks 'UP'"), `detail` what else helps

Everything else a probe meets (httpx, ssl, socket and asyncio errors) is foreign. It is never
formatted where it happens: `reason_for` translates it at the probe's boundary
(`base.guarded`), so "Connection refused" reads the same for HTTP, TCP and TLS checks.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Iterator

import httpx

from status_dashboard.probes import wording


class ProbeError(Exception):
    """Base of the errors probes raise among themselves; none leaves a probe's `run`."""


class CheckFailed(ProbeError):
    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def reason_for(exc: BaseException, timeout_s: float) -> str:
    """The short reason a result shows for a foreign exception, e.g. "Connection refused".

    Libraries wrap the error that matters (httpx.ConnectError <- httpcore.ConnectError <-
    OSError <- ConnectionRefusedError), so the whole cause chain is searched, most telling
    kinds first: a timeout or an untrusted certificate explains more than the wrapper around it.
    """
    chain = list(_causes(exc))
    for error in chain:
        if isinstance(error, TimeoutError | httpx.TimeoutException):
            return f"timed out after {wording.seconds(timeout_s)}"
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {error.verify_message or error.reason}"
    for error in chain:
        reason = _os_reason(error)
        if reason:
            return reason
    for error in chain:
        reason = _http_reason(error)
        if reason:
            return reason
    return f"probe error: {type(exc).__name__}"


def detail_for(exc: BaseException) -> str:
    """The technical account of a failure, for operators: the wrapped errors, outermost first,
    leaving out wrappers that only repeat the message of the error they wrap."""
    chain = list(_causes(exc))
    kept = [e for e, inner in zip(chain, [*chain[1:], None], strict=True) if str(e) != str(inner)]
    return " <- ".join(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__ for e in kept)


def _os_reason(error: BaseException) -> str | None:
    if isinstance(error, ssl.SSLError):
        # OpenSSL's reason codes (WRONG_VERSION_NUMBER) read better as words.
        words = (error.reason or "").replace("_", " ").lower()
        return f"TLS handshake failed: {words or error.strerror or error}"
    if isinstance(error, socket.gaierror):
        return error.strerror or "host name not resolved"
    if isinstance(error, OSError) and error.errno:
        # os.strerror gives the plain C library wording ("Connection refused") where asyncio's
        # message says "Connect call failed ('127.0.0.1', 1)".
        return os.strerror(error.errno)
    return None


def _http_reason(error: BaseException) -> str | None:
    if isinstance(error, httpx.RemoteProtocolError):
        if "without sending" in str(error):
            return "connection closed without an answer"
        return "invalid HTTP answer"
    if isinstance(error, httpx.DecodingError):
        return "body could not be decoded"
    if isinstance(error, httpx.ReadError | httpx.WriteError):
        return "connection lost"
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.HTTPError):
        return f"HTTP error: {type(error).__name__}"
    return None


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
