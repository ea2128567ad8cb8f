"""Build the probe for a check definition: the one dispatch on check type."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import datetime

from status_dashboard.domain.checks import (
    CheckDefinition,
    CheckSchedule,
    HttpCheck,
    TcpCheck,
    TlsCheck,
    validate_check,
    validate_schedule,
)
from status_dashboard.probes.base import Probe
from status_dashboard.probes.http import HttpClients, HttpProbe
from status_dashboard.probes.jsoncheck import CompiledCondition
from status_dashboard.probes.patterns import compile_pattern
from status_dashboard.probes.push import PushProbe
from status_dashboard.probes.tcp import TcpProbe
from status_dashboard.probes.tls import ContextFactory, TlsProbe


def validate_definition(check: CheckDefinition, schedule: CheckSchedule) -> None:
    """All the domain's validation, the JSON path's syntax, which only python-jsonpath knows
    in full, and the body pattern, which RE2 must accept (probes/patterns.py); raises
    `InvalidCheck`. What the catalog and admin API should call."""
    validate_check(check)
    validate_schedule(schedule)
    if isinstance(check, HttpCheck) and check.json_condition is not None:
        CompiledCondition.parse(check.json_condition)
    if isinstance(check, HttpCheck) and check.body_matches is not None:
        compile_pattern(check.body_matches)


def build_probe(
    check: CheckDefinition,
    schedule: CheckSchedule,
    *,
    http: HttpClients,
    last_push: Callable[[], datetime | None] = lambda: None,
    tls_context: ContextFactory = ssl.create_default_context,
) -> Probe:
    """The probe for `check`; raises `InvalidCheck` for a definition that cannot run. Every
    probe that connects does so through the outbound policy `http` holds."""
    if isinstance(check, HttpCheck):
        return HttpProbe(check, schedule, http.for_check(check), http.policy)
    if isinstance(check, TcpCheck):
        return TcpProbe(check, schedule, http.policy)
    if isinstance(check, TlsCheck):
        return TlsProbe(check, schedule, tls_context, http.policy)
    return PushProbe(check, schedule, last_push)
