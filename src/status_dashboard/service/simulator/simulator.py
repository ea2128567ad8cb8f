"""The simulator's dashboards: which one a request gets, rendered as the real server renders it.

A scenario (service.simulator.scenarios) turns the catalog's environment into the environment it
shows, and the snapshot's `render_dashboard` makes the bytes, ETags and headers of the answer,
so the wire format is the real server's. Every rendering is kept while it can be asked again:
the unchanging scenarios' for good, the changing ones' in a bounded table, since most calls of
most clients land on a handful of states.

Faults that answer with a dashboard (`slow`, `truncated-body`, ...) show the timeline's; the
ones that answer with an error have no dashboard here (api.simulator plays them).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from status_dashboard.domain.model import Environment
from status_dashboard.service.simulator import changing, shapes
from status_dashboard.service.simulator.calls import CallLog
from status_dashboard.service.simulator.platform import anchor_hour, restamped
from status_dashboard.service.simulator.timeline import phase_at, timeline
from status_dashboard.service.snapshot import RenderedDashboard, render_dashboard

MAX_RENDERINGS = 256
"""Renderings of changing scenarios kept; one of the demo catalog is about 15 KB."""

TIMELINE_BODIED = frozenset(
    {"timeline", "slow", "truncated-body", "invalid-json", "wrong-content-type"}
)
"""Scenarios and faults whose answer carries the timeline's dashboard (or its bytes)."""


@dataclass(frozen=True, slots=True)
class _Settings:
    seed: int
    zone: tzinfo
    anchor: datetime


_STATIC: dict[str, Callable[[Environment, _Settings], Environment]] = {
    "all-operational": lambda env, _: shapes.all_operational(env),
    "one-disrupted": lambda env, s: shapes.one_disrupted(env, s.seed),
    "group-disrupted": lambda env, s: shapes.group_disrupted(env, s.seed),
    "all-unknown": lambda env, _: shapes.all_unknown(env),
    "mixed": lambda env, _: env,
    "empty": lambda env, _: shapes.empty(env),
    "empty-group": lambda env, _: shapes.empty_group(env),
    "large": lambda env, s: shapes.large(env, s.seed),
    "long-texts": lambda env, _: shapes.long_texts(env),
    "no-description": lambda env, _: shapes.without_descriptions(env),
    "timezone-shift": lambda env, s: shapes.timezone_shift(env, s.zone, s.anchor),
}
CHANGING = frozenset({"new-item", "removed-item", "reordered", "flapping", "not-modified"})
WITH_DASHBOARD = frozenset(_STATIC) | CHANGING | TIMELINE_BODIED


@dataclass(frozen=True, slots=True)
class _Scene:
    key: tuple[object, ...]
    """What the rendering depends on besides the environment, the scenario's name first."""
    build: Callable[[], Environment]


class Simulator:
    """The dashboards of every scenario, for every environment of the catalog.

    `started_at` (wall clock, aware) and `started` (seconds on the monotonic clock the caller
    passes as `at`) are one moment: the start, from which the timeline counts.
    """

    def __init__(
        self,
        environments: Sequence[Environment],
        *,
        seed: int,
        zone: tzinfo,
        max_age: int,
        started_at: datetime,
        started: float,
        calls: CallLog | None = None,
    ) -> None:
        if not environments:
            raise ValueError("the simulator needs at least one environment")
        self._settings = _Settings(seed, zone, anchor_hour(started_at))
        self._catalog = {
            env.key: restamped(env, seed, self._settings.anchor) for env in environments
        }
        self.default_key = next((e.key for e in environments if e.is_default), environments[0].key)
        self._max_age = max_age
        self._started_at = started_at
        self._started = started
        self._calls = calls if calls is not None else CallLog()
        self._static: dict[tuple[str, str], RenderedDashboard] = {}
        self._changing: OrderedDict[tuple[object, ...], RenderedDashboard] = OrderedDict()

    @property
    def environment_keys(self) -> tuple[str, ...]:
        return tuple(self._catalog)

    @property
    def max_age(self) -> int:
        return self._max_age

    def knows(self, environment_key: str | None) -> bool:
        return environment_key is None or environment_key in self._catalog

    def dashboard(
        self, scenario: str, environment_key: str | None, client: str | None, at: float
    ) -> RenderedDashboard | None:
        """What `scenario` shows of the environment (None: the default one) to `client` (its
        User-Agent) at `at`; None when there is no such environment. A call of a changing
        scenario counts as that client's next call.

        Raises ValueError for a scenario that answers without a dashboard (or no scenario).
        """
        if scenario not in WITH_DASHBOARD:
            raise ValueError(f"scenario {scenario!r} has no dashboard")
        key = self.default_key if environment_key is None else environment_key
        environment = self._catalog.get(key)
        if environment is None:
            return None
        if scenario in _STATIC:
            rendered = self._static.get((scenario, key))
            if rendered is None:
                built = _STATIC[scenario](environment, self._settings)
                rendered = self._static[(scenario, key)] = self._render(built, None)
            return rendered
        scene = self._scene(scenario, environment, client, at)
        cache_key = (key, *scene.key)
        rendered = self._changing.get(cache_key)
        if rendered is None:
            rendered = self._changing[cache_key] = self._render(scene.build(), at)
            while len(self._changing) > MAX_RENDERINGS:
                self._changing.popitem(last=False)
        else:
            self._changing.move_to_end(cache_key)
        return rendered

    def wall_clock(self, at: float) -> datetime:
        """The wall-clock moment of `at`, to the second (the precision of the wire)."""
        moment = self._started_at + timedelta(seconds=at - self._started)
        return moment.replace(microsecond=0)

    def _render(self, environment: Environment, at: float | None) -> RenderedDashboard:
        # An environment without items has no change to date its Last-Modified: the anchor
        # hour does, or the moment of the call for scenarios that change.
        built_at = self._settings.anchor if at is None else self.wall_clock(at)
        return render_dashboard(environment, self._settings.zone, self._max_age, built_at)

    def _scene(
        self, scenario: str, environment: Environment, client: str | None, at: float
    ) -> _Scene:
        """The scene of a scenario that changes; its key starts with the scenario's name (the
        timeline's for the faults that carry its bytes, which so share its renderings)."""
        seed, anchor = self._settings.seed, self._settings.anchor
        if scenario in TIMELINE_BODIED:
            phase, started_at = phase_at(at - self._started), self._started_at
            return _Scene(
                ("timeline", phase), lambda: timeline(environment, seed, started_at, phase)
            )
        calls = self._calls.call(client, scenario)
        number, now = calls.number, self.wall_clock(at)
        if scenario == "new-item":
            step = changing.step_in_cycle(number, changing.GROWTH_CYCLE)
            return _Scene(
                (scenario, step), lambda: changing.new_items(environment, seed, step, anchor)
            )
        if scenario == "removed-item":
            step = changing.step_in_cycle(number, changing.GROWTH_CYCLE)
            return _Scene((scenario, step), lambda: changing.removed_items(environment, seed, step))
        if scenario == "reordered":
            step = changing.step_in_cycle(number, changing.REORDER_CYCLE)
            return _Scene((scenario, step), lambda: changing.reordered(environment, seed, step))
        if scenario == "flapping":
            return _Scene(
                (scenario, number % 2, now),
                lambda: changing.flapping(environment, seed, number, now),
            )
        if changing.version_starts(number):
            calls.changed_at = now
        changed_at = calls.changed_at
        version = (number - 1) // changing.NOT_MODIFIED_EVERY % 2
        return _Scene(
            (scenario, version, changed_at),
            lambda: changing.not_modified(environment, seed, number, changed_at),
        )
