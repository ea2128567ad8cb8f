"""What is wrong with a catalog file, said so that an editor can jump to it.

CatalogInvalid       the file cannot be used; `.problems` says every reason, with its place
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    """One reason a catalog file is refused.

    `line` and `column` are 1-based, the place of the offending node (for a missing field, of the
    entry that lacks it); 0 when the file could not be read at all. `field` is the dotted path of
    the node, e.g. `environments.prod.groups.iam.name`, or empty when no path is known (a syntax
    error).
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class CatalogInvalid(Exception):
    """A catalog file with problems; nothing of it is applied."""

    def __init__(self, problems: Iterable[CatalogProblem]) -> None:
        # Sorted by place so the list reads top to bottom like the file itself.
        self.problems: tuple[CatalogProblem, ...] = tuple(
            sorted(problems, key=lambda p: (p.file, p.line, p.column))
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
