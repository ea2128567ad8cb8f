"""The composition root: the only place that picks concrete classes and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy
from pydantic import SecretStr
from starlette.routing import BaseRoute

from status_dashboard.api.admin.common import AdminServices
from status_dashboard.api.app import AppParts, StatusDashboardApp
from status_dashboard.api.forwarded import parse_allowed
from status_dashboard.api.metrics_port import MetricsPort
from status_dashboard.config import Settings
from status_dashboard.domain.accounts import Principal, Role
from status_dashboard.domain.ports import (
    AccountStore,
    AuditLog,
    ClientRegister,
    DashboardStore,
    LoginFailures,
    MonitorStore,
    OperationsStore,
    UptimeStore,
    UserDirectory,
)
from status_dashboard.logs import configure_logging
from status_dashboard.probes import HttpClients
from status_dashboard.service.accounts import Accounts
from status_dashboard.service.broadcast import DashboardBroadcaster
from status_dashboard.service.catalog import load_catalog
from status_dashboard.service.catalog_admin import CatalogAdmin
from status_dashboard.service.check_admin import CheckAdmin
from status_dashboard.service.feed_source import PublicFeeds
from status_dashboard.service.health import HealthReport, assess_health
from status_dashboard.service.metrics import Metrics, ServerMetrics
from status_dashboard.service.metrics_register import MeasuredRegister
from status_dashboard.service.metrics_sources import CheckFigures, SnapshotFigures, watch_rebuilds
from status_dashboard.service.operator import Operations
from status_dashboard.service.publisher import (
    DashboardPublisher,
    RefreshPace,
    RegisterFlusher,
    utc_now,
)
from status_dashboard.service.push import PushReceiver
from status_dashboard.service.reconciler import Reconciler
from status_dashboard.service.retention import (
    CLIENT_PRUNE_INTERVAL,
    ROLL_UP_INTERVAL,
    ClientRetention,
    HistoryKeeper,
)
from status_dashboard.service.sessions import Sessions
from status_dashboard.service.snapshot import DashboardSnapshot
from status_dashboard.service.status_page import StatusPage
from status_dashboard.service.tracing import ClientTracker
from status_dashboard.service.users import UserAdmin
from status_dashboard.store.engine import create_engine_for, parse_url
from status_dashboard.store.sql import (
    SqlAccountStore,
    SqlAuditLog,
    SqlClientRegister,
    SqlDashboardStore,
    SqlLoginFailures,
    SqlMonitorStore,
    SqlOperationsStore,
    SqlUptimeStore,
    SqlUserDirectory,
)
from status_dashboard.web.admin import admin_ui
from status_dashboard.web.feeds import feed_routes
from status_dashboard.web.public import status_pages
from status_dashboard.worker import MonitorWorker, WorkerSettings
from status_dashboard.worker.runner import OnChange
from status_dashboard.worker.stats import RunStats

if TYPE_CHECKING:
    from status_dashboard.store.listener import ChangeListener

log = logging.getLogger(__name__)

DEMO_USER = "admin"
DEMO_SETUP = Principal.system("demo")
DEMO_ACTOR = DEMO_SETUP.label

_SOURCE_DEMO = Path(__file__).resolve().parents[2] / "catalogs" / "demo.yaml"
_PACKAGED_DEMO = Path(__file__).resolve().parent / "_data" / "demo.yaml"


def demo_catalog_path() -> Path:
    """The demo catalog: inside the installed package, or in the source checkout."""
    return _PACKAGED_DEMO if _PACKAGED_DEMO.exists() else _SOURCE_DEMO


class MissingSecret(Exception):
    """A secret the configuration must give (outside demo mode there are no defaults)."""


@dataclass
class Stores:
    dashboards: DashboardStore
    clients: ClientRegister
    accounts: AccountStore
    operations: OperationsStore
    audit: AuditLog
    monitor: MonitorStore
    uptime: UptimeStore
    users: UserDirectory
    login_failures: LoginFailures
    engine: sqlalchemy.Engine | None = None
    """The connection pool behind the SQL stores, to close when the process stops using them."""

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def open_stores(settings: Settings) -> Stores:
    engine = create_engine_for(settings.database, timeout_s=settings.database_timeout)
    return Stores(
        SqlDashboardStore(engine),
        SqlClientRegister(engine, settings.max_clients_per_environment),
        SqlAccountStore(engine),
        SqlOperationsStore(engine),
        SqlAuditLog(engine),
        SqlMonitorStore(engine),
        SqlUptimeStore(engine),
        SqlUserDirectory(engine),
        SqlLoginFailures(engine),
        engine,
    )


def is_postgres(url: str) -> bool:
    return parse_url(url).get_backend_name() == "postgresql"


def accounts_for(stores: Stores) -> Accounts:
    return Accounts(stores.accounts, utc_now)


def user_admin_for(stores: Stores) -> UserAdmin:
    return UserAdmin(accounts_for(stores), stores.users, utc_now)


def worker_settings(settings: Settings) -> WorkerSettings:
    return WorkerSettings(
        name=settings.worker_name or f"{socket.gethostname()}:{os.getpid()}",
        concurrency=settings.monitor_concurrency,
        grace=timedelta(seconds=settings.monitor_lease_grace),
        stats_every=settings.monitor_stats_interval,
    )


async def run_monitor(
    settings: Settings,
    stores: Stores,
    stop: asyncio.Event,
    on_change: OnChange,
    stats: RunStats | None = None,
) -> None:
    """The monitor until `stop`: the check loop, with HTTP connections pooled for its life.
    `on_change` runs when a result may have changed what an item shows; `stats` counts the runs."""
    async with HttpClients(
        max_connections=settings.monitor_concurrency, policy=settings.outbound_policy
    ) as http:
        worker = MonitorWorker(
            stores.monitor,
            utc_now,
            worker_settings(settings),
            http=http,
            on_change=on_change,
            stats=stats,
        )
        await worker.run(stop)


def metrics_port(settings: Settings, metrics: Metrics) -> MetricsPort | None:
    """The metrics port the settings ask for, not yet started."""
    if settings.metrics_port is None:
        return None
    return MetricsPort(metrics, settings.host, settings.metrics_port)


def history_keeper(settings: Settings, stores: Stores) -> HistoryKeeper:
    return HistoryKeeper(
        stores.uptime,
        stores.monitor,
        utc_now,
        raw_retention=timedelta(days=settings.results_retention_days),
        aggregate_retention=timedelta(days=settings.aggregates_retention_days),
    )


def client_retention(settings: Settings, stores: Stores) -> ClientRetention:
    return ClientRetention(stores.clients, utc_now, timedelta(days=settings.client_retention_days))


async def run_worker(settings: Settings, stores: Stores) -> None:
    """`status-dashboard worker`: the monitor alone, until SIGTERM or SIGINT.

    It decides the items its results move at once (which bumps the revision every server
    polls), so a change is public within a server's refresh interval of the result."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stopper(stop, sig))
    reconciler = Reconciler(stores.operations, utc_now)

    async def decide() -> None:
        await asyncio.to_thread(reconciler.run_once)

    metrics, stats = Metrics(), RunStats()
    metrics.add(CheckFigures(stats))
    port = metrics_port(settings, metrics)
    if port is not None:
        port.start()
    # Uptime and retention are kept by every worker and server: the passes are idempotent, so
    # a deployment needs no process of its own for them.
    keeping = asyncio.create_task(history_keeper(settings, stores).run(ROLL_UP_INTERVAL, stop))
    try:
        await run_monitor(settings, stores, stop, decide, stats)
        await keeping
    finally:
        if port is not None:
            port.stop()


