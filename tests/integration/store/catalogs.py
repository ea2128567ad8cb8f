"""Small catalogs for the store tests, audit entries, and builders that keep them short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from status_dashboard.domain.audit import AuditEntry
from status_dashboard.domain.catalog import CatalogSpec, EnvironmentSpec, GroupSpec, ItemSpec
from status_dashboard.domain.status import StatusCode

NOW = datetime(2025, 5, 9, 6, 55, 0, 123456, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
_ORDER = {"prod": 1, "acc": 2, "int": 3}

OPERATIONAL, DISRUPTED, UNKNOWN = StatusCode.OPERATIONAL, StatusCode.DISRUPTED, StatusCode.UNKNOWN


def item(key: str, order: int = 1, **fields: object) -> ItemSpec:
    fields.setdefault("name", f"Service {key}")
    return ItemSpec(key=key, order=order, **fields)  # type: ignore[arg-type]


def group(key: str, *items: ItemSpec, order: int = 1, **fields: object) -> GroupSpec:
    fields.setdefault("name", f"Group {key}")
    return GroupSpec(key=key, order=order, items=items, **fields)  # type: ignore[arg-type]


def catalog(*groups: GroupSpec, env: str = "prod") -> CatalogSpec:
    return CatalogSpec((EnvironmentSpec(key=env, order=_ORDER.get(env, 9), groups=groups),))


IAM = group(
    "iam",
    item("idp", 1, status=OPERATIONAL),
    item("sts", 2, status=DISRUPTED, description="Slow token issuance"),
)
BOX = group("ehbox", item("ehbox-consult", 1), order=2)
BASE = catalog(IAM, BOX)


def audit(action: str, target: str, at: datetime = NOW, **fields: object) -> AuditEntry:
    """An audit entry by `user:alice`, unless told otherwise."""
    fields.setdefault("actor", "user:alice")
    return AuditEntry(at=at, action=action, target=target, **fields)  # type: ignore[arg-type]


class Unserializable:
    """A value JSON cannot hold: an audit entry carrying it makes its write fail."""
