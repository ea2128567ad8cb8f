"""The official cases, played by an SDK client: each scenario and fault of the simulator, and
what a correct client does about it (docs/simulator.md), judged by what the client returned or
raised, how long it took, and what the simulator saw it send.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from status_dashboard.cli.certify.kit import Case, CaseFailed, Outcome, Result
from status_dashboard.cli.certify.simulator import Simulator
from status_dashboard.sdk import (
    Change,
    ChangeKind,
    Dashboard,
    ProtocolError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    StatusClient,
    StatusDashboardError,
    Timeout,
    TransportError,
    UserAgent,
)

CONTRACT_SCENARIOS = (
    "timeline", "all-operational", "one-disrupted", "group-disrupted", "all-unknown", "mixed",
    "empty", "empty-group", "large", "long-texts", "no-description", "timezone-shift",
)  # fmt: skip
CALL_TIMEOUT_S = 10.0
TIMEOUT_CASE_S = 3.0
"""The deadline the `timeout` case gives the client: it must give up by then, not at 60 s."""
SLOW_GRACE_S = 10.0


class SdkCases:
    """Builds the cases for one simulator and one client identity."""

    def __init__(self, simulator: Simulator, agent: UserAgent) -> None:
        self.simulator = simulator
        self.agent = agent

    def client(self, scenario: str, timeout: float = CALL_TIMEOUT_S) -> StatusClient:
        return StatusClient(
            self.simulator.scenario_url(scenario), user_agent=self.agent, timeout=timeout
        )

    def all(self) -> list[Case]:
        cases = [self._contract(name) for name in CONTRACT_SCENARIOS]
        cases += [
            self._changes("new-item", "reports the item that appeared", {ChangeKind.ADDED}),
            self._changes("removed-item", "reports the item that went away", {ChangeKind.REMOVED}),
            self._changes("flapping", "reports every status change", {ChangeKind.STATUS}),
            self._reordered(),
            self._not_modified(),
            self._slow(),
            self._raises("error-500", ServerError, "raises ServerError; keeps no half state"),
            self._waits_out("unavailable-503", ServiceUnavailable),
            self._waits_out("rate-limited-429", RateLimited),
            self._raises("truncated-body", (ProtocolError, TransportError), "refuses the cut body"),
            self._raises("invalid-json", ProtocolError, "raises ProtocolError"),
            self._raises("wrong-content-type", ProtocolError, "refuses a body that is not JSON"),
            self._timeout(),
            self._conformance(),
        ]
        return cases

    # --- contract scenarios ---------------------------------------------------------------

    def _contract(self, scenario: str) -> Case:
        def run() -> Outcome:
            with self.client(scenario) as client:
                dashboard = client.dashboard()
            problems = differences(dashboard, self.simulator.reference(scenario))
            if problems and scenario == "timeline":  # the cycle may have moved in between
                with self.client(scenario) as client:
                    dashboard = client.dashboard()
                problems = differences(dashboard, self.simulator.reference(scenario))
            if problems:
                raise CaseFailed(f"{len(problems)} difference(s); first: {problems[0]}")
            items = len(dashboard.items())
            return Outcome(Result.PASS, f"{len(dashboard.groups)} groups, {items} items as sent")

        return Case(
            f"reads {scenario}", scenario, "reads every group and item exactly as sent", run, 30
        )

    # --- changes between calls ------------------------------------------------------------

    def _watch(self, scenario: str, polls: int) -> tuple[list[Change], list[str]]:
        errors: list[str] = []
        with self.client(scenario) as client:
            changes = list(
                client.watch(
                    max_polls=polls, on_error=lambda error, _: errors.append(type(error).__name__)
                )
            )
        return changes, errors

    def _changes(self, scenario: str, expectation: str, kinds: set[ChangeKind]) -> Case:
        def run() -> Outcome:
            changes, errors = self._watch(scenario, polls=3)
            if errors:
                raise CaseFailed(f"errors while watching: {', '.join(errors)}")
            seen = sorted({change.kind.value for change in changes})
            if not kinds & {change.kind for change in changes}:
                raise CaseFailed(f"no {'/'.join(sorted(kinds))} change in 3 polls; saw {seen}")
            return Outcome(Result.PASS, f"{len(changes)} change(s) in 3 polls: {', '.join(seen)}")

        return Case(f"watches {scenario}", scenario, expectation, run, self._polls_limit(3))

    def _reordered(self) -> Case:
        def run() -> Outcome:
            changes, errors = self._watch("reordered", polls=3)
            if errors:
                raise CaseFailed(f"errors while watching: {', '.join(errors)}")
            if changes:
                raise CaseFailed(f"a new order is no change, yet {len(changes)} were reported")
            return Outcome(Result.PASS, "3 polls in new orders, no change reported")

        return Case(
            "ignores a new order", "reordered", "sorts by `order`; a new order is no change",
            run, self._polls_limit(3),
        )  # fmt: skip

    def _not_modified(self) -> Case:
        def run() -> Outcome:
            with self.client("not-modified") as client:
                first = client.dashboard()
                time.sleep(_max_age(first))
                second = client.dashboard()
            statuses = self._recent_statuses("not-modified")
            if 304 not in statuses[:2]:
                raise CaseFailed(f"no 304 for a conditional request; answers {statuses[:2]}")
            if second != first:
                raise CaseFailed("a 304 did not give back the dashboard already read")
            return Outcome(Result.PASS, "asked with If-None-Match; the 304 kept the last copy")

        return Case(
            "revalidates", "not-modified", "sends If-None-Match; a 304 keeps the copy", run,
            self._polls_limit(2),
        )  # fmt: skip

    # --- faults ---------------------------------------------------------------------------

    def _slow(self) -> Case:
        delay = self.simulator.slow_delay_s

        def run() -> Outcome:
            started = time.monotonic()
            timeout = (delay or 5.0) + SLOW_GRACE_S
            with self.client("slow", timeout=timeout) as client:
                client.dashboard()
            return Outcome(Result.PASS, f"waited {time.monotonic() - started:.1f} s and read it")

        return Case(
            "waits for a slow answer", "slow", "waits within its own deadline", run,
            (delay or 5.0) + 2 * SLOW_GRACE_S,
        )  # fmt: skip

    def _timeout(self) -> Case:
        def run() -> Outcome:
            started = time.monotonic()
            try:
                with self.client("timeout", timeout=TIMEOUT_CASE_S) as client:
                    client.dashboard()
            except Timeout:
                took = time.monotonic() - started
                if took > TIMEOUT_CASE_S + 1.5:
                    raise CaseFailed(
                        f"gave up after {took:.1f} s, deadline {TIMEOUT_CASE_S:g} s"
                    ) from None
                time.sleep(0.5)  # the simulator sees the client go before the next case
                return Outcome(Result.PASS, f"raised Timeout after {took:.1f} s")
            raise CaseFailed("a request that never ends returned")

        return Case(
            "gives up on time", "timeout", "gives up at its own deadline, never hangs", run,
            TIMEOUT_CASE_S + 10,
        )  # fmt: skip

    def _raises(
        self,
        scenario: str,
        expected: type[StatusDashboardError] | tuple[type[StatusDashboardError], ...],
        expectation: str,
    ) -> Case:
        def run() -> Outcome:
            try:
                with self.client(scenario) as client:
                    client.dashboard()
            except expected as error:
                return Outcome(Result.PASS, f"raised {type(error).__name__}")
            except StatusDashboardError as error:
                raise CaseFailed(f"raised {type(error).__name__}: {error}") from None
            raise CaseFailed("returned a dashboard")

        return Case(f"handles {scenario}", scenario, expectation, run, CALL_TIMEOUT_S + 5)

    def _waits_out(self, scenario: str, expected: type[RateLimited | ServiceUnavailable]) -> Case:
        def run() -> Outcome:
            started = time.monotonic()
            pauses: list[float] = []
            with self.client(scenario) as client:
                try:
                    client.dashboard()
                except expected as error:
                    if error.retry_after is None:
                        raise CaseFailed("Retry-After was not read") from None
                    retry_after = error.retry_after
                else:
                    raise CaseFailed("returned a dashboard")
                # Once more, as a polling client does: the second request must wait it out.
                list(
                    client.watch(
                        max_polls=2,
                        on_error=lambda _, wait: pauses.append(wait),
                    )
                )
            breaches = self._breaches(scenario, "retry-after")
            if breaches:
                raise CaseFailed(breaches[0])
            short = [wait for wait in pauses if wait < retry_after]
            if short:
                raise CaseFailed(
                    f"planned to ask again after {short[0]:.1f} s, not {retry_after:g}"
                )
            took = time.monotonic() - started
            return Outcome(
                Result.PASS, f"raised {expected.__name__}; waited out Retry-After ({took:.1f} s)"
            )

        return Case(
            f"waits out {scenario}", scenario, "sends nothing before Retry-After has passed",
            run, 120,
        )  # fmt: skip

    # --- the simulator's verdict ----------------------------------------------------------

    def _conformance(self) -> Case:
        def run() -> Outcome:
            report = self.simulator.report(str(self.agent))
            if report is None:
                raise CaseFailed("the simulator saw no request of this client")
            if not report["conforms"]:
                raise CaseFailed(f"broke {', '.join(report['broken_rules'])}")
            warned = [r["rule"] for r in report["rules"] if r["status"] == "warn"]
            requests = report["requests"]
            if warned:
                return Outcome(Result.WARN, f"{requests} requests; warnings: {', '.join(warned)}")
            return Outcome(Result.PASS, f"{requests} requests, every rule kept")

        return Case(
            "keeps the cookbook's rules", "(all)",
            "User-Agent, Accept, conditional requests, pace, Retry-After, no bursts", run, 15,
        )  # fmt: skip

    def _recent_statuses(self, scenario: str) -> list[int | None]:
        report = self.simulator.report(str(self.agent)) or {"recent_requests": []}
        return [r["status"] for r in report["recent_requests"] if r["scenario"] == scenario]

    def _breaches(self, scenario: str, rule: str) -> list[str]:
        report = self.simulator.report(str(self.agent)) or {"recent_requests": []}
        return [
            finding["detail"]
            for request in report["recent_requests"]
            if request["scenario"] == scenario
            for finding in request["findings"]
            if finding["rule"] == rule
        ]

    def _polls_limit(self, polls: int) -> float:
        return 30 + polls * 20  # max-age of 15 s at most between polls on a production pace


def _max_age(dashboard: Dashboard) -> float:
    return float(dashboard.max_age or 0)


def differences(dashboard: Dashboard, reference: Any) -> list[str]:
    """Where what the client read differs from the document the simulator sent."""
    problems: list[str] = []
    groups = reference["groups"]
    if len(dashboard.groups) != len(groups):
        return [f"{len(dashboard.groups)} groups read, {len(groups)} sent"]
    for g, (group, sent) in enumerate(zip(dashboard.groups, groups, strict=True)):
        where = f"groups[{g}]"
        problems += _mismatches(
            where,
            [("id", group.id, sent["id"]), ("name", group.name, sent["name"]),
             ("status_code", int(group.status_code), sent["status_code"])],
        )  # fmt: skip
        sent_items = sorted(sent["items"], key=lambda item: item["order"])
        read_items = sorted(group.items, key=lambda item: item.order)
        if len(read_items) != len(sent_items):
            problems.append(f"{where}: {len(read_items)} items read, {len(sent_items)} sent")
            continue
        for i, (item, raw) in enumerate(zip(read_items, sent_items, strict=True)):
            stamp = datetime.fromisoformat(raw["last_updated"])
            problems += _mismatches(
                f"{where}.items[{i}]",
                [("id", item.id, raw["id"]), ("order", item.order, raw["order"]),
                 ("status_code", int(item.status_code), raw["status_code"]),
                 ("name", item.name, raw["name"]),
                 ("description", item.description, raw.get("description")),
                 ("last_updated", item.last_updated, stamp),
                 ("last_updated offset", item.last_updated.utcoffset(), stamp.utcoffset())],
            )  # fmt: skip
    return problems


def _mismatches(where: str, pairs: Sequence[tuple[str, object, object]]) -> list[str]:
    return [
        f"{where}.{name}: read {read!r}, sent {sent!r}"
        for name, read, sent in pairs
        if read != sent
    ]
