"""Domain errors.

DomainError
├── UnknownEnvironment   a path or command names an environment that does not exist
├── CatalogConflict      a catalog cannot be applied to what the store holds (e.g. a pinned id
│                        already used by another item)
├── ConflictError        a write expected another version of its target, or the target's state
│   │                    forbids it; nothing was written
│   ├── StaleRevision    the store changed since the write's plan was read: read again and retry
│   └── VersionMismatch  the item's version moved between reading it and writing (If-Match)
├── NotFoundError        a write or read names something that does not exist
└── IdempotencyKeyReused (domain.idempotency) a key sent again with another request
"""


class DomainError(Exception):
    """Base of every error the domain raises."""


class UnknownEnvironment(DomainError):
    def __init__(self, key: str) -> None:
        super().__init__(f"No dashboard for environment '{key}'")
        self.key = key


class CatalogConflict(DomainError):
    """The catalog is valid on its own but contradicts the stored data."""


class ConflictError(DomainError):
    """A write that expected another version of its target (If-Match), or that the target's
    state forbids (e.g. updating a resolved incident); nothing was written."""


class NotFoundError(DomainError):
    """A write or read names an item, incident, window, user or token that does not exist."""


class StaleRevision(ConflictError):
    """The store's revision moved between reading and writing: the plan is stale."""


class VersionMismatch(ConflictError):
    """The item's version (domain.versions) was not the one the write expected when its
    transaction checked it: someone else changed the item meanwhile; nothing was written."""
