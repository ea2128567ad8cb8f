"""How big a catalog file may be: its bytes, and its environments, groups, items and checks.

A catalog is written by people for one platform; a file far past these is a mistake or an
attack, and reading it whole (YAML round-trip parsing keeps every place of the file) would hold
a process for minutes and hundreds of MB. The bytes are judged before the YAML is parsed, the
counts before the format is read, so neither costs more than the limits allow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from status_dashboard.service.catalog_problems import CatalogProblem
from status_dashboard.service.catalog_yaml import Entry, Node, elements, entries

MAX_CATALOG_BYTES = 5 * 1024 * 1024
MAX_ENVIRONMENTS = 50
MAX_GROUPS = 2_000
"""Groups of the whole file, all environments together; so are the items and checks."""
MAX_ITEMS = 20_000
MAX_CHECKS = 20_000


def too_large(size: int, filename: str) -> CatalogProblem | None:
    """The problem of a file of `size` bytes past MAX_CATALOG_BYTES; None within it."""
    if size <= MAX_CATALOG_BYTES:
        return None
    message = (
        f"the file is larger than {MAX_CATALOG_BYTES:,} bytes (5 MiB), the most a catalog may be"
    )
    return CatalogProblem(filename, 0, 0, "", message)


def count_problems(root: Node | None, filename: str) -> tuple[CatalogProblem, ...]:
    """The first limit of environments, groups, items or checks the file goes past, placed at
    the entry that goes past it; nothing when it keeps within all of them. The count stops
    there, so a file of aliases that repeats one part a million times costs no more."""
    counted = {"environments": 0, "groups": 0, "items": 0, "checks": 0}
    limits = {
        "environments": MAX_ENVIRONMENTS,
        "groups": MAX_GROUPS,
        "items": MAX_ITEMS,
        "checks": MAX_CHECKS,
    }
    for kind, node in _declared(root):
        counted[kind] += 1
        if counted[kind] > limits[kind]:
            message = f"a catalog may declare at most {limits[kind]:,} {kind}; this is one more"
            return (CatalogProblem(filename, node.line, node.column, node.path, message),)
    return ()


def _declared(root: Node | None) -> Iterator[tuple[str, Node]]:
    """Every environment, group, item and check of the file, as the format nests them; what is
    not shaped as the format wants is skipped here and reported by the format."""
    for env in _keyed(root, "environments"):
        yield "environments", env.key
        for group in _keyed(env.value, "groups"):
            yield "groups", group.key
            for item in _keyed(group.value, "items"):
                yield "items", item.key
                checks = _field(item.value, "checks")
                if checks is not None and isinstance(checks.value.value, list):
                    for check in elements(checks.value):
                        yield "checks", check


def _keyed(node: Node | None, name: str) -> Iterator[Entry]:
    declared = _field(node, name)
    if declared is not None and isinstance(declared.value.value, Mapping):
        yield from entries(declared.value)


def _field(node: Node | None, name: str) -> Entry | None:
    if node is None or not isinstance(node.value, Mapping):
        return None
    return next((entry for entry in entries(node) if entry.key.value == name), None)
