"""`status-dashboard user list | set-role | disable | enable | reset-password` on a real
database: each change audited, the last enabled admin kept."""

from __future__ import annotations

from security.sessions_support import audit_entries, cli, create_user


def _lines(database_url: str) -> list[str]:
    done = cli(database_url, "user", "list")
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_list_set_role_disable_enable_and_reset_password(sqlite_url: str) -> None:
    create_user(sqlite_url, "root", "admin", "root-password-01")
    create_user(sqlite_url, "bob", "viewer", "bob-password-001")
    assert _lines(sqlite_url) == ["root\tadmin\tenabled", "bob\tviewer\tenabled"]

    assert cli(sqlite_url, "user", "set-role", "bob", "operator").returncode == 0
    assert cli(sqlite_url, "user", "disable", "bob").returncode == 0
    assert _lines(sqlite_url)[1] == "bob\toperator\tdisabled"
    assert cli(sqlite_url, "user", "enable", "bob").returncode == 0
    reset = cli(
        sqlite_url, "user", "reset-password", "bob", "--password-stdin", stdin="bob-password-002\n"
    )
    assert reset.returncode == 0, reset.stderr
    assert "bob-password-002" not in reset.stdout + reset.stderr
    assert _lines(sqlite_url)[1] == "bob\toperator\tenabled"

    entries = audit_entries(sqlite_url, target="user:bob")
    assert [(e.action, e.actor) for e in entries] == [
        ("user.reset_password", "system:cli"),
        ("user.enable", "system:cli"),
        ("user.disable", "system:cli"),
        ("user.set_role", "system:cli"),
        ("user.create", "cli"),
    ]
    assert entries[3].before == {"name": "bob", "role": "viewer", "disabled": False}
    assert entries[3].after == {"name": "bob", "role": "operator", "disabled": False}


def test_refusals_end_the_command_with_a_line_that_names_the_cause(sqlite_url: str) -> None:
    create_user(sqlite_url, "root", "admin", "root-password-01")
    last = cli(sqlite_url, "user", "disable", "root")
    demote = cli(sqlite_url, "user", "set-role", "root", "viewer")
    unknown = cli(sqlite_url, "user", "disable", "nobody")
    short = cli(sqlite_url, "user", "reset-password", "root", "--password-stdin", stdin="short\n")
    assert (last.returncode, demote.returncode, unknown.returncode, short.returncode) == (
        1,
        1,
        1,
        1,
    )
    assert last.stderr.startswith("disabled: root is the last enabled admin")
    assert demote.stderr.startswith("role: root is the last enabled admin")
    assert "no user 'nobody'" in unknown.stderr
    assert short.stderr.startswith("password: must be")
    assert _lines(sqlite_url) == ["root\tadmin\tenabled"]
