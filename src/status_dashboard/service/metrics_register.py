"""The client register's writes, measured: each flush is counted with the identities it wrote.

Requests are counted per identity in memory (`service.tracing.ClientTracker`) and written every
`register_flush_interval` seconds in one call, one transaction (`RegisterFlusher`). Measuring
that call, rather than each request, keeps the figures off the hot path: the identities of the
period and the requests that did not conform come with the batch.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from datetime import datetime

from status_dashboard.domain.audit import Page
from status_dashboard.domain.ports import ClientRecord, ClientRegister, ClientSighting
from status_dashboard.service.metrics import ServerMetrics


class MeasuredRegister:
    """A `ClientRegister` that counts the writes of the register it wraps."""

    def __init__(self, register: ClientRegister, metrics: ServerMetrics) -> None:
        self._register = register
        self._metrics = metrics
        self._environments: set[str] = set()

    def record(self, sightings: Sequence[ClientSighting]) -> None:
        try:
            self._register.record(sightings)
        except Exception:
            self._metrics.register_flush_failures.inc()
            raise
        self._counted(sightings)

    def clients(
        self, environment_key: str, cursor: int | None = None, limit: int = 50
    ) -> Page[ClientRecord]:
        return self._register.clients(environment_key, cursor, limit)

    def prune(self, seen_before: datetime) -> int:
        return self._register.prune(seen_before)

    def _counted(self, sightings: Sequence[ClientSighting]) -> None:
        metrics = self._metrics
        metrics.register_flushes.inc()
        metrics.register_identities_flushed.inc(len(sightings))
        identities = Tally(s.environment_key for s in sightings)
        nonconforming = Tally[str]()
        for sighting in sightings:
            if not sighting.conforming:
                nonconforming[sighting.environment_key] += sighting.count
        # An environment that had callers before and none in this period shows 0, not the last.
        for key in self._environments | identities.keys():
            metrics.client_identities.labels(key).set(identities.get(key, 0))
        for key, count in nonconforming.items():
            metrics.nonconforming_requests.labels(key).inc(count)
        self._environments |= identities.keys()
