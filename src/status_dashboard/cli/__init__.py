"""The `status-dashboard` command: serve | worker | simulate | client | db | catalog | user | token
(docs/design.md §1). Each larger command group has its own module in this package."""

from __future__ import annotations

import importlib
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import click
from pydantic import ValidationError

from status_dashboard.config import DEFAULT_DATABASE_URL, Settings
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.logs import LOG_FORMATS, configure_logging

_DATABASE = click.option(
    "--database",
    "database_url",
    metavar="URL",
    help=f"SQLAlchemy URL [env STATUS_DASHBOARD_DATABASE_URL; default {DEFAULT_DATABASE_URL}]",
)


_LOG_FORMAT = click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    help="log lines as key=value pairs or as JSON objects [env STATUS_DASHBOARD_LOG_FORMAT; "
    "default keyvalue]",
)


def _settings(**flags: Any) -> Settings:
    """Flags that were given win over STATUS_DASHBOARD_* variables, which win over defaults."""
    try:
        return Settings(**{name: value for name, value in flags.items() if value is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise click.UsageError(f"invalid setting: {problems}") from None


class _LazyGroup(click.Group):
    """Commands of their own module are imported only when called, so that `serve` does not
    load the simulator, the SDK or rich to start."""

    _LAZY: ClassVar[dict[str, tuple[str, str]]] = {
        "simulate": ("status_dashboard.cli.simulate", "simulate"),
        "client": ("status_dashboard.cli.client", "client"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._LAZY:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self._LAZY[cmd_name]
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(package_name="status-dashboard")
def main() -> None:
    """The eHealth platform's Status Dashboard service."""


@main.command()
@click.option("--host", help="address to listen on [env STATUS_DASHBOARD_HOST; default 127.0.0.1]")
@click.option("--port", type=int, help="port [env STATUS_DASHBOARD_PORT; default 8000]")
@_DATABASE
@click.option("--catalog", type=click.Path(path_type=Path), help="catalog file to load at start")
@click.option(
    "--demo", is_flag=True, default=None, help="migrate, and load the demo catalog if empty"
)
@click.option("--no-monitor", "no_monitor", is_flag=True, default=False, help="run no checks here")
@click.option("--access-log", is_flag=True, default=None, help="log every request")
@click.option(
    "--workers",
    type=int,
    help="server processes on the one port; one runs the checks [env STATUS_DASHBOARD_WORKERS; "
    "default 1]",
)
@_LOG_FORMAT
def serve(no_monitor: bool, **flags: Any) -> None:
    """Serve the public API, the admin API and UI, and (unless --no-monitor) run the checks."""
    from status_dashboard.bootstrap import ServerRuntime, open_stores
    from status_dashboard.server import run
    from status_dashboard.service.catalog import CatalogInvalid

    settings = _settings(monitor=False if no_monitor else None, **flags)
    configure_logging(settings.log_level, settings.log_format)
    _ensure_strong_secret(settings)
    if settings.workers > 1 and settings.port == 0:
        _fail("--workers needs a fixed --port: every process listens on the same one", code=2)
    _ensure_free(settings.host, settings.port, "the server")
    if settings.metrics_port is not None:
        for process in range(settings.workers):  # process i: metrics_port + i
            _ensure_free(settings.host, settings.metrics_port + process, "the metrics port")
    _ensure_migrated(settings, migrate_if_needed=settings.demo)
    runtime = ServerRuntime(settings, open_stores(settings))
    try:
        runtime.load_startup_catalog()
    except CatalogInvalid as exc:
        _fail(str(exc), code=1)
    if settings.demo:
        for line in runtime.demo_access():
            click.echo(line)
    from status_dashboard.bootstrap import MissingSecret

    try:
        app = runtime.app()
    except (MissingSecret, ValueError) as exc:
        _fail(f"configuration: {exc}", code=2)
    if settings.workers == 1:
        run(app, host=settings.host, port=settings.port, access_log=settings.access_log)
        return
    from functools import partial

    from status_dashboard.bootstrap import serve_replica
    from status_dashboard.server import run_replicas

    # The chores above ran once, here; the processes only serve.
    replicas = runtime.replica_settings()
    runtime.stores.close()
    sys.exit(run_replicas(partial(serve_replica, replicas), settings.workers))


@main.command()
@_DATABASE
@click.option(
    "--concurrency",
    "monitor_concurrency",
    type=int,
    help="checks run at once [env STATUS_DASHBOARD_MONITOR_CONCURRENCY; default 100]",
)
@click.option("--name", "worker_name", help="name in leases and heartbeats [default host:pid]")
@_LOG_FORMAT
def worker(**flags: Any) -> None:
    """Run the checks: claim the due ones, run them, record the results; SIGTERM (or Ctrl-C)
    lets the running checks finish, then exits. Any number of workers share one database."""
    import uvloop

    from status_dashboard.bootstrap import open_stores, run_worker

    settings = _settings(**flags)
    configure_logging(settings.log_level, settings.log_format)
    if settings.metrics_port is not None:
        _ensure_free(settings.host, settings.metrics_port, "the metrics port")
    _ensure_migrated(settings, migrate_if_needed=False)
    uvloop.run(run_worker(settings, open_stores(settings)))


@main.group()
def db() -> None:
    """The database."""


@db.command()
@_DATABASE
def upgrade(database_url: str | None) -> None:
    """Create or migrate the database to the current schema."""
    from status_dashboard.store import migrate
    from status_dashboard.store.errors import StoreError

    settings = _settings(database_url=database_url)
    try:
        migrate.upgrade(settings.database)
    except StoreError as exc:
        _fail(f"database: {exc}", code=2)
    click.echo("database is up to date")


@main.group()
def catalog() -> None:
    """The catalog as code (docs/catalog.md)."""


@catalog.command()
@click.argument("file", type=click.Path(path_type=Path))
def check(file: Path) -> None:
    """Validate FILE; print every problem with its line and field; exit 1 if any."""
    from status_dashboard.service.catalog import CatalogInvalid, read_catalog

    try:
        spec = read_catalog(file)
    except CatalogInvalid as exc:
        _fail(str(exc), code=1)
    groups = sum(len(env.groups) for env in spec.environments)
    items = sum(len(g.items) for env in spec.environments for g in env.groups)
    click.echo(
        f"{file}: ok ({len(spec.environments)} environments, {groups} groups, {items} items)"
    )


@catalog.command()
@click.argument("file", type=click.Path(path_type=Path))
@_DATABASE
@click.option("--prune", is_flag=True, help="remove groups and items the file does not list")
def load(file: Path, database_url: str | None, prune: bool) -> None:
    """Apply FILE to the database, idempotently: keys map to stable ids."""
    from status_dashboard.bootstrap import open_stores
    from status_dashboard.domain.errors import CatalogConflict
    from status_dashboard.service.catalog import CatalogInvalid, load_catalog
    from status_dashboard.service.publisher import utc_now

    settings = _settings(database_url=database_url)
    _ensure_migrated(settings, migrate_if_needed=False)
    try:
        merge = load_catalog(open_stores(settings).dashboards, file, utc_now(), prune=prune)
    except CatalogInvalid as exc:
        _fail(str(exc), code=1)
    except CatalogConflict as exc:
        _fail(f"{file}: {exc}", code=1)
    for line in merge.changes:
        click.echo(line)
    for line in merge.unlisted:
        click.echo(f"{line}: not in the file, kept (use --prune to remove)")
    click.echo(f"{file}: {len(merge.changes)} changes" if merge.changed else f"{file}: no changes")


_ROLES = click.Choice([role.value for role in Role])


@main.group()
def user() -> None:
    """People who sign in to the admin side."""


@user.command("create")
@click.argument("name")
@click.option("--role", type=_ROLES, required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@_DATABASE
def user_create(name: str, role: str, password_stdin: bool, database_url: str | None) -> None:
    """Create a user; the password is asked for (twice) unless --password-stdin."""
    from status_dashboard.bootstrap import accounts_for, open_stores

    settings = _settings(database_url=database_url)
    _ensure_migrated(settings, migrate_if_needed=False)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = _refused_plainly(
        lambda: accounts_for(open_stores(settings)).create_user(name, Role(role), password, "cli")
    )
    click.echo(f"user {created.name} created with role {created.role.value}", err=True)


def _user_admin(database_url: str | None) -> Any:
    """The user management use cases on the configured database, and the CLI's principal."""
    from status_dashboard.bootstrap import open_stores, user_admin_for

    settings = _settings(database_url=database_url)
    _ensure_migrated(settings, migrate_if_needed=False)
    return user_admin_for(open_stores(settings))


# Whoever runs the command on the server's machine with its database URL is an unscoped admin.
_CLI = Principal("system", 0, "cli", Role.ADMIN)


@user.command("list")
@_DATABASE
def user_list(database_url: str | None) -> None:
    """Every user: name, role, enabled or disabled."""
    for found in _refused_plainly(lambda: _user_admin(database_url).users(_CLI)):
        state = "disabled" if found.disabled else "enabled"
        click.echo(f"{found.name}\t{found.role.value}\t{state}")


@user.command("set-role")
@click.argument("name")
@click.argument("role", type=_ROLES)
@_DATABASE
def user_set_role(name: str, role: str, database_url: str | None) -> None:
    """Give NAME another ROLE; ends every session of the user."""
    changed = _refused_plainly(lambda: _user_admin(database_url).set_role(_CLI, name, Role(role)))
    click.echo(f"user {changed.name} has role {changed.role.value}", err=True)


@user.command("disable")
@click.argument("name")
@_DATABASE
def user_disable(name: str, database_url: str | None) -> None:
    """Refuse NAME's sign-ins; ends every session of the user."""
    changed = _refused_plainly(lambda: _user_admin(database_url).set_disabled(_CLI, name, True))
    click.echo(f"user {changed.name} is disabled", err=True)


@user.command("enable")
@click.argument("name")
@_DATABASE
def user_enable(name: str, database_url: str | None) -> None:
    """Let NAME sign in again."""
    changed = _refused_plainly(lambda: _user_admin(database_url).set_disabled(_CLI, name, False))
    click.echo(f"user {changed.name} is enabled", err=True)


@user.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@_DATABASE
def user_reset_password(name: str, password_stdin: bool, database_url: str | None) -> None:
    """Set a new password for NAME (asked for twice unless --password-stdin); ends every session
    of the user."""
    admin = _user_admin(database_url)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    changed = _refused_plainly(lambda: admin.reset_password(_CLI, name, password))
    click.echo(f"new password set for {changed.name}", err=True)


@main.group()
def token() -> None:
    """Bearer tokens for the admin API."""


@token.command("create")
@click.option("--name", required=True)
@click.option("--role", type=_ROLES, required=True)
@click.option(
    "--environment", "environments", multiple=True, help="limit to this environment (repeatable)"
)
@click.option("--expires-in-days", type=click.IntRange(1, 3650), help="expire after this many days")
@_DATABASE
def token_create(
    name: str,
    role: str,
    environments: tuple[str, ...],
    expires_in_days: int | None,
    database_url: str | None,
) -> None:
    """Create a token and print it, alone, on standard output: it is shown this once."""
    from datetime import timedelta

    from status_dashboard.bootstrap import accounts_for, open_stores
    from status_dashboard.service.publisher import utc_now

    settings = _settings(database_url=database_url)
    _ensure_migrated(settings, migrate_if_needed=False)
    expires_at = utc_now() + timedelta(days=expires_in_days) if expires_in_days else None
    scope = frozenset(environments) or None
    created = _refused_plainly(
        lambda: accounts_for(open_stores(settings)).create_token(
            Principal.system("cli"), name, Role(role), scope, expires_at
        )
    )
    click.echo(created.secret)


T = TypeVar("T")


def _refused_plainly(action: Callable[[], T]) -> T:
    """Run a use case; its refusals (bad input, a taken name) end the command with a message."""
    from status_dashboard.domain.errors import DomainError
    from status_dashboard.service import ServiceError

    try:
        return action()
    except (ServiceError, DomainError) as exc:
        _fail(str(exc), code=1)
        raise  # unreachable: _fail exits


def _ensure_strong_secret(settings: Settings) -> None:
    """Refuse a placeholder or guessable session secret before anything starts: whoever knows
    it can sign a session cookie for any user."""
    from status_dashboard.web.session_secret import WeakSessionSecret, check_session_secret

    if settings.session_secret is None:
        return  # none at all is refused later, unless --demo makes one
    try:
        check_session_secret(settings.session_secret.get_secret_value())
    except WeakSessionSecret as exc:
        _fail(f"configuration: STATUS_DASHBOARD_SESSION_SECRET refused: {exc}", code=1)


def _ensure_migrated(settings: Settings, *, migrate_if_needed: bool) -> None:
    from status_dashboard.store import migrate
    from status_dashboard.store.errors import StoreError

    try:
        if migrate.is_up_to_date(settings.database):
            return
        if migrate_if_needed:
            migrate.upgrade(settings.database)
            return
    except StoreError as exc:
        _fail(f"database: {exc}", code=2)
    _fail("the database schema is not current: run `status-dashboard db upgrade` first", code=2)


def _ensure_free(host: str, port: int, what: str) -> None:
    """Fail now, in one line, when another program listens on the port: the server would
    otherwise find out deep in its start and stop with a traceback (port 0, any free one, still
    checks that the host is an address of this machine)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        # Bound and closed at once; create_server sets SO_REUSEADDR, so a port left in
        # TIME_WAIT by a server that just stopped counts as free, as it is for the server.
        socket.create_server(address, family=family).close()
    except socket.gaierror as exc:
        _fail(f"cannot listen on {host}:{port} for {what}: {exc.strerror}", code=1)
    except OSError as exc:
        # create_server adds the address to the system's reason: give the reason alone.
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        _fail(f"cannot listen on {host}:{port} for {what}: {reason}", code=1)


def _fail(message: str, *, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)