def _stopper(stop: asyncio.Event, sig: signal.Signals) -> Callable[[], None]:
    def handle() -> None:
        log.info("event=stopping signal=%s running_checks_finish=yes", sig.name)
        stop.set()

    return handle


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
        self.metrics = ServerMetrics()
        self.run_stats = RunStats()
        self._add_metric_sources()
        self.metrics_port = metrics_port(self.settings, self.metrics)
        self.flusher = RegisterFlusher(
            self.tracker, MeasuredRegister(self.stores.clients, self.metrics)
        )
        self.broadcaster = DashboardBroadcaster(
            self.snapshot, heartbeat=self.settings.sse_heartbeat
        )
        self.snapshot.add_listener(self.broadcaster.notify)
        self.listener = change_listener(self.settings, self.publisher)
        self.reconciler = Reconciler(self.stores.operations, utc_now)
        self.accounts = accounts_for(self.stores)
        self.users = UserAdmin(self.accounts, self.stores.users, utc_now)
        self.sessions = Sessions(
            self.accounts,
            self.stores.users,
            self.stores.login_failures,
            utc_now,
            hash_slots=self.settings.sign_in_concurrency,
        )
        self.operations = Operations(
            self.stores.dashboards,
            self.stores.operations,
            self.stores.audit,
            self.stores.clients,
            self.reconciler,
            utc_now,
            # An operator's write is on the public dashboard when the request returns.
            after_write=self.publisher.refresh,
        )
        self.catalog = CatalogAdmin(
            self.stores.dashboards,
            self.stores.operations,
            self.reconciler,
            utc_now,
            after_write=self.publisher.refresh,
        )
        self.checks = CheckAdmin(
            self.stores.monitor,
            self.stores.dashboards,
            self.reconciler,
            utc_now,
            after_write=self.publisher.refresh,
        )

    def _add_metric_sources(self) -> None:
        watch_rebuilds(self.snapshot, self.metrics)
        self.metrics.add(
            SnapshotFigures(
                self.snapshot, store_answered_at=lambda: self.publisher.health.last_success
            )
        )
        if self.settings.monitor:
            self.metrics.add(CheckFigures(self.run_stats))

    def load_startup_catalog(self) -> None:
        """`--catalog FILE` (idempotent), or with `--demo` the demo catalog into an empty store."""
        path = self.settings.catalog
        if path is None and self.settings.demo and not _has_items(self.stores.dashboards):
            path = demo_catalog_path()
        if path is not None:
            merge = load_catalog(self.stores.dashboards, path, utc_now())
            log.info("event=catalog_loaded file=%s changes=%s", path, len(merge.changes))

    def demo_access(self) -> list[str]:
        """Demo mode only: a local admin account and a fresh admin token, to be printed."""
        lines = []
        if self.stores.accounts.user_by_name(DEMO_USER) is None:
            password = secrets.token_urlsafe(12)
            self.accounts.create_user(DEMO_USER, Role.ADMIN, password, actor=DEMO_ACTOR)
            lines.append(f"demo admin account: {DEMO_USER} / {password}")
        else:
            lines.append(f"demo admin account: {DEMO_USER} (password printed when it was created)")
        for token in self.accounts.tokens(DEMO_SETUP):
            if token.name == DEMO_USER and token.revoked_at is None:
                self.accounts.revoke_token(DEMO_SETUP, token.id)
        created = self.accounts.create_token(DEMO_SETUP, DEMO_USER, Role.ADMIN, None, None)
        lines.append(f"demo admin token (Authorization: Bearer ...): {created.secret}")
        return lines

    async def start(self) -> None:
        if self.metrics_port is not None:
            self.metrics_port.start()
        self.broadcaster.start()
        await asyncio.to_thread(self.reconciler.run_once)
        await asyncio.to_thread(self.publisher.refresh)
        interval = self.settings.refresh_interval
        self._tasks = [
            asyncio.create_task(self.reconciler.run(interval, self._stop)),
            asyncio.create_task(self.publisher.run(self.pace, self._stop)),
            asyncio.create_task(
                self.flusher.run(self.settings.register_flush_interval, self._stop)
            ),
            asyncio.create_task(
                history_keeper(self.settings, self.stores).run(ROLL_UP_INTERVAL, self._stop)
            ),
            asyncio.create_task(
                client_retention(self.settings, self.stores).run(CLIENT_PRUNE_INTERVAL, self._stop)
            ),
        ]
        if self.listener is not None:
            self._tasks.append(asyncio.create_task(self.listener.run(self._stop)))
        if self.settings.monitor:
            self._tasks.append(
                asyncio.create_task(
                    run_monitor(
                        self.settings,
                        self.stores,
                        self._stop,
                        self.publish_verdicts,
                        self.run_stats,
                    )
                )
            )

    @property
    def pace(self) -> RefreshPace:
        """Poll every `refresh_interval`; while PostgreSQL announces the changes, every
        `listen_fallback_interval` only, as a safety net for notices a lost session missed."""
        listener = self.listener
        if listener is None:
            return RefreshPace(self.settings.refresh_interval)
        return RefreshPace(
            self.settings.refresh_interval,
            fallback=self.settings.listen_fallback_interval,
            announced=lambda: listener.connected,
        )

    async def publish_verdicts(self) -> None:
        """A check result may have moved an item: decide again, and show it at once."""
        if await asyncio.to_thread(self.reconciler.run_once):
            await asyncio.to_thread(self.publisher.refresh)

    async def stop(self) -> None:
        self.broadcaster.close()
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await asyncio.to_thread(self.flusher.flush)
        except Exception as exc:
            log.warning("event=client_register_final_flush_failed error=%s", type(exc).__name__)
        if self.metrics_port is not None:
            self.metrics_port.stop()
        self.stores.close()

    def health(self) -> HealthReport:
        # Three of the publisher's waits without an answer: at the fallback pace while notices
        # arrive (a lost listener wakes the publisher, which then polls at the short one).
        tolerance = max(5.0, 3 * self.pace.interval())
        return assess_health(
            self.snapshot,
            self.publisher.health,
            now=time.monotonic(),
            tolerance=tolerance,
            monitor_running=self.reconciler.monitor_running,
            listener_connected=None if self.listener is None else self.listener.connected,
            pid=os.getpid(),
        )

    def replica_settings(self) -> Settings:
        """What `serve --workers N` hands its processes, once this one has done the start-up
        chores (catalog, demo access) they must not repeat: no catalog to load, and one session
        secret for all, so that a session signed by one process is valid in every other."""
        return self.settings.model_copy(
            update={"catalog": None, "session_secret": SecretStr(self.session_secret())}
        )

    def session_secret(self) -> str:
        """The admin UI's signing key: configured, or in demo mode one made for this process."""
        if self.settings.session_secret is not None:
            return self.settings.session_secret.get_secret_value()
        if self.settings.demo:
            return secrets.token_urlsafe(32)
        raise MissingSecret(
            "set STATUS_DASHBOARD_SESSION_SECRET (at least 32 characters, the same on every "
            "replica) to serve the admin UI; there is no default outside --demo"
        )

    def app(self) -> StatusDashboardApp:
        routes, middleware = admin_ui(
            self.sessions,
            self.users,
            self.operations,
            session_secret=self.session_secret(),
            secure_cookies=self.settings.secure_cookies,
            environment_keys=self.snapshot.environment_keys,
        )
        feeds = PublicFeeds(
            self.snapshot, self.stores.dashboards, self.stores.operations, zone=self.settings.zone
        )
        return StatusDashboardApp(
            AppParts(
                snapshot=self.snapshot,
                tracker=self.tracker,
                health=self.health,
                startup=self.start,
                shutdown=self.stop,
                push=PushReceiver(self.stores.monitor, utc_now),
                admin=AdminServices(
                    self.accounts, self.operations, self.catalog, self.checks, self.users
                ),
                extra_routes=[*feed_routes(feeds), *self.status_pages(), *routes],
                middleware=middleware,
                broadcaster=self.broadcaster,
                metrics=self.metrics,
                metrics_token=(
                    None
                    if self.settings.metrics_token is None
                    else self.settings.metrics_token.get_secret_value()
                ),
                trusted_proxies=parse_allowed(self.settings.forwarded_allow_ips),
                max_streams_per_client=self.settings.max_streams_per_client,
            )
        )

    def status_pages(self) -> list[BaseRoute]:
        """The public pages, on the revision of the snapshot they render beside."""
        page = StatusPage(
            self.stores.dashboards,
            self.stores.operations,
            self.stores.uptime,
            revision=lambda: self.snapshot.revision,
            clock=utc_now,
        )
        return status_pages(
            page,
            zone=self.settings.zone,
            clock=utc_now,
            environment_keys=self.snapshot.environment_keys,
            heartbeat_s=self.settings.sse_heartbeat,
        )


