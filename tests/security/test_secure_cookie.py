"""The session cookie is Secure when the client used HTTPS as a trusted proxy says
(X-Forwarded-Proto), not only with `secure_cookies`; an untrusted peer's header changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.web.ui_server import SESSION_SECRET, UiServer, prepared_database

from support.server import running_server


def _set_cookie(server: UiServer, **headers: str) -> str:
    """The session cookie the sign-in form sets (it holds the form's CSRF token). A client on
    plain HTTP would not send a Secure cookie back: the form is as far as this test can go."""
    with server.client() as client:
        answer = client.get("/admin/login", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.headers["set-cookie"].lower()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, UiServer]]:
    directory: Path = tmp_path_factory.mktemp("secure-cookie")
    url = prepared_database(directory)
    trusted = {"STATUS_DASHBOARD_SESSION_SECRET": SESSION_SECRET}
    untrusted = {**trusted, "STATUS_DASHBOARD_FORWARDED_ALLOW_IPS": ""}
    with (
        running_server(url, directory, "--no-monitor", env=trusted) as a,
        running_server(url, directory, "--no-monitor", env=untrusted) as b,
    ):
        yield {
            "trusted": UiServer(a.url, url, a.log_path),
            "untrusted": UiServer(b.url, url, b.log_path),
        }


def test_a_trusted_proxy_saying_https_makes_the_cookie_secure(
    servers: dict[str, UiServer],
) -> None:
    assert "; secure" in _set_cookie(servers["trusted"], **{"X-Forwarded-Proto": "https"})


def test_plain_http_gives_no_secure_flag(servers: dict[str, UiServer]) -> None:
    assert "; secure" not in _set_cookie(servers["trusted"])


def test_an_untrusted_peer_saying_https_changes_nothing(servers: dict[str, UiServer]) -> None:
    assert "; secure" not in _set_cookie(servers["untrusted"], **{"X-Forwarded-Proto": "https"})
