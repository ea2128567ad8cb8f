"""What the services need from the outside world, as Protocols the adapters implement.

Every port has an SQL implementation (`store.sql`) and an in-memory one (`store.memory`), and
one contract test suite runs against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from status_dashboard.domain.catalog import CatalogMerge, CatalogSpec
from status_dashboard.domain.model import Environment


@dataclass(frozen=True, slots=True)
class ClientSighting:
    """Requests from one client identity to one environment since the last flush."""

    environment_key: str
    user_agent: str
    conforming: bool
    count: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """One line of the client register: who called an environment, how often, and when."""

    environment_key: str
    user_agent: str
    conforming: bool
    request_count: int
    first_seen: datetime
    last_seen: datetime


class DashboardStore(Protocol):
    """Environments, groups and items, and the revision that tells readers something changed."""

    def revision(self) -> int:
        """A number that grows with every committed change of what a dashboard shows."""
        ...

    def environments(self) -> Sequence[Environment]:
        """Every environment with its groups and items, in display order."""
        ...

    def apply_catalog(
        self, spec: CatalogSpec, now: datetime, *, prune: bool = False
    ) -> CatalogMerge:
        """Merge `spec` (domain.catalog.merge_catalog) and store the result in one transaction.

        Nothing is written, and the revision stays, when the merge changes nothing.
        """
        ...

    def ping(self) -> None:
        """Raise if the store cannot be reached."""
        ...


class ClientRegister(Protocol):
    """The tracing record of DESIGN.md §3: every client identity that called, per environment."""

    def record(self, sightings: Sequence[ClientSighting]) -> None:
        """Add counts and widen first/last seen, in one transaction."""
        ...

    def clients(self, environment_key: str) -> Sequence[ClientRecord]:
        """The register of one environment, most recently seen first."""
        ...
