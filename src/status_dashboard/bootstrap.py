"""The composition root: the only place that picks concrete classes and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from status_dashboard.api.app import AppParts, StatusDashboardApp
from status_dashboard.config import Settings
from status_dashboard.domain.ports import ClientRegister, DashboardStore
from status_dashboard.service.catalog import load_catalog
from status_dashboard.service.health import HealthReport, assess_health
from status_dashboard.service.publisher import DashboardPublisher, RegisterFlusher, utc_now
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.service.tracing import ClientTracker
from status_dashboard.store.engine import create_engine_for
from status_dashboard.store.sql import SqlClientRegister, SqlDashboardStore

log = logging.getLogger(__name__)

_SOURCE_DEMO = Path(__file__).resolve().parents[2] / "catalogs" / "demo.yaml"
_PACKAGED_DEMO = Path(__file__).resolve().parent / "_data" / "demo.yaml"


def demo_catalog_path() -> Path:
    """The demo catalog: inside the installed package, or in the source checkout."""
    return _PACKAGED_DEMO if _PACKAGED_DEMO.exists() else _SOURCE_DEMO


@dataclass
class Stores:
    dashboards: DashboardStore
    clients: ClientRegister


def open_stores(settings: Settings) -> Stores:
    engine = create_engine_for(settings.database)
    return Stores(SqlDashboardStore(engine), SqlClientRegister(engine))


@dataclass
class ServerRuntime:
    """Everything one server process runs: the snapshot, and the loops that keep it current."""

    settings: Settings
    stores: Stores
    snapshot: DashboardSnapshot = field(default_factory=DashboardSnapshot)
    tracker: ClientTracker = field(default_factory=ClientTracker)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.publisher = DashboardPublisher(
            self.stores.dashboards,
            self.snapshot,
            zone=self.settings.zone,
            max_age=self.settings.cache_max_age,
        )
        self.flusher = RegisterFlusher(self.tracker, self.stores.clients)

    def load_startup_catalog(self) -> None:
        """`--catalog FILE` (idempotent), or with `--demo` the demo catalog into an empty store."""
        path = self.settings.catalog
        if path is None and self.settings.demo and not _has_items(self.stores.dashboards):
            path = demo_catalog_path()
        if path is not None:
            merge = load_catalog(self.stores.dashboards, path, utc_now())
            log.info("event=catalog_loaded file=%s changes=%s", path, len(merge.changes))

    async def start(self) -> None:
        await asyncio.to_thread(self.publisher.refresh)
        interval = self.settings.refresh_interval
        self._tasks = [
            asyncio.create_task(self.publisher.run(interval, self._stop)),
            asyncio.create_task(
                self.flusher.run(self.settings.register_flush_interval, self._stop)
            ),
        ]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await asyncio.to_thread(self.flusher.flush)
        except Exception as exc:
            log.warning("event=client_register_final_flush_failed error=%s", type(exc).__name__)

    def health(self) -> HealthReport:
        tolerance = max(5.0, 3 * self.settings.refresh_interval)
        return assess_health(
            self.snapshot, self.publisher.health, now=time.monotonic(), tolerance=tolerance
        )

    def app(self) -> StatusDashboardApp:
        return StatusDashboardApp(
            AppParts(
                snapshot=self.snapshot,
                tracker=self.tracker,
                health=self.health,
                startup=self.start,
                shutdown=self.stop,
            )
        )


def _has_items(store: DashboardStore) -> bool:
    return any(group.items for env in store.environments() for group in env.groups)
