"""Typed settings, read once at the edge (cli) and passed down as values.

Precedence: command-line flags, then `STATUS_DASHBOARD_*` environment variables, then defaults.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from status_dashboard.domain.outbound import (
    LOOPBACK_NETWORKS,
    InvalidNetworks,
    OutboundPolicy,
    parse_networks,
)

DEFAULT_DATABASE_URL = "sqlite:///./var/status-dashboard.db"
_POSTGRES_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STATUS_DASHBOARD_", frozen=True, extra="ignore")

    database_url: SecretStr = Field(default=SecretStr(DEFAULT_DATABASE_URL))
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    timezone: str = "Europe/Brussels"
    cache_max_age: int = Field(
        default=15, ge=0, description="Cache-Control max-age of dashboards, s"
    )
    refresh_interval: float = Field(
        default=1.0, gt=0, description="how often the store is polled, s"
    )
    listen_fallback_interval: float = Field(
        default=5.0,
        gt=0,
        description="how often the store is polled while PostgreSQL change notices arrive, s",
    )
    database_timeout: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="how long one PostgreSQL statement, commit or rollback may go unanswered "
        "before the request fails with a 503, s",
    )
    listen_database_url: SecretStr | None = None
    """Where the change listener (PostgreSQL) connects, when `database_url` goes through a pooler
    that cannot LISTEN (PgBouncer in transaction mode); `database_url` unless set."""
    workers: int = Field(
        default=1, ge=1, le=64, description="server processes `serve` runs on its one port"
    )
    sse_heartbeat: float = Field(
        default=15.0, gt=0, description="seconds between heartbeat events of the live streams"
    )
    max_streams_per_client: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="live streams one client address may hold open at once, per server process",
    )
    register_flush_interval: float = Field(
        default=5.0, gt=0, description="client register flush, s"
    )
    max_clients_per_environment: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="client identities an environment's register holds; later ones are "
        "counted on its '(other clients)' line",
    )
    client_retention_days: float = Field(
        default=90, gt=0, description="how long a client identity not seen again is kept, days"
    )
    results_retention_days: float = Field(
        default=7, gt=0, description="how long raw check results are kept, days"
    )
    aggregates_retention_days: float = Field(
        default=400, gt=0, description="how long hourly and daily aggregates are kept, days"
    )
    catalog: Path | None = None
    demo: bool = False
    monitor: bool = True
    """Run the checks in the server process (`serve`); off when dedicated workers run them."""
    monitor_concurrency: int = Field(
        default=100, ge=1, le=10_000, description="checks one monitor runs at once"
    )
    monitor_lease_grace: float = Field(
        default=10.0, gt=0, le=600, description="how long a lease outlives its check's timeout, s"
    )
    monitor_stats_interval: float = Field(
        default=60.0, gt=0, description="how often a monitor logs its run statistics, s"
    )
    worker_name: str | None = None
    """How a monitor signs its leases and heartbeats; host and process id unless set."""
    access_log: bool = False
    session_secret: SecretStr | None = None
    """Signs admin UI sessions; set it (the same on every replica) outside demo mode."""
    secure_cookies: bool = False
    """Mark session cookies Secure: set it when the service is reached over HTTPS."""
    log_level: str = "info"
    log_format: Literal["keyvalue", "json"] = "keyvalue"
    """Log lines as `key=value` pairs, or as one JSON object each (logs.py)."""
    forwarded_allow_ips: str = "127.0.0.1,::1"
    """Peers whose `X-Forwarded-Proto` and `X-Forwarded-For` (or `Forwarded`) are believed
    (api/forwarded.py): a proxy on this machine by default; `*` for any, empty for none."""
    sign_in_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="password checks one server process runs at once; more sign-ins at that "
        "moment are answered 503 with Retry-After",
    )
    outbound_allow_networks: str = ""
    """Networks (comma-separated CIDRs) that checks may reach besides public addresses: by
    default none may reach loopback, link-local, private, multicast, unspecified or other
    special addresses (domain/outbound.py). `--demo` opens loopback for its own checks."""
    metrics_token: SecretStr | None = None
    """Bearer token of `GET /metrics` on the service's port; without it that route is a 404."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """A port of its own, on `host`, where `/metrics` is served without a token (for a scraper
    on a private network); the only HTTP of `status-dashboard worker`. With `serve --workers N`,
    process i listens on `metrics_port + i`."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("outbound_allow_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        try:
            parse_networks(value)
        except InvalidNetworks as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("listen_database_url")
    @classmethod
    def _postgres_listener(cls, value: SecretStr | None) -> SecretStr | None:
        # Only the scheme is looked at, and only the scheme is named: the URL holds a password.
        if value is not None and not value.get_secret_value().startswith(_POSTGRES_SCHEMES):
            raise ValueError("must be a postgresql+psycopg:// URL (only PostgreSQL can LISTEN)")
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def outbound_policy(self) -> OutboundPolicy:
        """What checks may reach: public addresses, the allowed networks, and loopback in demo
        mode (the demo's checks ask the demo server itself)."""
        policy = OutboundPolicy(parse_networks(self.outbound_allow_networks))
        return policy.opened(LOOPBACK_NETWORKS) if self.demo else policy

    @property
    def database(self) -> str:
        """The database URL in clear, for the engine only: never log it (it may hold a password)."""
        return self.database_url.get_secret_value()

    @property
    def listen_database(self) -> str:
        """The change listener's database URL in clear; never log it either."""
        url = self.listen_database_url or self.database_url
        return url.get_secret_value()
