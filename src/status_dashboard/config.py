"""Typed settings, read once at the edge (cli) and passed down as values.

Precedence: command-line flags, then `STATUS_DASHBOARD_*` environment variables, then defaults.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/status-dashboard.db"


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
    sse_heartbeat: float = Field(
        default=15.0, gt=0, description="seconds between heartbeat events of the live streams"
    )
    register_flush_interval: float = Field(
        default=5.0, gt=0, description="client register flush, s"
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

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def database(self) -> str:
        """The database URL in clear, for the engine only: never log it (it may hold a password)."""
        return self.database_url.get_secret_value()
