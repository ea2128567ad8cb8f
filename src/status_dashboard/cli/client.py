"""`status-dashboard client`: the dashboard from a partner's side, through the SDK.

show    the dashboard as a table (or `--json`, the v1 document as received)
watch   one line per change, as it is seen
check   a Nagios/Icinga plugin: one status line with perfdata, exit 0 OK, 1 WARNING,
        2 CRITICAL, 3 UNKNOWN (the service unreachable or not speaking the contract)
certify the simulator's official cases against the SDK or a partner's own client (cli/certify)

Every request names the user's product first (`--user-agent`), then this tool and the SDK, as
the cookbook's tracing asks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from status_dashboard import __version__
from status_dashboard.cli.certify import certify
from status_dashboard.sdk import (
    DEFAULT_BASE_URL,
    Change,
    ChangeKind,
    Dashboard,
    Group,
    InvalidUserAgent,
    Item,
    StatusClient,
    StatusCode,
    StatusDashboardError,
    UserAgent,
)

CLI_AGENT = UserAgent("status-dashboard-cli", __version__)
"""This tool's own identity; the SDK is its connector."""

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
_STATES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}
_NAMES_SHOWN = 3

_LOOK = {
    StatusCode.OPERATIONAL: ("green", "✔", "+"),
    StatusCode.DISRUPTED: ("red", "✖", "x"),
    StatusCode.UNKNOWN: ("yellow", "?", "?"),
}
"""Colour, icon, and the icon for terminals that cannot show the first one, per status."""


def _user_agent(ctx: click.Context, param: click.Parameter, value: str | None) -> UserAgent:
    if value is None or not value.strip():
        return CLI_AGENT
    try:
        return CLI_AGENT.prefixed(value.strip())
    except InvalidUserAgent as exc:
        raise click.BadParameter(str(exc)) from None


_CONNECTION_OPTIONS = (
    click.option(
        "--url",
        default=DEFAULT_BASE_URL,
        show_default=True,
        envvar="STATUS_DASHBOARD_CLIENT_URL",
        help="the Status Dashboard service [env STATUS_DASHBOARD_CLIENT_URL]",
    ),
    click.option(
        "--env",
        "environment",
        default="prod",
        show_default=True,
        help="the environment: prod, acc or int",
    ),
    click.option(
        "--user-agent",
        callback=_user_agent,
        envvar="STATUS_DASHBOARD_CLIENT_USER_AGENT",
        metavar="NAME/VERSION",
        help="your product, e.g. 'myMonitoring/2.1', sent before this tool's own identity",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="seconds the whole request may take, retries included",
    ),
)


def _connection(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_CONNECTION_OPTIONS):
        command = option(command)
    return command


def _open(url: str, environment: str, user_agent: UserAgent, timeout: float) -> StatusClient:
    try:
        return StatusClient(url, environment, user_agent=user_agent, timeout=timeout)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _fail(message: str) -> NoReturn:
    click.echo(f"status-dashboard client: {message}", err=True)
    sys.exit(1)


@click.group()
def client() -> None:
    """The dashboard as a partner reads it: show it, watch it, or check it from Nagios/Icinga."""


@client.command()
@_connection
@click.option(
    "--group",
    "group_filter",
    metavar="TEXT",
    help="only groups whose id is TEXT or whose name contains it",
)
@click.option("--json", "as_json", is_flag=True, help="print the v1 document as received")
def show(
    url: str,
    environment: str,
    user_agent: UserAgent,
    timeout: float,
    group_filter: str | None,
    as_json: bool,
) -> None:
    """The dashboard: groups and items, status, description, last update."""
    with _open(url, environment, user_agent, timeout) as reader:
        try:
            dashboard = reader.dashboard()
        except StatusDashboardError as exc:
            _fail(str(exc))
    groups = _matching_groups(dashboard, group_filter)
    if as_json:
        _print_json(dashboard, groups, filtered=group_filter is not None)
        return
    console = Console(highlight=False)
    console.print(_table(dashboard, groups, url, unicode=console.encoding.startswith("utf")))


def _matching_groups(dashboard: Dashboard, wanted: str | None) -> tuple[Group, ...]:
    if wanted is None:
        return dashboard.groups
    folded = wanted.casefold()
    groups = tuple(g for g in dashboard.groups if g.id == wanted or folded in g.name.casefold())
    if not groups:
        _fail(f"no group of {dashboard.environment} has the id {wanted!r} or a name containing it")
    return groups


