"""Header injection and open redirects, held: line breaks (bare CR, bare LF, encoded, folded) in
every request value the server echoes or reads into an answer's headers: BelGov-Trace-Id (echoed
as BelGov-Related-Trace-Id), the sign-in form's `next` address (the redirect's Location),
Accept-Language and `?lang=` (the language cookie), and cookie values. No answer gains a header,
splits, or sends the browser to another site; and the server keeps answering.

The requests are written to the socket as they are: an HTTP client would refuse to send most.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest

from integration.web.conftest import csrf_of
from integration.web.ui_server import PASSWORDS
from security.conftest import HeldServer, RawAnswer, raw_exchange, raw_get, signed_in

from support.server import CONFORMING_AGENT

AGENT = b"User-Agent: " + CONFORMING_AGENT.encode()
INJECTED = ("set-cookie", "x-injected", "location")

BREAKS = {
    "a bare CR": b"abc\rX-Injected: 1",
    "a bare LF": b"abc\nX-Injected: 1",
    "a folded line": b"abc\r\n X-Injected: 1",
    "an encoded CR LF": b"abc%0d%0aX-Injected:%201",
    "a NUL": b"abc\x00X-Injected: 1",
    "a UTF-8 line separator": "abc\u2028X-Injected: 1".encode(),
    "a Latin-1 next line": b"abc\x85X-Injected: 1",
}
ECHOING = {
    "the public dashboard": b"/api/v1/dashboard/prod",
    "the health answer": b"/health",
    "the admin API": b"/api/admin/v1/me",
    "a status page": b"/",
    "the sign-in form": b"/admin/login",
}


def _held(answer: RawAnswer | None, *, expected: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with a raw answer: a header a request value brought, a line break left in
    one. None (the server closed the connection on a malformed request) holds."""
    if answer is None:
        return []
    wrong = []
    for name, value in answer.headers:
        if name in INJECTED and name not in expected:
            wrong.append(f"an injected header {name}: {value!r}")
        if (
            b"\r" in value
            or b"\n" in value
            or (b"X-Injected" in value and name != "belgov-related-trace-id")
        ):
            wrong.append(f"a line break or injected text in {name}: {value!r}")
    if not (200 <= answer.status < 500):
        wrong.append(f"status {answer.status}")
    return wrong


@pytest.mark.parametrize("where", list(ECHOING))
@pytest.mark.parametrize("what", list(BREAKS))
def test_a_trace_id_with_a_line_break_is_never_echoed_as_headers(
    held: HeldServer, what: str, where: str
) -> None:
    answer = raw_exchange(
        held, raw_get(held, ECHOING[where], AGENT, b"BelGov-Trace-Id: " + BREAKS[what])
    )
    assert _held(answer, expected=("set-cookie",) if where == "the sign-in form" else ()) == []
    if answer is not None:
        # Echoed only when it is short visible ASCII: the encoded form, as text, at most.
        for related in answer.values("belgov-related-trace-id"):
            assert all(0x21 <= byte <= 0x7E for byte in related), related
    _still_serving(held)


@pytest.mark.parametrize("what", list(BREAKS))
def test_an_accept_language_with_a_line_break_sets_no_header(held: HeldServer, what: str) -> None:
    answer = raw_exchange(held, raw_get(held, b"/", AGENT, b"Accept-Language: nl," + BREAKS[what]))
    assert _held(answer) == []
    _still_serving(held)


@pytest.mark.parametrize("what", list(BREAKS))
def test_a_language_parameter_with_a_line_break_sets_no_cookie(held: HeldServer, what: str) -> None:
    value = quote(BREAKS[what], safe="").encode()
    answer = raw_exchange(held, raw_get(held, b"/?lang=nl" + value, AGENT))
    assert answer is not None
    assert _held(answer, expected=("set-cookie",)) == []
    assert all(v.startswith(b"sd_lang=") for v in answer.values("set-cookie"))
    assert all(b"X-Injected" not in v for v in answer.values("set-cookie"))


