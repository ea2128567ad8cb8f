"""Repeated failed sign-ins are throttled; on a server of their own, since the throttle counts
per client address and every test calls from 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from integration.web.conftest import csrf_of
from integration.web.ui_server import PASSWORDS, UiServer, ui_server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("ui-throttle")) as running:
        yield running


def test_failed_sign_ins_in_a_row_soon_get_429_with_retry_after(own_server: UiServer) -> None:
    with own_server.client() as client:
        token = csrf_of(client.get("/admin/login").text)
        attempt = {"csrf_token": token, "name": "alice", "password": "wrong-password-x"}
        statuses = [client.post("/admin/login", data=attempt).status_code for _ in range(3)]
        # From the fourth failure on each one makes the next attempt wait, 1 s, 2 s, 4 s...:
        # the short waits are waited out, until one is long enough to try the right password.
        for _ in range(10):
            throttled = client.post("/admin/login", data=attempt)
            if throttled.status_code == 429:
                if int(throttled.headers["retry-after"]) >= 4:
                    break
                time.sleep(int(throttled.headers["retry-after"]))
        # Even the right password waits now: the throttle answers before checking it.
        right = client.post("/admin/login", data={**attempt, "password": PASSWORDS["alice"]})
    assert statuses == [400] * 3
    assert throttled.status_code == 429
    assert 4 <= int(throttled.headers["retry-after"]) <= 15 * 60
    assert throttled.headers["content-type"].startswith("text/html")
    assert right.status_code == 429
