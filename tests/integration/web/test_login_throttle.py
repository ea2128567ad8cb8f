"""Repeated failed sign-ins are throttled; on a server of their own, since the throttle counts
per client address and every test calls from 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.web.conftest import csrf_of
from integration.web.ui_server import PASSWORDS, UiServer, ui_server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    with ui_server(tmp_path_factory.mktemp("ui-throttle")) as running:
        yield running


def test_the_sixth_failed_sign_in_in_a_row_gets_429_with_retry_after(own_server: UiServer) -> None:
    with own_server.client() as client:
        token = csrf_of(client.get("/admin/login").text)
        attempt = {"csrf_token": token, "name": "alice", "password": "wrong-password-x"}
        statuses = [client.post("/admin/login", data=attempt).status_code for _ in range(5)]
        throttled = client.post("/admin/login", data=attempt)
        # Even the right password waits now: the throttle answers before checking it.
        right = client.post("/admin/login", data={**attempt, "password": PASSWORDS["alice"]})
    assert statuses == [400] * 5
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 15 * 60
    assert throttled.headers["content-type"].startswith("text/html")
    assert right.status_code == 429
