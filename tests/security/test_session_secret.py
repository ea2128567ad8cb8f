"""Placeholder and guessable session secrets are refused at start: `status-dashboard serve`
exits 1 with one line on standard error, and random secrets pass."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from status_dashboard.web.session_secret import (
    WeakSessionSecret,
    check_session_secret,
    entropy_bits,
)

from support.server import free_port

SHIPPED_PLACEHOLDER = "CHANGE-ME-to-48-random-characters-the-same-on-every-replica"
REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_environment_file_still_holds_the_refused_placeholder() -> None:
    env_file = (REPO / "deploy" / "systemd" / "status-dashboard.env").read_text()
    assert f"STATUS_DASHBOARD_SESSION_SECRET={SHIPPED_PLACEHOLDER}" in env_file


@pytest.mark.parametrize(
    "secret",
    [
        SHIPPED_PLACEHOLDER,
        "changeme" * 5,
        "secret" * 7,
        "an-example-key-for-the-admin-ui-sessions-0001",
        "a" * 64,
        "abababababababababababababababababababab",
        "0123456789" * 4,  # ten distinct characters
        "abcdefghijklmnop" * 3,
        "short",
    ],
)
def test_serve_refuses_a_weak_secret_in_one_line_and_exit_1(
    secret: str, sqlite_url: str, tmp_path: Path
) -> None:
    environment = {**os.environ, "STATUS_DASHBOARD_SESSION_SECRET": secret}
    done = subprocess.run(
        [sys.executable, "-m", "status_dashboard", "serve", "--port", str(free_port()),
         "--database", sqlite_url, "--no-monitor"],
        env=environment, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("configuration: STATUS_DASHBOARD_SESSION_SECRET refused: ")
    assert secret not in done.stderr  # the secret itself is never printed
    assert done.stdout == ""


def test_random_secrets_as_the_docs_make_them_pass() -> None:
    for _ in range(2000):
        check_session_secret(secrets.token_urlsafe(32))
        check_session_secret(secrets.token_urlsafe(48))
        check_session_secret(secrets.token_hex(32))


def test_the_entropy_estimate_tells_random_from_repeated() -> None:
    assert entropy_bits("a" * 64) == 0
    assert entropy_bits(secrets.token_urlsafe(32)) > 170
    with pytest.raises(WeakSessionSecret, match="predictable"):
        check_session_secret("Zq3" + secrets.token_hex(15))  # 33 characters, about 125 bits


def test_a_repeated_pattern_is_refused_though_its_characters_look_varied() -> None:
    pattern = "abcdefghijklmnop" * 3  # 192 bits by the character counts alone
    assert entropy_bits(pattern) > 170
    with pytest.raises(WeakSessionSecret, match="repeats a pattern"):
        check_session_secret(pattern)
