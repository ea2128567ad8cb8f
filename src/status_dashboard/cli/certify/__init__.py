"""`status-dashboard client certify`: the test kit a partner runs to prove a client ready for
acceptance (cookbook §7.2). It plays every official case against the simulator, with the SDK or
with the partner's own client command, and prints a pass/fail table; the exit status is 0 when
no case failed, 1 when one did, 2 when the kit could not run.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Iterator

import click
import orjson
from rich.console import Console
from rich.table import Table
from rich.text import Text

from status_dashboard import __version__
from status_dashboard.cli.certify.command_cases import URL_PLACEHOLDER, CommandCases
from status_dashboard.cli.certify.kit import Case, CaseReport, Result, overall, run_all
from status_dashboard.cli.certify.sdk_cases import SdkCases
from status_dashboard.cli.certify.simulator import (
    Simulator,
    SimulatorUnavailable,
    at_url,
    own_simulator,
)
from status_dashboard.sdk import InvalidUserAgent, UserAgent

_STYLE = {Result.PASS: "green", Result.WARN: "yellow", Result.FAIL: "bold red"}
_WORD = {Result.PASS: "PASS", Result.WARN: "WARN", Result.FAIL: "FAIL"}


@click.command()
@click.option(
    "--url",
    metavar="URL",
    help="a running simulator (e.g. http://127.0.0.1:8001); without it the kit starts its own",
)
@click.option(
    "--command",
    metavar="CMD",
    help=f"your client's command; {URL_PLACEHOLDER} stands for the base URL of each case "
    "(also in STATUS_DASHBOARD_URL). Without it the SDK is certified.",
)
@click.option(
    "--user-agent",
    "user_agent",
    metavar="UA",
    help="the User-Agent your client sends (required with --command)",
)
@click.option(
    "--case-seconds",
    type=click.FloatRange(1, 600),
    default=20.0,
    show_default=True,
    help="how long your command runs per case before it is stopped",
)
@click.option("--case", "only", multiple=True, metavar="NAME", help="run only these cases")
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON")
def certify(
    url: str | None,
    command: str | None,
    user_agent: str | None,
    case_seconds: float,
    only: tuple[str, ...],
    as_json: bool,
) -> None:
    """Play the official cases against the simulator and print what passed."""
    if command is not None and not user_agent:
        raise click.UsageError("--command needs --user-agent: the identity your client sends")
    try:
        with _simulator(url) as simulator:
            cases = _cases(simulator, command, user_agent, case_seconds)
            if only:
                cases = _chosen(cases, only)
            reports = list(_announced(run_all(cases), quiet=as_json))
    except SimulatorUnavailable as exc:
        click.echo(f"certify: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(orjson.dumps(_document(reports), option=orjson.OPT_INDENT_2).decode())
    else:
        _print_table(reports, simulator.url)
    sys.exit(1 if overall(reports) is Result.FAIL else 0)


@contextlib.contextmanager
def _simulator(url: str | None) -> Iterator[Simulator]:
    if url is not None:
        yield at_url(url)
        return
    with own_simulator() as simulator:
        yield simulator


def _cases(
    simulator: Simulator, command: str | None, user_agent: str | None, case_seconds: float
) -> list[Case]:
    if command is not None:
        assert user_agent is not None
        return CommandCases(simulator, command, user_agent, case_seconds).all()
    # A fresh identity per run: a shared simulator's memory of an earlier run judges nothing.
    try:
        agent = UserAgent("certifyKit", f"{__version__}.{secrets.token_hex(3)}")
    except InvalidUserAgent as exc:  # only if the package's own version broke the pattern
        raise click.ClickException(str(exc)) from None
    simulator.forget(str(agent))
    return SdkCases(simulator, agent).all()


def _chosen(cases: list[Case], names: tuple[str, ...]) -> list[Case]:
    chosen = [case for case in cases if case.name in names or case.scenario in names]
    if not chosen:
        known = ", ".join(sorted({case.scenario for case in cases}))
        raise click.BadParameter(
            f"no case named {', '.join(names)}; known: {known}", param_hint="--case"
        )
    return chosen


def _announced(reports: Iterator[CaseReport], *, quiet: bool) -> Iterator[CaseReport]:
    """Say each result as it comes: a whole run takes a minute or more."""
    for report in reports:
        if not quiet:
            word = _WORD[report.outcome.result]
            click.echo(f"{word} {report.case.name} ({report.seconds:.1f} s)", err=True)
        yield report


def _print_table(reports: list[CaseReport], url: str) -> None:
    console = Console(highlight=False)
    table = Table(title=f"Certification against {url}", title_justify="left")
    for column in ("case", "scenario", "result", "time", "what the client did"):
        table.add_column(column, overflow="fold")
    for report in reports:
        result = report.outcome.result
        table.add_row(
            report.case.name,
            report.case.scenario,
            Text(_WORD[result], style=_STYLE[result]),
            f"{report.seconds:.1f} s",
            report.outcome.observed,
        )
    console.print(table)
    counts = {result: sum(1 for r in reports if r.outcome.result is result) for result in Result}
    verdict = overall(reports)
    console.print(
        Text(
            f"{_WORD[verdict]}: {counts[Result.PASS]} passed, {counts[Result.WARN]} warned, "
            f"{counts[Result.FAIL]} failed of {len(reports)}",
            style=_STYLE[verdict],
        )
    )


def _document(reports: list[CaseReport]) -> dict[str, object]:
    return {
        "result": overall(reports).value,
        "cases": [
            {
                "case": r.case.name,
                "scenario": r.case.scenario,
                "expectation": r.case.expectation,
                "result": r.outcome.result.value,
                "seconds": round(r.seconds, 3),
                "observed": r.outcome.observed,
            }
            for r in reports
        ],
    }
