"""Which peers may tell the scheme the client used, and what they may tell."""

from __future__ import annotations

from typing import Any

import pytest

from status_dashboard.api.forwarded import forwarded_scope, parse_allowed

LOOPBACK = parse_allowed("127.0.0.1, ::1")


def scope(client: str | None, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {
        "type": "http",
        "scheme": "http",
        "client": None if client is None else (client, 40000),
        "headers": list(headers),
    }


@pytest.mark.parametrize(
    ("peer", "header", "allowed", "scheme"),
    [
        ("127.0.0.1", b"https", LOOPBACK, "https"),
        ("::1", b"HTTPS", LOOPBACK, "https"),
        ("127.0.0.1", b"https, http", LOOPBACK, "https"),  # the first proxy's, the client's
        ("127.0.0.1", b"http", LOOPBACK, "http"),
        ("203.0.113.9", b"https", LOOPBACK, "http"),  # not a trusted proxy: ignored
        ("203.0.113.9", b"https", parse_allowed("*"), "https"),
        ("127.0.0.1", b"https", parse_allowed(""), "http"),  # none trusted
        ("127.0.0.1", b"gopher", LOOPBACK, "http"),  # no scheme of ours
        (None, b"https", LOOPBACK, "http"),  # no peer known
    ],
)
def test_only_a_trusted_proxy_sets_the_scheme(
    peer: str | None, header: bytes, allowed: frozenset[str], scheme: str
) -> None:
    given = scope(peer, (b"x-forwarded-proto", header))

    assert forwarded_scope(given, allowed)["scheme"] == scheme


def test_a_request_without_the_header_is_left_as_it_came() -> None:
    given = scope("127.0.0.1", (b"host", b"status.example.org"))

    assert forwarded_scope(given, LOOPBACK) is given


def test_the_allowed_list_reads_commas_and_blanks() -> None:
    assert parse_allowed(" 10.0.0.1 ,10.0.0.2,, ") == {"10.0.0.1", "10.0.0.2"}
