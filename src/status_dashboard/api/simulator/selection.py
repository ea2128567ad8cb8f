"""What a dashboard request of the simulator asks for: which scenario (and how it was chosen),
which environment, and the parameters of faults that take one.

The scenario is chosen, first that applies: a path prefix `/scenarios/{name}/api/v1/dashboard...`,
the query parameter `scenario`, the header `X-Simulator-Scenario`, else the default. An empty
query parameter or header chooses nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl

from status_dashboard.api.problems import InputIssue, Problem
from status_dashboard.api.public import PREFIX
from status_dashboard.service.simulator.scenarios import DEFAULT_SCENARIO, NAMES

SCENARIO_PREFIX = "/scenarios/"
SCENARIO_HEADER = "X-Simulator-Scenario"
_SHOWN_LENGTH = 64
_HEADER_SAFE = re.compile(r"[!-~]{1,64}")


class Source(StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    DEFAULT = "default"


@dataclass(frozen=True, slots=True)
class Selection:
    scenario: str
    """The name asked for, known or not."""
    source: Source
    path: str
    """The dashboard path without the scenario prefix, e.g. `/api/v1/dashboard/int`."""
    query: Mapping[str, str]
    """The query's parameters, the first value of each."""

    def header_value(self) -> bytes:
        """The scenario's name for `X-Simulator-Scenario`; a name that cannot be a header
        value (it came from the client) is shown as `(invalid)`."""
        if _HEADER_SAFE.fullmatch(self.scenario):
            return self.scenario.encode("ascii")
        return b"(invalid)"

    def unknown(self) -> Problem:
        """The 404 that answers a scenario name the simulator does not know."""
        where = {
            Source.PATH: "in the path /scenarios/{name}/",
            Source.QUERY: "in the query parameter 'scenario'",
            Source.HEADER: f"in the header {SCENARIO_HEADER}",
        }.get(self.source, "")
        return Problem(
            404,
            f"No scenario '{self.scenario[:_SHOWN_LENGTH]}' ({where}); the scenarios are: "
            + ", ".join(NAMES),
        )


def is_dashboard_path(path: str) -> bool:
    """True for the paths the simulator answers as dashboards (or their errors)."""
    return path.startswith((PREFIX, SCENARIO_PREFIX))


def select(path: str, query_string: bytes, header: str | None) -> Selection:
    query: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        query.setdefault(name, value)
    if path.startswith(SCENARIO_PREFIX):
        name, _, rest = path[len(SCENARIO_PREFIX) :].partition("/")
        return Selection(name, Source.PATH, "/" + rest, query)
    if query.get("scenario"):
        return Selection(query["scenario"], Source.QUERY, path, query)
    if header:
        return Selection(header, Source.HEADER, path, query)
    return Selection(DEFAULT_SCENARIO, Source.DEFAULT, path, query)


def environment_of(path: str, known: frozenset[str]) -> tuple[str | None, Problem | None]:
    """The environment a dashboard path names (None: the default one), or the 404 instead."""
    if path == PREFIX:
        return None, None
    key = path[len(PREFIX) + 1 :]
    if not path.startswith(PREFIX + "/") or not key or "/" in key:
        return None, Problem(404, f"No resource at '{path[:200]}'")
    if key not in known:
        return None, Problem(404, f"No dashboard for environment '{key[:_SHOWN_LENGTH]}'")
    return key, None


def seconds_parameter(
    query: Mapping[str, str], name: str, default: float, limit: float, *, whole: bool = False
) -> float | Problem:
    """The number of seconds the query parameter `name` gives (from 0 to `limit`, a whole
    number if `whole`), `default` when absent, or the 400 that names it."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = float(int(raw)) if whole else float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= limit:
        kind = "a whole number" if whole else "a number"
        detail = f"must be {kind} of seconds from 0 to {limit:g}"
        issue = InputIssue("query", name, detail, raw[:_SHOWN_LENGTH])
        return Problem(400, f"Query parameter '{name}' {detail}", issues=(issue,))
    return value
