"""Runs wrk against one URL and reads its report: throughput, latency percentiles, errors."""

from __future__ import annotations

import re
import resource
import subprocess
from dataclasses import dataclass

# wrk prints durations with the unit that keeps the number small (src/units.c: us, ms, s, m, h).
_UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([0-9.]+)(us|ms|s|m|h)"
_REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([0-9.]+)", re.MULTILINE)
_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+" + _DURATION, re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX_3XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_TOTAL = re.compile(r"^\s+(\d+) requests in " + _DURATION, re.MULTILINE)

# wrk can hang on a server that accepts but never answers; past this margin it is killed.
_HARD_TIMEOUT_MARGIN_S = 30.0


class WrkError(Exception):
    """wrk did not run, timed out, or printed a report this module cannot read."""


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk drives a server."""

    duration_s: int
    connections: int
    threads: int


@dataclass(frozen=True)
class SocketErrors:
    connect: int = 0
    read: int = 0
    write: int = 0
    timeout: int = 0

    @property
    def beyond_connect(self) -> int:
        """Errors that mean a request failed; connect errors are wrk retrying at start-up."""
        return self.read + self.write + self.timeout


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: SocketErrors
    cpu_s: float
    """CPU time wrk itself used, to show how the machine's cores were shared."""


def duration_to_ms(value: str, unit: str) -> float:
    """One of wrk's durations ("812.00us", "1.20ms", "2.00s") in milliseconds."""
    try:
        return float(value) * _UNIT_TO_MS[unit]
    except KeyError:
        raise WrkError(f"unknown duration unit {unit!r} in wrk output") from None


def parse_report(text: str, *, cpu_s: float = 0.0) -> WrkResult:
    """Read the report `wrk --latency` prints; raise WrkError if a figure is missing."""
    rate = _REQUESTS_PER_SECOND.search(text)
    total = _TOTAL.search(text)
    percentiles = {m[1]: duration_to_ms(m[2], m[3]) for m in _PERCENTILE.finditer(text)}
    if rate is None or total is None or set(percentiles) != {"50", "99"}:
        raise WrkError("wrk printed no complete report (was --latency passed?):\n" + text)
    sockets = _SOCKET_ERRORS.search(text)
    non_2xx = _NON_2XX_3XX.search(text)
    return WrkResult(
        requests_per_s=float(rate[1]),
        p50_ms=percentiles["50"],
        p99_ms=percentiles["99"],
        requests=int(total[1]),
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=SocketErrors(*(int(n) for n in sockets.groups()))
        if sockets
        else SocketErrors(),
        cpu_s=cpu_s,
    )


def command(wrk: str, url: str, headers: dict[str, str], load: Load) -> list[str]:
    args = [wrk, "--latency", f"-t{load.threads}", f"-c{load.connections}", f"-d{load.duration_s}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    return [*args, url]


def run(wrk: str, url: str, headers: dict[str, str], load: Load) -> WrkResult:
    """Drive `url` for the load's duration and return what wrk measured."""
    before = _children_cpu_s()
    try:
        done = subprocess.run(
            command(wrk, url, headers, load),
            capture_output=True,
            text=True,
            timeout=load.duration_s + _HARD_TIMEOUT_MARGIN_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WrkError(f"wrk did not finish within {load.duration_s}s + margin") from None
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    # The servers are children that have not exited, so the children's total grew only by wrk.
    return parse_report(done.stdout, cpu_s=_children_cpu_s() - before)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
