"""`apply_catalog(..., audit=entry)` on every backend: the entry is written in the catalog's own
transaction, only when the catalog changed something, and never without the change."""

from __future__ import annotations

import pytest

from integration.store.backends import Backend
from integration.store.catalogs import (
    BASE,
    IAM,
    LATER,
    NOW,
    Unserializable,
    audit,
    catalog,
    group,
    item,
)
from status_dashboard.domain import ids
from status_dashboard.domain.audit import AuditEntry, AuditQuery
from status_dashboard.domain.errors import (
    CatalogConflict,
    ConflictError,
    NotFoundError,
    StaleRevision,
)


def entries(backend: Backend) -> list[AuditEntry]:
    return list(backend.audit.entries(AuditQuery(), cursor=None, limit=100).entries)


def rename() -> AuditEntry:
    return audit(
        "catalog.group.update",
        f"group:{ids.group_id('prod', 'iam')}",
        environment_key="prod",
        before={"name": "Group iam"},
        after={"name": "Identity"},
    )


def test_a_catalog_that_changes_something_is_stored_with_its_audit_entry(
    backend: Backend,
) -> None:
    backend.store.apply_catalog(BASE, NOW)
    revision = backend.store.revision()

    merge = backend.store.apply_catalog(
        catalog(group("iam", *IAM.items, name="Identity")), LATER, audit=rename()
    )

    assert merge.changed
    assert backend.store.revision() == revision + 1
    (entry,) = entries(backend)
    assert (entry.action, entry.environment_key, entry.actor) == (
        "catalog.group.update",
        "prod",
        "user:alice",
    )
    assert (entry.before, entry.after) == ({"name": "Group iam"}, {"name": "Identity"})
    assert entry.id is not None


def test_a_catalog_that_changes_nothing_writes_no_audit_entry(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    revision = backend.store.revision()

    merge = backend.store.apply_catalog(BASE, LATER, audit=rename())

    assert not merge.changed
    assert backend.store.revision() == revision
    assert entries(backend) == []


def test_without_an_audit_entry_a_catalog_writes_none(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)

    assert entries(backend) == []


def test_a_catalog_whose_audit_entry_cannot_be_stored_is_not_applied(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    revision = backend.store.revision()
    broken = audit("catalog.item.create", "item:new", after={"x": Unserializable()})

    with pytest.raises(TypeError):
        backend.store.apply_catalog(catalog(IAM, group("new", item("fresh"))), LATER, audit=broken)

    assert backend.store.revision() == revision
    prod = next(env for env in backend.store.environments() if env.key == "prod")
    assert "new" not in {g.key for g in prod.groups}
    assert entries(backend) == []


def test_a_conflicting_catalog_writes_no_audit_entry(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    taken = ids.item_id("prod", "idp")

    with pytest.raises(CatalogConflict):
        backend.store.apply_catalog(
            catalog(group("iam", item("other", 3, id=taken), *IAM.items)), LATER, audit=rename()
        )

    assert entries(backend) == []


def test_a_pruning_catalog_is_audited_too(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    entry = audit("catalog.group.delete", "group:x", environment_key="prod", before={"k": 1})

    merge = backend.store.apply_catalog(catalog(IAM), LATER, prune=True, audit=entry)

    assert merge.removed_group_ids
    assert [e.action for e in entries(backend)] == ["catalog.group.delete"]


def test_a_write_planned_at_an_older_revision_is_refused_whole(backend: Backend) -> None:
    backend.store.apply_catalog(BASE, NOW)
    planned_at = backend.store.revision()
    backend.store.apply_catalog(catalog(group("iam", *IAM.items, name="Meanwhile")), LATER)
    tree = backend.store.environments()

    with pytest.raises(StaleRevision):
        backend.store.apply_catalog(
            catalog(group("iam", *IAM.items, name="Identity")),
            LATER,
            audit=rename(),
            expected_revision=planned_at,
        )

    assert backend.store.environments() == tree
    assert entries(backend) == []
    merge = backend.store.apply_catalog(
        catalog(group("iam", *IAM.items, name="Identity")),
        LATER,
        audit=rename(),
        expected_revision=backend.store.revision(),
    )
    assert merge.changed


def test_deleting_an_environment_takes_everything_in_it_and_is_audited(backend: Backend) -> None:
    backend.store.apply_catalog(catalog(group("iam", item("sts")), env="acc"), NOW)
    revision = backend.store.revision()
    entry = audit("catalog.environment.delete", "environment:acc", environment_key="acc")

    backend.store.delete_environment("acc", entry)

    assert "acc" not in {env.key for env in backend.store.environments()}
    assert backend.store.revision() == revision + 1
    assert [e.action for e in entries(backend)] == ["catalog.environment.delete"]


@pytest.mark.parametrize(("key", "error"), [("prod", ConflictError), ("nowhere", NotFoundError)])
def test_the_default_or_an_unknown_environment_is_not_deleted(
    backend: Backend, key: str, error: type[Exception]
) -> None:
    revision = backend.store.revision()
    with pytest.raises(error):
        backend.store.delete_environment(
            key, audit("catalog.environment.delete", f"environment:{key}")
        )
    assert backend.store.revision() == revision
    assert entries(backend) == []
