"""Which client address a request has behind proxies: the right-most address of
X-Forwarded-For (or Forwarded) that is not a trusted proxy, and only from a trusted peer."""

from __future__ import annotations

from typing import Any

import pytest

from status_dashboard.api.forwarded import forwarded_scope, parse_allowed

LOOPBACK = parse_allowed("127.0.0.1, ::1")
TWO_PROXIES = parse_allowed("127.0.0.1, 10.0.0.5")


def _client(peer: str, allowed: frozenset[str], *headers: tuple[bytes, bytes]) -> str:
    scope: dict[str, Any] = {
        "type": "http", "scheme": "http", "client": (peer, 40000), "headers": list(headers)
    }  # fmt: skip
    host: str = forwarded_scope(scope, allowed)["client"][0]
    return host


@pytest.mark.parametrize(
    ("peer", "allowed", "header", "client"),
    [
        ("127.0.0.1", LOOPBACK, b"203.0.113.7", "203.0.113.7"),
        ("127.0.0.1", LOOPBACK, b"192.0.2.1, 203.0.113.7", "203.0.113.7"),  # client wrote 1st
        ("127.0.0.1", TWO_PROXIES, b"203.0.113.7, 10.0.0.5", "203.0.113.7"),  # skips our proxy
        ("127.0.0.1", LOOPBACK, b"2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", LOOPBACK, b"203.0.113.7:5555", "203.0.113.7"),
        ("127.0.0.1", LOOPBACK, b"203.0.113.7, garbage", "127.0.0.1"),  # no word to trust
        ("203.0.113.99", LOOPBACK, b"198.51.100.1", "203.0.113.99"),  # untrusted peer
        ("127.0.0.1", parse_allowed(""), b"198.51.100.1", "127.0.0.1"),  # none trusted
        ("10.1.1.1", parse_allowed("*"), b"198.51.100.1, 10.1.1.2", "198.51.100.1"),
    ],
)
def test_x_forwarded_for(peer: str, allowed: frozenset[str], header: bytes, client: str) -> None:
    assert _client(peer, allowed, (b"x-forwarded-for", header)) == client


def test_the_forwarded_header_is_read_when_x_forwarded_for_is_absent() -> None:
    header = b'for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711"'
    assert _client("127.0.0.1", LOOPBACK, (b"forwarded", header)) == "2001:db8:cafe::17"


def test_several_x_forwarded_for_lines_form_one_chain() -> None:
    found = _client(
        "127.0.0.1", LOOPBACK,
        (b"x-forwarded-for", b"192.0.2.1"), (b"x-forwarded-for", b"203.0.113.7"),
    )  # fmt: skip
    assert found == "203.0.113.7"


def test_the_scheme_still_follows_x_forwarded_proto() -> None:
    scope: dict[str, Any] = {
        "type": "http", "scheme": "http", "client": ("127.0.0.1", 1),
        "headers": [(b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"203.0.113.7")],
    }  # fmt: skip
    changed = forwarded_scope(scope, LOOPBACK)
    assert changed["scheme"] == "https"
    assert changed["client"][0] == "203.0.113.7"
