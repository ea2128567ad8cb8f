"""The simulator's own routes beside its dashboards: the list of scenarios, an index of what
it serves, and its health (for whoever starts it and waits until it listens)."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from status_dashboard.api.public import PREFIX
from status_dashboard.api.simulator.selection import SCENARIO_HEADER, SCENARIO_PREFIX
from status_dashboard.service.simulator.scenarios import DEFAULT_SCENARIO, SCENARIOS

SCENARIOS_PATH = "/api/v1/simulator/scenarios"
REPORT_PATH = "/api/v1/simulator/report"


def simulator_routes(environment_keys: tuple[str, ...]) -> list[BaseRoute]:
    listing = orjson.dumps([info.document() for info in SCENARIOS])

    async def scenarios(request: Request) -> Response:
        return Response(listing, media_type="application/json")

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        document = {
            "dashboards": {key: f"{base}{PREFIX}/{key}" for key in environment_keys},
            "default": f"{base}{PREFIX}",
            "default_scenario": DEFAULT_SCENARIO,
            "choose_a_scenario": [
                f"{base}{SCENARIO_PREFIX}{{name}}{PREFIX}",
                f"{base}{PREFIX}?scenario={{name}}",
                f"{SCENARIO_HEADER}: {{name}}",
            ],
            "scenarios": f"{base}{SCENARIOS_PATH}",
            "report": f"{base}{REPORT_PATH}",
            "health": f"{base}/health",
        }
        return Response(orjson.dumps(document), media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(
            b'{"status":"UP"}', headers={"cache-control": "no-store"}, media_type="application/json"
        )

    return [
        Route(SCENARIOS_PATH, scenarios, methods=["GET", "HEAD"]),
        Route("/api/v1", index, methods=["GET", "HEAD"]),
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/health", health, methods=["GET", "HEAD"]),
    ]
