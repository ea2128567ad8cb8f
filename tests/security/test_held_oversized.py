"""Oversized requests, held: a 10 MB body to the admin API or to a form of the UI is refused with
413 before it is read whole, whether it says its length or comes in chunks; a very long address,
a very long header and very many headers are refused with a 4xx by the server; and the server
answers as before afterwards, having written nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from integration.web.conftest import csrf_of
from security.conftest import (
    ADMIN_API,
    PROD_ITEM,
    HeldServer,
    raw_exchange,
    raw_get,
    signed_in,
)

from support.server import CONFORMING_AGENT

TEN_MB = 10 * 1024 * 1024
CHUNK = 64 * 1024


def _chunks(first: bytes, filler: bytes) -> Iterator[bytes]:
    """`first`, then `filler` repeated to 10 MB, chunk by chunk: httpx sends an iterator with
    Transfer-Encoding: chunked and no Content-Length."""
    yield first
    for _ in range(TEN_MB // CHUNK):
        yield filler * (CHUNK // len(filler))


@dataclass(frozen=True)
class Body:
    does: str
    chunked: bool

    def __str__(self) -> str:
        return self.does


BODIES = [Body("with its length", chunked=False), Body("in chunks", chunked=True)]


def _json_body(body: Body) -> bytes | Iterator[bytes]:
    start = b'{"title": "big", "item_ids": ["' + PROD_ITEM.encode() + b'"], "message": "'
    return _chunks(start, b"x") if body.chunked else start + b"x" * TEN_MB + b'"}'


def _form_body(token: str, body: Body) -> bytes | Iterator[bytes]:
    start = f"csrf_token={token}&title=big&impact=minor&state=investigating&item_ids={PROD_ITEM}&message=".encode()
    return _chunks(start, b"x") if body.chunked else start + b"x" * TEN_MB


def _many_fields(token: str, body: Body) -> bytes | Iterator[bytes]:
    # Fields of 900 KB each: none past a parser's limit on one field, ten megabytes in all.
    start = f"csrf_token={token}&title=big".encode()
    field = b"&f=" + b"y" * (900 * 1024)
    if body.chunked:
        return (part for part in [start, *[field] * 12])
    return start + field * 12


def _still_serving(server: HeldServer) -> None:
    headers = {"User-Agent": CONFORMING_AGENT}
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
    assert (
        httpx.get(f"{server.url}/api/v1/dashboard/prod", headers=headers, timeout=10).status_code
        == 200
    )


def _audit_size(server: HeldServer) -> int:
    return len(server.audit())


@pytest.mark.parametrize("body", BODIES, ids=str)
def test_a_10_mb_admin_api_body_is_413_problem(held: HeldServer, body: Body) -> None:
    before = _audit_size(held)
    with held.api() as api:
        answer = api.post(
            f"{ADMIN_API}/dashboards/prod/incidents",
            content=_json_body(body),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 413, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 413
    assert _audit_size(held) == before
    _still_serving(held)


FormMaker = Callable[[str, Body], "bytes | Iterator[bytes]"]
FORMS: list[tuple[str, FormMaker]] = [
    ("one 10 MB field", _form_body),
    ("twelve fields of 900 KB", _many_fields),
]


@pytest.mark.parametrize("body", BODIES, ids=str)
@pytest.mark.parametrize(("shape", "make"), FORMS, ids=[shape for shape, _ in FORMS])
def test_a_10_mb_form_is_413(held: HeldServer, shape: str, make: FormMaker, body: Body) -> None:
    before = _audit_size(held)
    with signed_in(held, "alice") as browser:
        token = csrf_of(browser.get("/admin/env/prod/incidents/new").text)
        answer = browser.post(
            "/admin/env/prod/incidents",
            content=make(token, body),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 413, answer.text[:300]
        assert answer.headers["content-type"].startswith("text/html")
        assert browser.get("/admin").status_code == 200
    assert _audit_size(held) == before
    _still_serving(held)


@pytest.mark.parametrize("body", BODIES, ids=str)
def test_a_10_mb_sign_in_form_is_413(held: HeldServer, body: Body) -> None:
    with held.browser() as browser:
        token = csrf_of(browser.get("/admin/login").text)
        answer = browser.post(
            "/admin/login",
            content=_form_body(token, body),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 413, answer.text[:300]
    _still_serving(held)


AGENT = b"User-Agent: " + CONFORMING_AGENT.encode()
DASHBOARD = b"/api/v1/dashboard/prod"
# The server refuses an address past 64 KB (414) and a head of more than 100 header lines (431);
# one header line alone is refused past about 400 KB (Granian's default buffer, 431), not at the
# 64 KB `server.MAX_REQUEST_HEAD_BYTES` gives it.
HEADS = {
    "a 100 KB address": (DASHBOARD + b"?x=" + b"a" * 100_000, [AGENT]),
    "a 1 MB address": (DASHBOARD + b"?x=" + b"a" * 1_000_000, [AGENT]),
    "a 1 MB header": (DASHBOARD, [AGENT, b"X-Big: " + b"b" * 1_000_000]),
    "a 1 MB cookie": (b"/admin/login", [AGENT, b"Cookie: sd_session=" + b"c" * 1_000_000]),
    "2,000 headers": (DASHBOARD, [AGENT, *[b"X-Many-%d: v" % n for n in range(2000)]]),
    "200 cookies": (b"/", [AGENT, *[b"Cookie: c%d=v" % n for n in range(200)]]),
}


@pytest.mark.parametrize("what", list(HEADS))
def test_an_oversized_request_head_is_a_4xx(held: HeldServer, what: str) -> None:
    path, headers = HEADS[what]
    answer = raw_exchange(held, raw_get(held, path, *headers))
    assert answer is not None, "the server hung up without an answer"
    assert 400 <= answer.status < 500, answer.head
    _still_serving(held)
