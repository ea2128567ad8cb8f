"""Signing in and out of the operators' UI over real HTTP."""

from __future__ import annotations

import httpx

from integration.web.conftest import csrf_of, sign_in
from integration.web.ui_server import PASSWORDS, UiServer


def test_pages_send_a_visitor_to_the_sign_in_form(server: UiServer) -> None:
    with server.client() as client:
        answer = client.get("/admin/env/prod/incidents")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login?next=/admin/env/prod/incidents"


def test_a_right_password_gives_a_session_cookie_and_the_board(server: UiServer) -> None:
    with server.client() as client:
        token = csrf_of(client.get("/admin/login").text)
        answer = client.post(
            "/admin/login",
            data={"csrf_token": token, "name": "alice", "password": PASSWORDS["alice"]},
        )
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("sd_session=")
        assert "httponly" in cookie.lower()
        assert "samesite=strict" in cookie.lower()
        assert "path=/admin" in cookie.lower()
        board = client.get(answer.headers["location"])
    assert board.status_code == 200
    assert "Board: PROD" in board.text
    assert "Signed in as <strong>alice</strong>" in board.text


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(server: UiServer) -> None:
    answers = []
    for name, password in (("alice", "not-the-password"), ("nobody-here", "not-the-password")):
        with server.client() as client:
            token = csrf_of(client.get("/admin/login").text)
            answers.append(
                client.post(
                    "/admin/login", data={"csrf_token": token, "name": name, "password": password}
                )
            )
    assert [a.status_code for a in answers] == [400, 400]
    assert all(
        "set-cookie" not in a.headers or "user" not in a.headers["set-cookie"] for a in answers
    )
    messages = [a.text.split('id="login-error">')[1].split("<")[0] for a in answers]
    assert messages[0] == messages[1] == "The user name or password is not right."


def test_a_sign_in_without_the_forms_token_is_refused(server: UiServer) -> None:
    with server.client() as client:
        client.get("/admin/login")
        answer = client.post("/admin/login", data={"name": "alice", "password": PASSWORDS["alice"]})
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


def test_signing_out_ends_the_session(server: UiServer) -> None:
    with sign_in(server, "alice") as client:
        token = csrf_of(client.get("/admin").text)
        answer = client.post("/admin/logout", data={"csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin/login"
        assert client.get("/admin").status_code == 303


def test_signing_out_needs_the_forms_token(server: UiServer) -> None:
    with sign_in(server, "alice") as client:
        assert client.post("/admin/logout", data={"csrf_token": "forged"}).status_code == 403
        assert client.get("/admin").status_code == 200


def test_a_next_address_outside_the_ui_is_ignored(server: UiServer) -> None:
    with server.client() as client:
        token = csrf_of(client.get("/admin/login").text)
        answer = client.post(
            "/admin/login",
            data={
                "csrf_token": token,
                "name": "victor",
                "password": PASSWORDS["victor"],
                "next": "//evil.example/admin",
            },
        )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin"


def test_every_ui_answer_carries_the_security_headers(server: UiServer) -> None:
    with server.client() as client:
        answers = [
            client.get("/admin/login"),
            client.get("/admin"),
            client.get("/admin/static/admin.css"),
            client.get("/admin/no-such-page"),
        ]
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"


def test_an_unknown_ui_address_is_an_html_404(server: UiServer) -> None:
    with sign_in(server, "alice") as client:
        answer = client.get("/admin/no-such-page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")


def test_the_public_api_gets_no_ui_headers_or_cookie(server: UiServer) -> None:
    answer = httpx.get(f"{server.url}/health")
    assert "x-frame-options" not in answer.headers
    assert "set-cookie" not in answer.headers
