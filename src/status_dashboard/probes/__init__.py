"""Check types (docs/design.md §4): one class each, all behind `Probe`.

    HttpProbe   status, body keyword or pattern, JSON condition, response time, redirects
    TcpProbe    a connection to host:port is accepted
    TlsProbe    the certificate is trusted and valid for long enough
    PushProbe   the service pushed a heartbeat within its interval

`run(now)` never raises (except `asyncio.CancelledError`): failures are `CheckResult`s with a
short reason, which is public and never quotes the target (what it answered goes to `detail`).
Errors are drawn in `probes.errors`. Every connection goes through the outbound policy
(`probes.outbound`); bodies are judged off the event loop with bounded work (`probes.judging`).
"""

from status_dashboard.probes.base import Probe
from status_dashboard.probes.factory import build_probe, validate_definition
from status_dashboard.probes.http import HttpClients, HttpProbe
from status_dashboard.probes.push import PushProbe
from status_dashboard.probes.tcp import TcpProbe
from status_dashboard.probes.tls import TlsProbe

__all__ = [
    "HttpClients",
    "HttpProbe",
    "Probe",
    "PushProbe",
    "TcpProbe",
    "TlsProbe",
    "build_probe",
    "validate_definition",
]