@pytest.mark.parametrize("cookie", ["sd_lang", "sd_session"])
@pytest.mark.parametrize("what", list(BREAKS))
def test_a_cookie_with_a_line_break_is_never_echoed(
    held: HeldServer, what: str, cookie: str
) -> None:
    for path in (b"/", b"/admin", b"/admin/login"):
        request = raw_get(held, path, AGENT, b"Cookie: " + cookie.encode() + b"=" + BREAKS[what])
        answer = raw_exchange(held, request)
        assert _held(answer, expected=("set-cookie", "location")) == []
        if answer is not None:
            for value in answer.values("set-cookie"):
                assert value.split(b"=", 1)[0] in (b"sd_lang", b"sd_session"), value
            for value in answer.values("location"):
                assert value.startswith(b"/admin/login"), value
    _still_serving(held)


NEXT_ADDRESSES = [
    "//evil.example/admin",
    "https://evil.example/admin",
    "/\\evil.example",
    "/admin\\@evil.example",
    "\\\\evil.example",
    "/admin/../..//evil.example",
    "//evil.example%2f%2e%2e/admin",
    "\t//evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "/admin\r\nLocation: https://evil.example",
    "/admin\r\nSet-Cookie: sd_session=forged",
    "/admin%0d%0aSet-Cookie:%20sd_session=forged",
    "/admin\x00//evil.example",
    "/admin/\u2028//evil.example",
]


def _stays_here(server: HeldServer, location: str) -> str | None:
    """What is wrong with a redirect's Location, or None: it must resolve to this server."""
    if any(c in location for c in "\r\n\t\x00"):
        return f"a control character in {location!r}"
    target = urlsplit(urljoin(server.url + "/admin/login", location))
    here = urlsplit(server.url)
    if (target.scheme, target.netloc) != (here.scheme, here.netloc):
        return f"sends the browser to {target.scheme}://{target.netloc}"
    return None


@pytest.mark.parametrize("address", NEXT_ADDRESSES, ids=repr)
def test_signing_in_never_sends_the_browser_elsewhere(held: HeldServer, address: str) -> None:
    with held.browser() as browser:
        form = browser.get("/admin/login", params={"next": address})
        assert form.status_code == 200
        answer = browser.post(
            "/admin/login",
            data={
                "csrf_token": csrf_of(form.text),
                "name": "victor",
                "password": PASSWORDS["victor"],
                "next": address,
            },
        )
        if "\x00" in address:  # a NUL is refused next to the field: nobody is signed in
            assert answer.status_code == 400
            assert "location" not in answer.headers
            return
        assert answer.status_code == 303
        assert _stays_here(held, answer.headers["location"]) is None
        assert [c for c in browser.cookies.jar if c.name != "sd_session"] == []
        # Signed in now: the form redirects at once, to the same kind of place.
        again = browser.get("/admin/login", params={"next": address})
        assert again.status_code == 303
        assert _stays_here(held, again.headers["location"]) is None


@pytest.mark.parametrize("address", NEXT_ADDRESSES, ids=repr)
def test_a_signed_in_redirect_written_raw_holds(held: HeldServer, address: str) -> None:
    with signed_in(held, "victor") as browser:
        cookie = b"; ".join(f"{c.name}={c.value}".encode() for c in browser.cookies.jar)
    raw_next = address.encode("utf-8").replace(b"\r", b"%0d").replace(b"\n", b"%0a")
    request = raw_get(
        held,
        b"/admin/login?next=" + quote(raw_next, safe="/%").encode(),
        AGENT,
        b"Cookie: " + cookie,
    )
    answer = raw_exchange(held, request)
    assert _held(answer, expected=("location", "set-cookie")) == []
    assert answer is not None
    for location in answer.values("location"):
        assert _stays_here(held, location.decode("latin-1")) is None


def test_a_visitor_sent_to_sign_in_keeps_only_a_path_of_the_ui(held: HeldServer) -> None:
    for path in (
        "/admin/env/prod%0d%0aSet-Cookie:%20x=1",
        "/admin//evil.example",
        "/admin/%5Cevil",
    ):
        answer = raw_exchange(held, raw_get(held, path.encode(), AGENT))
        assert _held(answer, expected=("location", "set-cookie")) == []
        assert answer is not None
        for location in answer.values("location"):
            assert _stays_here(held, location.decode("latin-1")) is None


def _still_serving(server: HeldServer) -> None:
    headers = {"User-Agent": CONFORMING_AGENT}
    assert (
        httpx.get(f"{server.url}/api/v1/dashboard/prod", headers=headers, timeout=10).status_code
        == 200
    )
