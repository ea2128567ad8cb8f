"""A form body without Content-Length (chunked) is counted as it arrives and refused with 413
past 64 KiB, before the server has read it to its end."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from integration.web.ui_server import UiServer, ui_server

CHUNK = b"x" * 1024


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(Path(tmp_path_factory.mktemp("forms"))) as server:
        yield server


def _status_of_unfinished_chunked_form(url: str, path: str, kilobytes: int) -> int:
    """Send a chunked form of `kilobytes` KiB without its last chunk (the body never ends),
    and read the status line the server answers with."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        connection.sendall(head.encode("ascii"))
        connection.sendall(b"5\r\nname=\r\n")
        for _ in range(kilobytes):
            try:
                connection.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
            except (BrokenPipeError, ConnectionResetError):
                break  # the server has answered and closed: the rest is not read
        answer = b""
        while b"\r\n" not in answer:
            received = connection.recv(4096)
            assert received, "the server closed without an answer"
            answer += received
    return int(answer.split(b" ", 2)[1])


def test_a_chunked_login_form_of_100_kb_is_413_before_it_ends(ui: UiServer) -> None:
    assert _status_of_unfinished_chunked_form(ui.url, "/admin/login", 100) == 413


def test_a_chunked_form_within_the_limit_is_read(ui: UiServer) -> None:
    with ui.client() as client:
        form = "name=nobody&password=wrong&csrf_token=x"
        answer = client.post(
            "/admin/login",
            content=iter([form.encode("ascii")]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code != 413
