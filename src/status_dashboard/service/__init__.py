"""Use cases: the catalog, the dashboard snapshot, client tracing, and what they share.

Exceptions:

    ServiceError
    └── catalog.CatalogInvalid   a catalog file that cannot be applied, with every problem in it
"""


class ServiceError(Exception):
    """Base of every error a use case raises."""