def _print_json(dashboard: Dashboard, groups: tuple[Group, ...], *, filtered: bool) -> None:
    if not filtered:
        click.echo(dashboard.raw.decode("utf-8", errors="replace"))
        return
    kept = {group.id for group in groups}
    document = json.loads(dashboard.raw)
    document["groups"] = [g for g in document["groups"] if g["id"] in kept]
    click.echo(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


def _table(dashboard: Dashboard, groups: Sequence[Group], url: str, *, unicode: bool) -> Table:
    table = Table(title=f"Status Dashboard · {dashboard.environment} · {url}", title_justify="left")
    table.add_column("Service", ratio=3)
    table.add_column("Status", no_wrap=True)
    table.add_column("Description", ratio=2)
    table.add_column("Last update", no_wrap=True)
    for group in groups:
        table.add_row(Text(group.name, style="bold"), _status_text(group.status_code, unicode))
        for item in group.items:
            table.add_row(
                f"  {item.name}",
                _status_text(item.status_code, unicode),
                item.description or "",
                item.last_updated.strftime("%Y-%m-%d %H:%M"),
            )
        table.add_section()
    items = [item for group in groups for item in group.items]
    table.caption = f"{len(items)} items: " + ", ".join(
        f"{sum(i.status_code is code for i in items)} {code.label.lower()}" for code in StatusCode
    )
    return table


def _status_text(code: StatusCode, unicode: bool) -> Text:
    """Icon and word, so that the status does not rest on colour alone."""
    colour, icon, plain_icon = _LOOK[code]
    return Text(f"{icon if unicode else plain_icon} {code.label}", style=colour)


@client.command()
@_connection
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    help="seconds between polls; never less than the service's max-age",
)
@click.option(
    "--count", type=click.IntRange(min=1), help="stop after this many polls, the first included"
)
def watch(
    url: str,
    environment: str,
    user_agent: UserAgent,
    timeout: float,
    interval: float | None,
    count: int | None,
) -> None:
    """Print each change as it is seen: one line per item, with the time it was seen."""
    with _open(url, environment, user_agent, timeout) as reader:
        try:
            first = reader.dashboard()
            click.echo(f"watching {environment} at {url}: {_summary(first)}", err=True)
            if count == 1:
                return
            changes = reader.watch(
                interval,
                since=first,
                max_polls=None if count is None else count - 1,
                on_error=_report_poll_failure,
            )
            for change in changes:
                click.echo(change_line(change))
        except StatusDashboardError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            return


def _summary(dashboard: Dashboard) -> str:
    disrupted, unknown = len(dashboard.disrupted()), len(dashboard.unknown())
    return f"{len(dashboard.items())} items, {disrupted} disrupted, {unknown} unknown"


def _report_poll_failure(error: StatusDashboardError, delay: float) -> None:
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    click.echo(f"{now} poll failed: {error}; next poll in {delay:.0f} s", err=True)


def change_line(change: Change) -> str:
    """`<when> <env> <WHAT> <item> (<detail>)`, e.g.
    `2025-05-09T08:55:04+02:00 prod DISRUPTED eHealth IDP (was Operational): Users cannot log in`."""
    item = change.item
    when = change.at.astimezone().isoformat(timespec="seconds")
    if change.kind is ChangeKind.ADDED:
        what, detail = "ADDED", f" ({item.status_code.label})"
    elif change.kind is ChangeKind.REMOVED:
        what, detail = "REMOVED", f" (was {item.status_code.label})"
    elif change.kind is ChangeKind.STATUS:
        assert change.before is not None
        what, detail = item.status_code.name, f" (was {change.before.status_code.label})"
    else:
        what, detail = "UPDATED", ""
    if change.after is not None and change.after.description:
        detail += f": {change.after.description}"
    word = click.style(f"{what:<11}", fg=_LOOK[item.status_code][0] if change.after else None)
    return f"{when} {change.environment} {word} {item.name}{detail}"


class _PluginUsageError(click.UsageError):
    exit_code = UNKNOWN


