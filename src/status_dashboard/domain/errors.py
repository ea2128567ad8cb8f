"""Domain errors.

DomainError
├── UnknownEnvironment   a path or command names an environment that does not exist
└── CatalogConflict      a catalog cannot be applied to what the store holds (e.g. a pinned id
                         already used by another item)
"""


class DomainError(Exception):
    """Base of every error the domain raises."""


class UnknownEnvironment(DomainError):
    def __init__(self, key: str) -> None:
        super().__init__(f"No dashboard for environment '{key}'")
        self.key = key


class CatalogConflict(DomainError):
    """The catalog is valid on its own but contradicts the stored data."""
