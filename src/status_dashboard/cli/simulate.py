"""`status-dashboard simulate`: the test service partners point their client at (cookbook §7.2),
and the composition that picks its parts (docs/simulator.md)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from status_dashboard.service.simulator.scenarios import (
    RETRY_AFTER_429_S,
    RETRY_AFTER_503_S,
    RETRY_AFTER_LIMIT_S,
    SLOW_DELAY_LIMIT_S,
    TIMEOUT_HOLD_S,
)

if TYPE_CHECKING:
    from status_dashboard.api.simulator.app import SimulatorApp

ZONE = "Europe/Brussels"
"""The zone of every stamp the simulator shows, as on the real platform."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@click.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="decides every draw (which item a scenario disrupts, ...): one seed, same answers",
)
@click.option(
    "--max-age",
    type=click.IntRange(0, 86_400),
    default=15,
    show_default=True,
    help="the Cache-Control max-age of dashboards, in seconds",
)
@click.option(
    "--slow-delay",
    type=click.FloatRange(0, SLOW_DELAY_LIMIT_S),
    default=5.0,
    show_default=True,
    help="seconds the `slow` fault waits before answering (a request's ?delay= overrides it)",
)
@click.option(
    "--retry-after",
    type=click.IntRange(0, RETRY_AFTER_LIMIT_S),
    help=f"seconds of Retry-After on 429 and 503 [default {RETRY_AFTER_429_S} and "
    f"{RETRY_AFTER_503_S}; a request's ?retry_after= overrides it]",
)
@click.option(
    "--timeout-hold",
    type=click.FloatRange(0, 600),
    default=TIMEOUT_HOLD_S,
    hidden=True,
    help="seconds the `timeout` fault holds a request (tests shorten it)",
)
@click.option("--access-log", is_flag=True, help="log every request")
def simulate(
    host: str,
    port: int,
    seed: int,
    max_age: int,
    slow_delay: float,
    retry_after: int | None,
    timeout_hold: float,
    access_log: bool,
) -> None:
    """Serve the simulator: the v1 dashboards of the demo catalog in scripted scenarios and
    faults, with a conformance verdict on every answer and a report of every client."""
    from status_dashboard.logs import configure_logging
    from status_dashboard.server import run

    configure_logging("info")
    app = simulator_app(
        seed=seed,
        max_age=max_age,
        slow_delay_s=slow_delay,
        retry_after_s=retry_after,
        timeout_hold_s=timeout_hold,
    )
    base = f"http://{host}:{port}"
    click.echo(f"simulator: {base}/api/v1/dashboard (scenarios: {base}/api/v1/simulator/scenarios)")
    run(app, host=host, port=port, access_log=access_log)


def simulator_app(
    *,
    seed: int,
    max_age: int,
    slow_delay_s: float,
    retry_after_s: int | None = None,
    timeout_hold_s: float = TIMEOUT_HOLD_S,
    catalog: Path | None = None,
) -> SimulatorApp:
    """The simulator's application: the demo catalog (or `catalog`), one conformance book for
    all its clients, the report's routes beside the dashboards."""
    from status_dashboard.api.simulator.app import SimulatorApp
    from status_dashboard.api.simulator.dashboards import SimulatedDashboards
    from status_dashboard.api.simulator.report_routes import report_routes
    from status_dashboard.api.simulator.routes import simulator_routes
    from status_dashboard.bootstrap import demo_catalog_path
    from status_dashboard.service.simulator.conformance import ConformanceBook
    from status_dashboard.service.simulator.platform import read_environments
    from status_dashboard.service.simulator.simulator import Simulator

    started_at, started = _utc_now(), time.monotonic()
    simulator = Simulator(
        read_environments(catalog or demo_catalog_path(), started_at),
        seed=seed,
        zone=ZoneInfo(ZONE),
        max_age=max_age,
        started_at=started_at,
        started=started,
    )
    book = ConformanceBook(wall_clock=_utc_now)
    dashboards = SimulatedDashboards(
        simulator,
        book,
        slow_delay_s=slow_delay_s,
        retry_after_s=retry_after_s,
        timeout_hold_s=timeout_hold_s,
    )
    return SimulatorApp(
        dashboards, [*simulator_routes(simulator.environment_keys), *report_routes(book)]
    )