class _PluginCommand(click.Command):
    """Monitoring plugins answer bad usage with UNKNOWN (3): click's usual 2 would read as
    CRITICAL, and page someone about a typo."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            click.echo(f"STATUS-DASHBOARD UNKNOWN - {_clean(exc.format_message())}")
            raise _PluginUsageError(exc.format_message(), exc.ctx) from None


@client.command(cls=_PluginCommand)
@_connection
@click.option(
    "--item", "item_ids", multiple=True, metavar="ID", help="check this item (repeatable)"
)
@click.option(
    "--group",
    "group_ids",
    multiple=True,
    metavar="ID",
    help="check this group's items (repeatable)",
)
@click.option("--all", "check_all", is_flag=True, help="check every item (the default)")
@click.option("--warn-unknown", is_flag=True, help="an Unknown item is a WARNING, not OK")
def check(
    url: str,
    environment: str,
    user_agent: UserAgent,
    timeout: float,
    item_ids: tuple[str, ...],
    group_ids: tuple[str, ...],
    check_all: bool,
    warn_unknown: bool,
) -> None:
    """Nagios/Icinga plugin: CRITICAL when a checked item is disrupted, UNKNOWN when the
    service cannot be read; an Unknown item is a WARNING with --warn-unknown, else OK."""
    if check_all and (item_ids or group_ids):
        _plugin_exit(UNKNOWN, "--all checks every item: leave out --item and --group")
    try:
        with _open(url, environment, user_agent, timeout) as reader:
            dashboard = reader.dashboard()
    except StatusDashboardError as exc:
        _plugin_exit(UNKNOWN, str(exc))
    except click.UsageError as exc:
        _plugin_exit(UNKNOWN, exc.format_message())
    try:
        items = _selected(dashboard, item_ids, group_ids)
    except KeyError as exc:
        _plugin_exit(UNKNOWN, str(exc.args[0]))
    code, lines = plugin_verdict(
        items, warn_unknown=warn_unknown, named=len(item_ids) == 1 and not group_ids
    )
    for line in lines:
        click.echo(line)
    sys.exit(code)


def _selected(
    dashboard: Dashboard, item_ids: tuple[str, ...], group_ids: tuple[str, ...]
) -> list[Item]:
    if not item_ids and not group_ids:
        return list(dashboard.items())
    chosen = [dashboard.item(item_id) for item_id in item_ids]
    for group_id in group_ids:
        chosen.extend(dashboard.group(group_id).items)
    return list({item.id: item for item in chosen}.values())


def plugin_verdict(
    items: Sequence[Item], *, warn_unknown: bool, named: bool = False
) -> tuple[int, list[str]]:
    """The exit code and output of `check`: a status line with perfdata, then one line per
    item that is not operational. `named`: one item was asked for, so it is named."""
    disrupted = [i for i in items if i.status_code is StatusCode.DISRUPTED]
    unknown = [i for i in items if i.status_code is StatusCode.UNKNOWN]
    operational = len(items) - len(disrupted) - len(unknown)
    perfdata = f"operational={operational} disrupted={len(disrupted)} unknown={len(unknown)}"
    if not items:
        return UNKNOWN, ["STATUS-DASHBOARD UNKNOWN - no items to check"]
    if disrupted:
        code, text = CRITICAL, f"{len(disrupted)} of {len(items)} disrupted: {_names(disrupted)}"
    elif unknown and warn_unknown:
        code, text = WARNING, f"{len(unknown)} of {len(items)} unknown: {_names(unknown)}"
    else:
        code, text = OK, f"{operational} of {len(items)} operational"
        if unknown:
            text += f", {len(unknown)} unknown"
    if named:
        (item,) = items
        text = f"{item.name} is {item.status_code.label.lower()}"
        if item.description and not item.status_code.operational:
            text += f": {item.description}"
    status_line = f"STATUS-DASHBOARD {_STATES[code]} - {_clean(text)} | {perfdata}"
    details = [
        _clean(
            f"{item.status_code.label}: {item.name}"
            + (f": {item.description}" if item.description else "")
        )
        for item in (*disrupted, *unknown)
    ]
    return code, [status_line, *details]


def _names(items: Sequence[Item]) -> str:
    shown = ", ".join(item.name for item in items[:_NAMES_SHOWN])
    more = len(items) - _NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _clean(text: str) -> str:
    """One line without `|`, which would start the perfdata."""
    return " ".join(text.replace("|", "/").split())


def _plugin_exit(code: int, text: str) -> NoReturn:
    click.echo(f"STATUS-DASHBOARD {_STATES[code]} - {_clean(text)}")
    sys.exit(code)


client.add_command(certify)