def change_listener(settings: Settings, publisher: DashboardPublisher) -> ChangeListener | None:
    """On PostgreSQL, the listener that wakes `publisher` on every committed change; None on
    SQLite, which is one machine and polls."""
    if not is_postgres(settings.database):
        return None
    from status_dashboard.store.listener import ChangeListener

    return ChangeListener(
        settings.listen_database,
        on_notice=lambda notice: publisher.wake(notice.revision),
        on_connect=publisher.wake,
        # Look at once, and from then on at the short interval, not at the end of a long wait
        # begun while notices still came.
        on_lost=publisher.wake,
    )


def serve_replica(settings: Settings, index: int) -> None:
    """One of the processes of `serve --workers N` (`server.run_replicas`), from the parent's
    `ServerRuntime.replica_settings()`. The first runs the monitor, if the settings ask for one;
    the others run none, since N monitors in one machine would only multiply the connection
    pools and heartbeats, and on SQLite queue for its one write lock."""
    from status_dashboard.server import run  # the HTTP server, only in processes that serve

    configure_logging(settings.log_level, settings.log_format)
    if index > 0:
        settings = settings.model_copy(update={"monitor": False})
    if settings.metrics_port is not None:  # one port per process: each has its own figures
        settings = settings.model_copy(update={"metrics_port": settings.metrics_port + index})
    runtime = ServerRuntime(settings, open_stores(settings))
    run(runtime.app(), host=settings.host, port=settings.port, access_log=settings.access_log)


def _has_items(store: DashboardStore) -> bool:
    return any(group.items for env in store.environments() for group in env.groups)
