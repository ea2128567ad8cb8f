"""The official cases, played by a partner's own client command.

The kit cannot read a foreign program's mind, only what it sends: for each case it forgets the
client's report, runs the command against the scenario's URL for a while, and judges the
requests the simulator saw from the client's User-Agent: at least one, and no rule broken. A
client that keeps polling is stopped at the end of its time; one that exits early is fine.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass

from status_dashboard.cli.certify.kit import Case, CaseFailed, Outcome, Result
from status_dashboard.cli.certify.simulator import Simulator

COMMAND_SCENARIOS = (
    ("timeline", "reads the default timeline"),
    ("one-disrupted", "reads a disrupted item and its description"),
    ("empty", "reads a dashboard with no groups"),
    ("large", "reads 1,000 items"),
    ("long-texts", "reads unicode and 2 KB descriptions"),
    ("timezone-shift", "reads offsets on both sides of a DST change"),
    ("new-item", "copes with an item that appears"),
    ("removed-item", "copes with an item that goes away"),
    ("not-modified", "revalidates with If-None-Match"),
    ("error-500", "survives a 500"),
    ("unavailable-503", "waits out a 503's Retry-After"),
    ("rate-limited-429", "waits out a 429's Retry-After"),
    ("truncated-body", "refuses a cut body"),
    ("invalid-json", "refuses a body that is not JSON"),
    ("wrong-content-type", "refuses a body that is not JSON by type"),
    ("timeout", "gives up at its own deadline"),
)
URL_PLACEHOLDER = "{url}"


@dataclass(frozen=True, slots=True)
class CommandCases:
    simulator: Simulator
    command: str
    """Run through the shell's word splitting; `{url}` stands for the scenario's base URL, which
    is also in the environment as STATUS_DASHBOARD_URL."""
    user_agent: str
    case_seconds: float

    def all(self) -> list[Case]:
        return [self._case(scenario, what) for scenario, what in COMMAND_SCENARIOS]

    def _case(self, scenario: str, expectation: str) -> Case:
        def run() -> Outcome:
            self.simulator.forget(self.user_agent)
            ended = self._play(self.simulator.scenario_url(scenario))
            report = self.simulator.report(self.user_agent)
            if report is None:
                raise CaseFailed(
                    f"no request with User-Agent {self.user_agent!r} ({ended}); is it the "
                    "identity the client sends, and does the command use {url}?"
                )
            if not report["conforms"]:
                details = [
                    f"{r['rule']}: {r['last_breach']}"
                    for r in report["rules"]
                    if r["status"] == "fail"
                ]
                raise CaseFailed(f"{report['requests']} requests ({ended}); {'; '.join(details)}")
            warned = [r["rule"] for r in report["rules"] if r["status"] == "warn"]
            seen = f"{report['requests']} requests ({ended})"
            if warned:
                return Outcome(Result.WARN, f"{seen}; warnings: {', '.join(warned)}")
            return Outcome(Result.PASS, seen)

        return Case(scenario, scenario, expectation, run, self.case_seconds + 20)

    def _play(self, url: str) -> str:
        argv = [word.replace(URL_PLACEHOLDER, url) for word in shlex.split(self.command)]
        environment = {**os.environ, "STATUS_DASHBOARD_URL": url}
        try:
            process = subprocess.Popen(
                argv, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise CaseFailed(f"cannot run {argv[0]!r}: {exc}") from None
        try:
            code = process.wait(timeout=self.case_seconds)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            return f"still running after {self.case_seconds:g} s, stopped"
        return f"exit {code}"
