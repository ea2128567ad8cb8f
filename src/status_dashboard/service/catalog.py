"""The catalog kept as code (docs/design.md §5): read a YAML file, check it, apply it to a store.

The file format is described in docs/catalog.md. Checking collects every problem of a file, each
with its line, column and field path, before anything is applied; applying is the store's
`apply_catalog` (domain.catalog.merge_catalog), so loading the same file twice changes nothing.

    CatalogInvalid       the file is missing, unreadable, not YAML, or breaks the format;
                         `.problems` lists every reason (CatalogProblem), with its place
    (the store may raise domain.errors.CatalogConflict when a valid file contradicts its data)

Modules: catalog_yaml (text -> tree with places), catalog_format (tree -> CatalogSpec),
catalog_checks (an item's `checks:`, spelt as `check_fields` says), catalog_problems (the problem
and the exception).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from status_dashboard.domain.catalog import CatalogMerge, CatalogSpec
from status_dashboard.domain.ports import DashboardStore
from status_dashboard.service import catalog_format, catalog_yaml
from status_dashboard.service.catalog_limits import MAX_CATALOG_BYTES, count_problems, too_large
from status_dashboard.service.catalog_problems import CatalogInvalid, CatalogProblem

__all__ = ["CatalogInvalid", "CatalogProblem", "load_catalog", "parse_catalog", "read_catalog"]


def parse_catalog(text: str, filename: str = "<catalog>") -> CatalogSpec:
    """The spec written in `text`; raises CatalogInvalid listing every problem found.

    `filename` only names the file in problems. A text past the limits of catalog_limits is
    refused before it is read any further.
    """
    # A character is at least one byte: more characters than the limit are more bytes too.
    large = too_large(len(text), filename) or too_large(len(text.encode("utf-8")), filename)
    if large is not None:
        raise CatalogInvalid([large])
    loaded = catalog_yaml.load(text, filename)
    if loaded.root is None and loaded.problems:
        raise CatalogInvalid(loaded.problems)
    too_many = count_problems(loaded.root, filename)
    if too_many:
        raise CatalogInvalid(loaded.problems + too_many)
    spec, problems = catalog_format.read_spec(loaded.root, filename)
    if loaded.problems or problems:
        raise CatalogInvalid(loaded.problems + problems)
    return spec


def read_catalog(path: Path) -> CatalogSpec:
    """The spec in the file at `path`, which must be UTF-8 text; raises CatalogInvalid."""
    filename = str(path)
    try:
        with path.open("rb") as file:
            # One byte past the limit is enough to refuse it: a larger file is never read whole.
            data = file.read(MAX_CATALOG_BYTES + 1)
    except FileNotFoundError:
        raise _unreadable(filename, "no such file") from None
    except IsADirectoryError:
        raise _unreadable(filename, "is a directory, not a catalog file") from None
    except OSError as exc:
        raise _unreadable(filename, f"cannot be read: {exc.strerror or exc}") from None
    large = too_large(len(data), filename)
    if large is not None:
        raise CatalogInvalid([large])
    try:
        # utf-8-sig: editors on Windows like to start a file with a byte order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        detail = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        raise _unreadable(filename, f"is not UTF-8 text ({detail})") from None
    return parse_catalog(text, filename)


def load_catalog(
    store: DashboardStore, path: Path, now: datetime, *, prune: bool = False
) -> CatalogMerge:
    """Check the file at `path` and apply it to `store` at `now`.

    An invalid file raises CatalogInvalid before the store is touched. Groups and items the file
    no longer lists are kept (and reported in `unlisted`) unless `prune`.
    """
    spec = read_catalog(path)
    return store.apply_catalog(spec, now, prune=prune)


def _unreadable(filename: str, message: str) -> CatalogInvalid:
    return CatalogInvalid([CatalogProblem(filename, 0, 0, "", message)])
