from __future__ import annotations

import pytest

from status_dashboard.api.negotiation import accepts_json, preferred_encoding


@pytest.mark.parametrize(
    "accept",
    [
        b"",
        b"application/json",
        b"application/*",
        b"*/*",
        b"text/html, application/json;q=0.9",
        b"APPLICATION/JSON; charset=utf-8",
        b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ],
)
def test_these_accept_headers_are_served_json(accept: bytes) -> None:
    assert accepts_json(accept)


@pytest.mark.parametrize(
    "accept",
    [
        b"text/html",
        b"application/xml",
        b"application/json;q=0",
        b"*/*, application/json;q=0",
        b"application/*;q=0",
        b"image/png, text/*",
        b"application/json;q=zero",
    ],
)
def test_these_accept_headers_exclude_json(accept: bytes) -> None:
    assert not accepts_json(accept)


@pytest.mark.parametrize(
    ("accept_encoding", "chosen"),
    [
        (b"", b"identity"),
        (b"gzip", b"gzip"),
        (b"gzip, deflate, br", b"br"),
        (b"br;q=0, gzip", b"gzip"),
        (b"*", b"br"),
        (b"identity", b"identity"),
        (b"gzip;q=0", b"identity"),
        (b"deflate", b"identity"),
    ],
)
def test_the_smallest_accepted_coding_is_chosen(accept_encoding: bytes, chosen: bytes) -> None:
    assert preferred_encoding(accept_encoding) == chosen
